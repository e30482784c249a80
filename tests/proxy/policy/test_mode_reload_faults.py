"""A config file that cannot be read (bad bytes, no permission, a directory, a bug while loading)
is refused like a bad one: one ``modes.reload_refused`` line, the old modes stay, and the file
watch and SIGHUP keep working, so the next good edit is applied."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from mappings.registry import REGISTRY
from proxy.policy import reload as mode_reload
from proxy.policy.modes import Mode, ModeTable
from proxy.policy.reload import ModeHolder, ModeReloader
from proxy.settings import Settings, SettingsError, from_toml, load
from tests.proxy.harness import REPO, write_atomically

BAD_BYTES = b'[modes]\nE1 = "reject"\n# caf\xe9 \xff\xfe\n'


def test_undecodable_and_unreadable_files_are_settings_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_bytes(BAD_BYTES)
    with pytest.raises(SettingsError, match="not UTF-8"):
        from_toml(bad)
    with pytest.raises(SettingsError, match="cannot be read"):
        from_toml(tmp_path)  # a directory
    locked = tmp_path / "locked.toml"
    locked.write_text('[modes]\nE1 = "reject"\n')

    def denied(self: Path, *args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_text", denied)  # root ignores chmod 000
    with pytest.raises(SettingsError, match="Permission denied"):
        from_toml(locked)


def _mode(holder: ModeHolder) -> Mode:
    return holder.table.for_op("E1").mode


async def _until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_the_watch_survives_an_unreadable_file_and_applies_the_next_good_edit(tmp_path: Path) -> None:
    path = tmp_path / "compat.toml"
    path.write_text('[modes]\nE1 = "reject"\n')
    holder = ModeHolder(ModeTable())
    results: list[str] = []
    reloader = ModeReloader(holder, path, REGISTRY, observe=results.append)
    assert reloader.reload("start") and _mode(holder) is Mode.REJECT
    watch = asyncio.create_task(reloader.watch(0.01))
    try:
        with capture_logs() as logs:
            path.write_bytes(BAD_BYTES)
            await _until(lambda: any(e["event"] == "modes.reload_refused" for e in logs))
            assert _mode(holder) is Mode.REJECT  # the old table stays
            refused = [e for e in logs if e["event"] == "modes.reload_refused"]
            assert "not UTF-8" in refused[0]["reason"] and refused[0]["log_level"] == "error"
            assert not watch.done()
            write_atomically(path, '[modes]\nE1 = "dry-run"\n')
            await _until(lambda: _mode(holder) is Mode.DRY_RUN)
            path.unlink()
            path.mkdir()  # unreadable: a directory now
            await _until(lambda: results.count("refused") >= 2)
            path.rmdir()
            write_atomically(path, '[modes]\nE1 = "translate"\n')
            await _until(lambda: _mode(holder) is Mode.TRANSLATE)
        assert not watch.done()
    finally:
        watch.cancel()


def test_a_bug_while_loading_is_refused_not_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "compat.toml"
    path.write_text('[modes]\nE1 = "reject"\n')
    holder = ModeHolder(ModeTable())
    reloader = ModeReloader(holder, path, REGISTRY)

    def broken(*args: object, **kwargs: object) -> ModeTable:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(mode_reload, "from_settings", broken)
    with capture_logs() as logs:
        assert reloader.reload("SIGHUP") is False
    assert [e["reason"] for e in logs if e["event"] == "modes.reload_refused"] == ["RuntimeError: unexpected"]
    assert holder.table == ModeTable()


def test_a_file_changed_while_read_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "compat.toml"
    path.write_text('[modes]\nE1 = "reject"\n')
    holder = ModeHolder(ModeTable())
    reloader = ModeReloader(holder, path, REGISTRY)
    real = load  # what mode_reload.load is until patched below
    reads: list[int] = []

    def load_then_edit(*args: Any, **kwargs: Any) -> Settings:
        settings = real(*args, **kwargs)
        reads.append(1)
        if len(reads) == 1:  # an editor finishes writing while we read
            path.write_text('[modes]\nE1 = "dry-run"\n# and a longer file\n')
        return settings

    monkeypatch.setattr(mode_reload, "load", load_then_edit)
    assert reloader.reload("file changed")
    assert len(reads) == 2 and _mode(holder) is Mode.DRY_RUN


class LineReader:
    """Collects a child process's output lines in a thread; waits for one with a deadline."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = next((line for line in self.lines if predicate(line)), None)
                if found is not None:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._thread.is_alive():  # late, or the output ended
                    raise AssertionError("line not seen in time; output so far:\n" + "".join(self.lines))
                self._changed.wait(remaining)

    def text(self) -> str:
        self._thread.join(10)
        return "".join(self.lines)


SIGHUP_CHILD = """
import asyncio, sys
from mappings.registry import REGISTRY
from proxy.observe.logs import configure
from proxy.policy.reload import ModeHolder, ModeReloader
from proxy.policy.modes import ModeTable
from pathlib import Path

async def main():
    configure("info", "json")
    reloader = ModeReloader(ModeHolder(ModeTable()), Path(sys.argv[1]), REGISTRY)
    reloader.install_sighup()
    print("ready", flush=True)
    await asyncio.sleep(120)

asyncio.run(main())
"""


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="SIGHUP is Unix only")
def test_sighup_with_an_undecodable_file_logs_a_refusal_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "compat.toml"
    path.write_text('[modes]\nE1 = "reject"\n')
    child = subprocess.Popen(
        [sys.executable, "-c", SIGHUP_CHILD, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"},
    )
    out = LineReader(child)
    try:
        out.wait_for(lambda line: line.strip() == "ready")
        path.write_bytes(BAD_BYTES)
        child.send_signal(signal.SIGHUP)
        refused = json.loads(out.wait_for(lambda line: '"event":"modes.reload_refused"' in line))
        assert refused["trigger"] == "SIGHUP" and "not UTF-8" in refused["reason"]
        path.write_text('[modes]\nE1 = "dry-run"\n')
        child.send_signal(signal.SIGHUP)  # the handler survived the refusal
        reloaded = json.loads(out.wait_for(lambda line: '"event":"modes.reloaded"' in line))
        assert reloaded["trigger"] == "SIGHUP" and reloaded["modes"]["E1"] == "dry-run"
    finally:
        child.kill()
        child.wait(10)
    assert "Traceback" not in out.text()
