"""klaviyo-compat engine: HTTP, ASGI, auth, pagination, logging. Knows no Klaviyo resource."""

from typing import TYPE_CHECKING, Any

from proxy.settings import Settings

if TYPE_CHECKING:
    from proxy.engine.app import create_app

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> Any:
    # Lazy, so importing a small engine module does not load the whole mapping registry.
    if name == "create_app":
        from proxy.engine.app import create_app

        return create_app
    raise AttributeError(name)
