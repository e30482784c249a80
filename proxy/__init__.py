"""klaviyo-compat engine: HTTP, ASGI, auth, pagination, logging. Knows no Klaviyo resource."""

from proxy.app import create_app
from proxy.settings import Settings

__all__ = ["Settings", "create_app"]
