"""Operator pages: the migration dashboard, the plan per caller, the JSON report and Prometheus metrics.

``access`` decides who may read them (Bearer token, or a browser's short-lived session cookie).

Served only to an admin token, or on the separate admin port; never to legacy callers. Below
``proxy.engine`` (which mounts the routes and runs the admin listener): it may import
``proxy.traffic``, ``proxy.policy``, ``proxy.state``, ``proxy.observe``, ``proxy.settings``
and ``mappings``.
"""
