"""Segment and group members, v1 lists: F13, F14, S3, S4."""

from mappings.base import Operation

OPERATIONS: tuple[Operation, ...] = ()
