"""The production log output: lines collected in memory and written out in order, in batches.

structlog and the stdlib handler flush after every line, and ``PYTHONUNBUFFERED=1`` (set in most
container images, ours included) makes every write to stdout a system call of its own. A
``LineBuffer`` keeps what ``write`` is given and writes it all, in order, as one string on
``flush``. Every ordinary log line is flushed at once (structlog does); the access line
(``proxy.observe.hot_line``) is not, and is flushed within 50 ms or by the next ordinary line,
so a busy proxy writes its access lines in a few large writes instead of one call per request.
Lines are only ever held in this process: SIGKILL loses at most those 50 ms of access lines;
a normal exit or SIGTERM flushes them (shutdown logs ordinary lines, and ``atexit``).
"""

from __future__ import annotations

import threading
from typing import TextIO

MAX_HELD = 1000  # lines held at most before they are written out anyway


class LineBuffer:
    """A text stream for log lines over ``inner`` (stdout); safe to use from several threads."""

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner
        self._parts: list[str] = []
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self._parts.append(text)
            full = len(self._parts) >= MAX_HELD
        if full:  # bounded whatever happens to the scheduled flush
            self.flush()
        return len(text)

    def flush(self) -> None:
        with self._lock:
            parts, self._parts = self._parts, []
            if parts:
                self.inner.write("".join(parts))
            self.inner.flush()

    def isatty(self) -> bool:
        return self.inner.isatty()

    def fileno(self) -> int:
        return self.inner.fileno()
