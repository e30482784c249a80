"""Klaviyo knowledge: how each legacy v1/v2 operation maps onto the new API.

* ``mappings.core``: the vocabulary (``LegacyRequest``, upstream steps, ``LegacyReply``,
  ``Operation`` and the ``Declarer`` that declares one);
* ``mappings.operations``: the modules that declare legacy operations, and only those;
* ``mappings.translate``: converters and plan steps shared by several operations;
* ``protocol`` (the legacy wire protocol), ``registry`` (the validated catalog) and the generated
  ``upstream_ops`` (the pinned spec's operations).

Pure data and pure functions only: no httpx, starlette or other I/O is imported here, and
nothing from ``proxy``.
"""
