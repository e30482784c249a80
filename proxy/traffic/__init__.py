"""The unmigrated-traffic record: one row per legacy call, written off the request path.

``record`` is the row, ``store``/``sqlite_store`` keep it, ``writer`` batches it off the request
path, ``retention`` prunes it; ``report`` (with ``report_row``, ``fold`` and ``report_format``)
turns it into the migration report, ``plan`` into the migration plan per caller, and
``text_table`` fits their tables to a terminal. It may import ``proxy.policy``, ``proxy.state``,
``proxy.observe``, ``proxy.settings`` and ``mappings``, nothing above (``admin``, ``engine``).
"""
