"""Per-route migration modes: an immutable ``ModeTable`` built from the ``[modes]`` config table.

```toml
sunset = "2027-01-31"          # the Sunset header's date

[modes]
default = "translate"          # every operation without its own entry
X1 = "reject"                  # by operation id ...
get_things = "dry-run"         # ... or by operation name (both as `klaviyo-compat routes` lists them)

[modes.X2]                     # brownout: reject in windows and/or for a fraction of calls
mode = "brownout"
fraction = 0.25
windows = ["2026-12-01T10:00/2026-12-01T11:00", "daily 14:00-14:15 UTC"]
```

Tables are replaced whole on reload (see ``proxy.policy.reload``), never mutated, so a request
sees one consistent table from start to end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from mappings import protocol
from mappings.core import Operation
from proxy.policy.windows import Window, parse_window
from proxy.settings import Settings, SettingsError


class ModesError(SettingsError):
    """A ``[modes]`` table that cannot be used; the message says which entry and why."""


class Mode(StrEnum):
    TRANSLATE = "translate"
    REJECT = "reject"
    DRY_RUN = "dry-run"
    BROWNOUT = "brownout"


RETIRED = date.fromisoformat(protocol.RETIRED_ON)
_SPELLINGS = {m.value: m for m in Mode} | {"dry_run": Mode.DRY_RUN, "dryrun": Mode.DRY_RUN}
_TABLE_KEYS = frozenset({"mode", "fraction", "windows"})


@dataclass(frozen=True)
class RouteMode:
    mode: Mode = Mode.TRANSLATE
    fraction: float = 0.0  # brownout: share of calls rejected outside windows
    windows: tuple[Window, ...] = ()  # brownout: every call inside is rejected

    def action(self, now: datetime, draw: Callable[[], float]) -> Mode:
        """What this call gets: TRANSLATE, REJECT or DRY_RUN (a brownout resolves to one of the first two)."""
        if self.mode is not Mode.BROWNOUT:
            return self.mode
        if any(w.contains(now) for w in self.windows):
            return Mode.REJECT
        if self.fraction > 0 and draw() < self.fraction:
            return Mode.REJECT
        return Mode.TRANSLATE

    def describe(self) -> str:
        if self.mode is not Mode.BROWNOUT:
            return self.mode.value
        parts = []
        if self.fraction:
            parts.append(f"{self.fraction:.0%} of calls")
        if self.windows:
            parts.append("in " + "; ".join(str(w) for w in self.windows))
        return "brownout (" + ", ".join(parts) + ")"


@dataclass(frozen=True)
class ModeTable:
    default: RouteMode = RouteMode()
    routes: Mapping[str, RouteMode] = field(default_factory=lambda: MappingProxyType({}))
    sunset: date = RETIRED
    sunset_chosen: bool = False  # False: the operator set no date, the header says RETIRED

    def for_op(self, op_id: str) -> RouteMode:
        return self.routes.get(op_id, self.default)


def _route_mode(key: str, value: Any) -> RouteMode:
    where = f"modes.{key}"
    table: Mapping[str, Any] = value if isinstance(value, Mapping) else {"mode": value}
    unknown = set(table) - _TABLE_KEYS
    if unknown:
        raise ModesError(f"{where}: unknown key(s) {sorted(unknown)} (use mode, fraction, windows)")
    name = table.get("mode")
    mode = _SPELLINGS.get(str(name).strip().lower()) if isinstance(name, str) else None
    if mode is None:
        raise ModesError(f"{where}: mode must be one of {', '.join(m.value for m in Mode)}, got {name!r}")
    fraction, windows_raw = table.get("fraction", 0.0), table.get("windows", [])
    if mode is not Mode.BROWNOUT and ("fraction" in table or "windows" in table):
        raise ModesError(f'{where}: fraction and windows apply only to mode = "brownout"')
    if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 <= fraction <= 1:
        raise ModesError(f"{where}: fraction must be a number from 0 to 1, got {fraction!r}")
    if isinstance(windows_raw, str):
        windows_raw = [windows_raw]
    if not isinstance(windows_raw, list):
        raise ModesError(f"{where}: windows must be a list of strings")
    try:
        windows = tuple(parse_window(w) for w in windows_raw)
    except ValueError as exc:
        raise ModesError(f"{where}: {exc}") from None
    if mode is Mode.BROWNOUT and not fraction and not windows:
        raise ModesError(f"{where}: a brownout needs a fraction above 0 or at least one window")
    return RouteMode(mode, float(fraction), windows)


def parse_modes(raw: Mapping[str, Any], sunset: str, operations: Iterable[Operation]) -> ModeTable:
    """Build the table; keys are ``default``, operation ids or operation names."""
    ops = list(operations)
    by_key: dict[str, str] = {op.name: op.id for op in ops}
    ambiguous = {op.name for op in ops if by_key[op.name] != op.id}
    by_key.update({op.id: op.id for op in ops})
    default = RouteMode()
    routes: dict[str, RouteMode] = {}
    spelled: dict[str, str] = {}
    for key, value in raw.items():
        if key == "default":
            default = _route_mode(key, value)
            continue
        if key in ambiguous and key not in {op.id for op in ops}:
            raise ModesError(f"modes.{key}: several legacy operations have this name; use the id")
        op_id = by_key.get(key)
        if op_id is None:
            raise ModesError(
                f"modes.{key}: no legacy operation has this id or name (see klaviyo-compat routes)"
            )
        if op_id in spelled:
            raise ModesError(f"modes: operation {op_id} is configured twice ({spelled[op_id]} and {key})")
        spelled[op_id] = key
        routes[op_id] = _route_mode(key, value)
    try:
        sunset_date = date.fromisoformat(sunset) if sunset else RETIRED
    except ValueError:
        raise ModesError(f"sunset must be a date like 2027-01-31, got {sunset!r}") from None
    return ModeTable(default, MappingProxyType(routes), sunset_date, sunset_chosen=bool(sunset))


def from_settings(settings: Settings, operations: Iterable[Operation]) -> ModeTable:
    return parse_modes(settings.modes, settings.sunset, operations)
