"""The [modes] table format, brownout windows and the reloader, without a server."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from mappings.registry import REGISTRY
from proxy.policy.modes import Mode, ModesError, ModeTable, RouteMode, parse_modes
from proxy.policy.reload import ModeHolder, ModeReloader
from proxy.policy.windows import parse_window
from proxy.settings import load


def table(raw: Mapping[str, Any], sunset: str = "") -> ModeTable:
    return parse_modes(raw, sunset, REGISTRY)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_default_ids_names_and_tables() -> None:
    t = table(
        {
            "default": "dry-run",
            "E1": "reject",
            "update_profile": "translate",  # E2 by its generated-SDK name
            "F6": {"mode": "brownout", "fraction": 0.25, "windows": ["daily 14:00-14:15 UTC"]},
        },
        sunset="2027-01-31",
    )
    assert t.for_op("E1").mode is Mode.REJECT
    assert t.for_op("E2").mode is Mode.TRANSLATE
    assert t.for_op("B1").mode is Mode.DRY_RUN  # the default
    f6 = t.for_op("F6")
    assert f6.mode is Mode.BROWNOUT and f6.fraction == 0.25 and len(f6.windows) == 1
    assert f6.describe() == "brownout (25% of calls, in daily 14:00-14:15 UTC)"
    assert t.sunset == date(2027, 1, 31)
    assert table({}).sunset == date(2024, 6, 30) and table({}).for_op("E1") == RouteMode()
    assert table({"E1": "dry_run"}).for_op("E1").mode is Mode.DRY_RUN  # underscore spelling too


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"Z9": "reject"}, "modes.Z9: no legacy operation"),
        ({"E1": "reject", "get_profile": "translate"}, "configured twice"),
        ({"E1": "off"}, "mode must be one of"),
        ({"E1": {"mode": "reject", "fraction": 0.5}}, "only to mode"),
        ({"E1": {"mode": "brownout"}}, "needs a fraction"),
        ({"E1": {"mode": "brownout", "fraction": 1.5}}, "from 0 to 1"),
        ({"E1": {"mode": "brownout", "fraction": True}}, "from 0 to 1"),
        ({"E1": {"mode": "brownout", "windows": ["sometimes"]}}, "is not 'START/END'"),
        ({"E1": {"mode": "brownout", "windows": 3}}, "list of strings"),
        ({"E1": {"mode": "brownout", "fraction": 0.1, "percent": 3}}, "unknown key"),
    ],
)
def test_bad_tables_name_the_entry_and_the_problem(raw: dict[str, Any], needle: str) -> None:
    with pytest.raises(ModesError, match=needle):
        table(raw)


def test_bad_sunset() -> None:
    with pytest.raises(ModesError, match="sunset"):
        table({}, sunset="31/01/2027")


@pytest.mark.parametrize(
    ("window", "inside", "outside"),
    [
        (
            "2026-12-01T10:00/2026-12-01T11:00",
            ["2026-12-01T10:00", "2026-12-01T10:59:59"],
            ["2026-12-01T11:00", "2026-12-01T09:59"],
        ),
        ("2026-12-01T10:00+01:00/2026-12-01T11:00+01:00", ["2026-12-01T09:30"], ["2026-12-01T10:30"]),
        ("daily 14:00-14:15 UTC", ["2026-12-01T14:00", "2026-12-05T14:14:59"], ["2026-12-01T14:15"]),
        ("daily 23:50-00:10", ["2026-12-01T23:55", "2026-12-02T00:05"], ["2026-12-02T00:10"]),
        ("tue,thu 09:00-09:30 UTC", ["2026-12-01T09:10", "2026-12-03T09:29"], ["2026-12-02T09:10"]),
        ("sun 23:00-01:00", ["2026-12-06T23:30", "2026-12-07T00:30"], ["2026-12-07T23:30"]),
    ],
)
def test_windows(window: str, inside: list[str], outside: list[str]) -> None:
    w = parse_window(window)
    assert str(w) == window
    assert all(w.contains(at(t)) for t in inside)
    assert not any(w.contains(at(t)) for t in outside)


@pytest.mark.parametrize(
    ("window", "needle"),
    [
        ("2026-12-01T11:00/2026-12-01T10:00", "not after"),
        ("daily 10:00-10:00", "same time"),
        ("daily 24:00-25:00", "not a time of day"),
        ("funday 10:00-11:00", "is not 'START/END'"),
        ("mon,xyz 10:00-11:00", "not a weekday"),
        ("daily 10:00-11:00 CET", "is not 'START/END'"),
        ("yesterday/today", "not an ISO date-time"),
    ],
)
def test_bad_windows(window: str, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        parse_window(window)


def test_brownout_action_uses_windows_then_the_fraction() -> None:
    mode = RouteMode(Mode.BROWNOUT, 0.5, (parse_window("daily 14:00-14:15"),))
    assert mode.action(at("2026-12-01T14:01"), lambda: 0.99) is Mode.REJECT
    assert mode.action(at("2026-12-01T15:00"), lambda: 0.49) is Mode.REJECT
    assert mode.action(at("2026-12-01T15:00"), lambda: 0.5) is Mode.TRANSLATE
    assert RouteMode(Mode.DRY_RUN).action(at("2026-12-01T14:01"), lambda: 0.0) is Mode.DRY_RUN


def test_modes_from_toml_and_environment(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        'sunset = "2027-01-31"\n[modes]\nE1 = "reject"\n[modes.F6]\nmode = "brownout"\nfraction = 0.1\n'
    )
    s = load(config=cfg, environ={})
    assert (
        s.modes == {"E1": "reject", "F6": {"mode": "brownout", "fraction": 0.1}} and s.sunset == "2027-01-31"
    )
    s = load(environ={"KLAVIYO_COMPAT_MODES": "default=dry-run, E1=reject"})
    assert table(s.modes).for_op("E1").mode is Mode.REJECT and table(s.modes).default.mode is Mode.DRY_RUN


def test_reloader_swaps_good_files_and_keeps_the_old_table_on_bad_ones(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[modes]\nE1 = "reject"\n')
    holder = ModeHolder(table({"E1": "reject"}))
    results: list[str] = []
    reloader = ModeReloader(holder, cfg, REGISTRY, observe=results.append)
    assert reloader.poll() is False  # unchanged file: nothing read
    before = holder.table
    cfg.write_text('[modes]\nE1 = "nope"\n')
    os.utime(cfg, ns=(1, 1))
    assert reloader.poll() is False and holder.table is before
    cfg.write_text('[modes]\nE1 = "dry-run"\n')
    os.utime(cfg, ns=(2, 2))
    assert reloader.poll() is True and holder.table.for_op("E1").mode is Mode.DRY_RUN
    cfg.unlink()
    assert reloader.poll() is False and holder.table.for_op("E1").mode is Mode.DRY_RUN
    assert results == ["refused", "ok", "refused"]
