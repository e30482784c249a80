"""State kept between legacy calls: the legacy-token store, the collection cache, the rate budgets
(``budgets``) and the durable write spool (``spool``, payloads sealed by ``seal``).

Each is a small protocol with a local default (in memory; the spool in SQLite, ``sqlite_spool``)
and a Redis implementation shared by replicas when ``state_url`` is set (``redis_backend``,
``redis_budget``, ``redis_spool``); tests inject others through the engine's ``Overrides``.
A peer of ``proxy.policy``: it may import ``proxy.observe``, ``proxy.settings`` and
``mappings``, not ``proxy.policy``.
"""
