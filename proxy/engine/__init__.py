"""The request path and its composition root: everything between a legacy call and the new API.

``engine.Engine`` builds every part from settings, a registry and ``Overrides`` and owns their
lifecycle; ``app.create_app`` lays out the routes around it. Per call: ``middleware`` (request
id, access line), ``handler`` (parse, mode, run, render, record), ``runner`` (drives a mapping's
sans-IO plan), ``upstream`` and ``passthrough`` (the only code that talks to the new API),
``failures`` (exception -> legacy reply). Reliability (README "Reliability"): ``resilience``
(``Retrying`` and ``Breaker`` wrap ``Upstream``, each testable alone), ``spooling`` (a
fire-and-forget write is delivered or spooled), ``deliverer`` (drains the spool),
``reliability`` (builds them). The top layer below ``proxy.cli``: it may import every
lower layer (``admin``, ``traffic``, ``policy``, ``state``, ``observe``, ``settings``) and
``mappings``, never ``proxy.sandbox`` or ``proxy.cli``. It names no Klaviyo resource.
"""
