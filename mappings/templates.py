"""Email templates (v1): C1-C7."""

from mappings.base import Operation

OPERATIONS: tuple[Operation, ...] = ()
