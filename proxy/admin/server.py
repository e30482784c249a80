"""The optional admin listener (``admin_port``): a second uvicorn server in the proxy's event loop.

Started and stopped by the proxy's lifespan, so it shares the mode table, metrics and traffic
store with the public listener. The socket is bound before serving, so a port already in use
fails the proxy's start-up with a clear message instead of a half-started process.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

import structlog
import uvicorn
from starlette.types import ASGIApp

log = structlog.get_logger("klaviyo_compat.admin")


class AdminPortError(RuntimeError):
    """The admin port could not be bound."""


class AdminServer:
    def __init__(self, app: ASGIApp, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        try:
            sock = socket.create_server((self.host, self.port))
        except OSError as exc:
            raise AdminPortError(f"admin_port {self.host}:{self.port}: {exc.strerror or exc}") from None
        config = uvicorn.Config(
            self.app,
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
            proxy_headers=False,
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="admin-server")
        while not self._server.started:
            if self._task.done():
                self._task.result()  # re-raise why it stopped
                raise AdminPortError("the admin listener stopped during start-up")
            await asyncio.sleep(0.01)
        self.port = sock.getsockname()[1]
        log.info("admin.listening", url=f"http://{self.host}:{self.port}/_compat/")

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._server = self._task = None
