"""What the operator sees of the proxy: Prometheus metrics, JSON logs and their redaction.

``redact`` scrubs keys and personal fields from every log line and hashes secrets into stable
fingerprints (``hash_secret`` keeps the per-install salt); ``callers`` names a caller by such a
hash. Just above ``proxy.settings``: it may import ``proxy.settings`` and ``mappings`` only.
"""
