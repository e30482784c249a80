"""Hot reload of the mode table: on a config file change (cheap mtime poll) and on SIGHUP.

The whole file is re-read with the usual precedence (``proxy.settings.load``) and the new
table replaces the old one in a single reference assignment. A file that does not load (bad
TOML, unknown operation, bad window...) is refused with one log line; the old modes stay.
Only ``[modes]`` and ``sunset`` take effect without a restart.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable, Iterable
from pathlib import Path

import structlog

from mappings.core import Operation
from proxy.policy.modes import ModeTable, from_settings
from proxy.settings import SettingsError, load

log = structlog.get_logger("klaviyo_compat.modes")

Signature = tuple[int, int, int] | None


class ModeHolder:
    """The table in force. Readers take ``holder.table`` once per request."""

    def __init__(self, table: ModeTable) -> None:
        self.table = table


def summary(table: ModeTable) -> dict[str, str]:
    shown = {"default": table.default.describe()}
    shown.update({op_id: mode.describe() for op_id, mode in sorted(table.routes.items())})
    return shown


class ModeReloader:
    def __init__(
        self,
        holder: ModeHolder,
        path: Path,
        operations: Iterable[Operation],
        observe: Callable[[str], None] | None = None,
    ) -> None:
        self.holder = holder
        self.path = path
        self.operations = tuple(operations)
        self.observe = observe
        self._signature = self._stat()

    def _stat(self) -> Signature:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def reload(self, trigger: str) -> bool:
        """Load the file and swap the table in; False (old table kept) if the file is refused.

        Never raises: whatever goes wrong (a bad file, an unreadable one, a bug) is one
        ``modes.reload_refused`` line and the old table stays, so neither the file watch nor
        the SIGHUP handler can die of it.
        """
        try:
            table = self._load()
        except SettingsError as exc:
            return self._refuse(trigger, str(exc))
        except Exception as exc:
            return self._refuse(trigger, f"{type(exc).__name__}: {exc}")
        changed = table != self.holder.table
        self.holder.table = table
        log.info(
            "modes.reloaded",
            config=str(self.path),
            trigger=trigger,
            changed=changed,
            sunset=table.sunset.isoformat(),
            modes=summary(table),
        )
        self._observe("ok")
        return True

    def _load(self) -> ModeTable:
        """The table the file describes, read until two looks at the file agree.

        A file rewritten in place can be caught half-written; if its mtime, size or inode moved
        while it was read, it is read once more (the watch sees the final version anyway).
        """
        before = self._stat()
        table = from_settings(load(config=self.path), self.operations)
        if self._stat() != before:
            table = from_settings(load(config=self.path), self.operations)
        return table

    def _refuse(self, trigger: str, reason: str) -> bool:
        log.error("modes.reload_refused", config=str(self.path), trigger=trigger, reason=reason)
        self._observe("refused")
        return False

    def _observe(self, result: str) -> None:
        if self.observe is not None:
            self.observe(result)

    def poll(self) -> bool:
        """Reload if the file's mtime, size or inode moved since the last look."""
        signature = self._stat()
        if signature == self._signature:
            return False
        self._signature = signature
        return self.reload("file changed")

    async def watch(self, interval: float) -> None:
        """Poll forever: a failure of one look is logged, never the end of the watch."""
        while True:
            await asyncio.sleep(interval)
            try:
                self.poll()
            except Exception as exc:  # pragma: no cover - reload() already refuses everything
                log.error("modes.watch_failed", config=str(self.path), reason=f"{type(exc).__name__}: {exc}")

    def install_sighup(self) -> Callable[[], None] | None:
        """Reload on SIGHUP (main thread, Unix only); returns the uninstaller, or None."""
        sighup = getattr(signal, "SIGHUP", None)
        if sighup is None:
            return None
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(sighup, self.reload, "SIGHUP")
        except (RuntimeError, ValueError, NotImplementedError):
            return None  # not the main thread (embedded, tests): the file poll still works

        def uninstall() -> None:
            loop.remove_signal_handler(sighup)

        return uninstall
