"""Developer tools that are not part of the request path (e.g. ``derive_spec_table``).

Standalone like ``proxy.sandbox``: they may import only themselves, ``mappings``, the standard
library and third-party packages, and no layer of the proxy imports them.
"""
