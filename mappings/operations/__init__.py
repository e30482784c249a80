"""The modules that declare legacy operations, one per legacy resource family, and nothing else.

Each holds one ``ops = Declarer(...)`` and its declarations; ``mappings.registry.MODULES``
lists every one of them (a test checks that this package holds exactly those modules).
"""
