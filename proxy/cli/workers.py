"""``serve --workers N``: the app factory each uvicorn worker process imports.

uvicorn starts N processes on one listening socket; each imports ``create`` by name, so the
parent hands them its command-line flags and config path in ``KLAVIYO_COMPAT_WORKER_FLAGS``
(JSON). Workers share continuation tokens and the enumeration cache through ``state_url``:
``serve`` refuses ``--workers`` without it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from proxy.engine.serving import GuardedHttpToolsProtocol, tune_gc

ENV = "KLAVIYO_COMPAT_WORKER_FLAGS"
FACTORY = "proxy.cli.workers:create"
PROTOCOL = "proxy.cli.workers:WorkerProtocol"


class WorkerProtocol(GuardedHttpToolsProtocol):
    """The guarded protocol by import path (a worker cannot receive a class built at run time);
    ``create`` sets the limits from the settings before the first connection."""


def hand_over(flags: dict[str, Any], config: Path | None) -> None:
    """What every worker will load its settings from (inherited through the environment)."""
    os.environ[ENV] = json.dumps({"flags": flags, "config": str(config) if config else None})


def create() -> Starlette:
    """One worker's app: the settings ``serve`` checked, loaded again in this process."""
    from proxy.engine.app import create_app
    from proxy.engine.engine import Overrides
    from proxy.observe.logs import configure
    from proxy.settings import load

    given = json.loads(os.environ[ENV])
    config = Path(given["config"]) if given["config"] else None
    settings = load(config=config, flags=given["flags"])
    configure(settings.log_level, settings.log_format)
    WorkerProtocol.header_timeout = settings.header_timeout
    WorkerProtocol.max_header_bytes = settings.max_header_bytes
    WorkerProtocol.max_header_count = settings.max_header_count
    app = create_app(settings, overrides=Overrides(config_path=config))
    tune_gc()
    return app
