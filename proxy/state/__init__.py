"""State kept between legacy calls: the legacy-token store, the collection cache, the rate budgets
(``budgets``) and the durable write spool (``spool``, payloads sealed by ``seal``).

Each is a small protocol with a local default (in memory; the spool in SQLite); the engine
takes shared implementations through ``Overrides`` when several replicas serve one account.
A peer of ``proxy.policy``: it may import ``proxy.observe``, ``proxy.settings`` and
``mappings``, not ``proxy.policy``.
"""
