"""Metrics and timelines (v1): D1-D4, shared by the profile timelines."""

from mappings.base import Operation

OPERATIONS: tuple[Operation, ...] = ()
