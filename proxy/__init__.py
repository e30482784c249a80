"""klaviyo-compat's engine: HTTP, ASGI, auth, pagination, retries, logging. It knows no Klaviyo resource.

Everything Klaviyo-specific (legacy operations, their plans, the wire protocol) lives in
``mappings``, which imports nothing from here. The subpackages are layers, each importing only
the ones below it (enforced by ``tests/test_architecture.py``), lowest first: ``settings``;
``observe`` (metrics, logs, redaction); ``state`` (token store, collection cache) and ``policy``
(modes, dry-run, successors); ``traffic`` (the call record and its report); ``admin`` (operator
pages); ``engine`` (the composition root and the request path); ``cli`` on top. ``tools`` holds
developer scripts. ``sandbox`` is the documented exception: an in-memory emulator of the *new*
API, so it does know Klaviyo resources; it ships for demos (``serve --sandbox``) and tests and
imports nothing from the other layers.

``create_app(settings, *, registry=..., overrides=Overrides(...))`` builds the ASGI app.
"""

from typing import TYPE_CHECKING, Any

from proxy.settings import Settings

if TYPE_CHECKING:
    from proxy.engine.app import create_app
    from proxy.engine.engine import Overrides

__all__ = ["Overrides", "Settings", "create_app"]


def __getattr__(name: str) -> Any:
    # Lazy, so importing a small engine module does not load the whole mapping registry.
    if name == "create_app":
        from proxy.engine.app import create_app

        return create_app
    if name == "Overrides":
        from proxy.engine.engine import Overrides

        return Overrides
    raise AttributeError(name)
