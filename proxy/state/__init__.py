"""State kept between legacy calls: the legacy-token store and the collection cache.

Both are small protocols with in-memory defaults; the engine takes shared implementations
through ``Overrides`` when several replicas serve one account. A peer of ``proxy.policy``: it
may import ``proxy.observe``, ``proxy.settings`` and ``mappings``, not ``proxy.policy``.
"""
