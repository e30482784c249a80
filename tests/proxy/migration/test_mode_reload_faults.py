"""A config file that cannot be read (bad bytes, no permission, a directory, a bug while loading)
is refused like a bad one: one ``modes.reload_refused`` line, the old modes stay, and the file
watch and SIGHUP keep working, so the next good edit is applied."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from mappings.registry import REGISTRY
from proxy import mode_reload
from proxy.mode_reload import ModeHolder, ModeReloader
from proxy.modes import Mode, ModeTable
from proxy.settings import SettingsError, from_toml
from tests.proxy.migration.harness import write_atomically

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


async def _until(predicate: object, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():  # type: ignore[operator]
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
    real = mode_reload.load
    reads: list[int] = []

    def load_then_edit(*args: object, **kwargs: object) -> object:
        settings = real(*args, **kwargs)  # type: ignore[arg-type]
        reads.append(1)
        if len(reads) == 1:  # an editor finishes writing while we read
            path.write_text('[modes]\nE1 = "dry-run"\n# and a longer file\n')
        return settings

    monkeypatch.setattr(mode_reload, "load", load_then_edit)
    assert reloader.reload("file changed")
    assert len(reads) == 2 and _mode(holder) is Mode.DRY_RUN


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="SIGHUP is Unix only")
def test_sighup_with_an_undecodable_file_logs_a_refusal_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "compat.toml"
    path.write_text('[modes]\nE1 = "reject"\n')
    script = f"""
import asyncio, os, signal
from mappings.registry import REGISTRY
from proxy.logs import configure
from proxy.mode_reload import ModeHolder, ModeReloader
from proxy.modes import ModeTable
from pathlib import Path

async def main():
    configure("info", "json")
    path = Path({str(path)!r})
    holder = ModeHolder(ModeTable())
    reloader = ModeReloader(holder, path, REGISTRY)
    reloader.install_sighup()
    path.write_bytes({BAD_BYTES!r})
    os.kill(os.getpid(), signal.SIGHUP)
    await asyncio.sleep(0.2)
    path.write_text('[modes]\\nE1 = "dry-run"\\n')
    os.kill(os.getpid(), signal.SIGHUP)
    await asyncio.sleep(0.2)
    print("E1", holder.table.for_op("E1").mode.value)

asyncio.run(main())
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[3],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert '"event":"modes.reload_refused"' in done.stdout and "not UTF-8" in done.stdout
    assert done.stdout.strip().endswith("E1 dry-run")
