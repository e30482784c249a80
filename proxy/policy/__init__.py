"""What the operator decides per legacy route: translate, reject, dry-run or brownout, and when.

``modes`` parses the mode table, ``windows`` its time windows, ``reload`` swaps it at run time
(file poll, SIGHUP), ``successor`` writes the retired-API answer and the Deprecation/Sunset
headers, ``dry_run`` stands in for upstream writes. A peer of ``proxy.state``: it may import
``proxy.observe``, ``proxy.settings`` and ``mappings``, not ``proxy.state`` or anything above.
"""
