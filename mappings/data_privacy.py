"""Data privacy (v2): G1 deletion request."""

from mappings.base import Operation

OPERATIONS: tuple[Operation, ...] = ()
