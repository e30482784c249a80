"""Operator pages: the migration dashboard, the JSON report and Prometheus metrics.

Served only to an admin token, or on the separate admin port; never to legacy callers.
"""
