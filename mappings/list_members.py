"""List membership and exclusions (v2/v1): F7-F16, S1-S3."""

from mappings.base import Operation

OPERATIONS: tuple[Operation, ...] = ()
