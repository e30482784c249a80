"""Datetime formats: new-API ISO-8601 <-> the three legacy renderings (new-api-mapping.md §5.6).

Everything is converted to UTC first. Unparseable input is returned unchanged by the
``*_datetime`` renderers (a response must never fail on one odd timestamp); ``unix_to_iso``
raises ``ValueError`` because it validates client input.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from mappings.translate.numbers import ascii_float

V1_FORMAT = "%Y-%m-%d %H:%M:%S"  # v1 objects: "2022-01-07 16:52:45"
TIMELINE_FORMAT = "%Y-%m-%d %H:%M:%S+00:00"  # v1 timeline events
V2_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # v2 membership checks


def parse_iso(value: str) -> datetime:
    """ISO-8601 (``Z`` or offset, optional fraction) -> aware UTC datetime; naive means UTC."""
    parsed = datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


# The three renderings as templates over zero-padded fields: ``strftime`` goes through the C
# library's locale-aware formatter, several times slower, and these run for every timestamp of
# every object answered. Years before 1000 (where the C library pads differently) use strftime.
_TEMPLATES = {
    V1_FORMAT: "{0:04d}-{1:02d}-{2:02d} {3:02d}:{4:02d}:{5:02d}",
    TIMELINE_FORMAT: "{0:04d}-{1:02d}-{2:02d} {3:02d}:{4:02d}:{5:02d}+00:00",
    V2_FORMAT: "{0:04d}-{1:02d}-{2:02d}T{3:02d}:{4:02d}:{5:02d}Z",
}


def _render(iso: str | None, fmt: str) -> str | None:
    if iso is None:
        return None
    try:
        d = parse_iso(iso)
    except ValueError:
        return iso
    if d.year < 1000:
        return d.strftime(fmt)
    return _TEMPLATES[fmt].format(d.year, d.month, d.day, d.hour, d.minute, d.second)


def legacy_datetime(iso: str | None) -> str | None:
    """v1 object format ``YYYY-MM-DD HH:MM:SS`` (UTC, no zone)."""
    return _render(iso, V1_FORMAT)


def timeline_datetime(iso: str | None) -> str | None:
    """v1 timeline ``datetime`` format ``YYYY-MM-DD HH:MM:SS+00:00``."""
    return _render(iso, TIMELINE_FORMAT)


def v2_datetime(iso: str | None) -> str | None:
    """v2 format ``YYYY-MM-DDTHH:MM:SSZ``."""
    return _render(iso, V2_FORMAT)


def unix_seconds(iso: str) -> int:
    """ISO-8601 -> integer epoch seconds (timeline ``timestamp``)."""
    return int(parse_iso(iso).timestamp())


def unix_to_iso(ts: int | float | str) -> str:
    """Unix seconds (int, float or numeric string) -> ``2020-05-20T14:11:26+00:00``.

    An ISO-8601 string is accepted too and normalised to UTC. Anything else raises
    ``ValueError``.
    """
    if isinstance(ts, bool) or not isinstance(ts, int | float | str):
        raise ValueError(f"{type(ts).__name__} is not a timestamp")
    if isinstance(ts, str):
        text = ts.strip()
        decimal = ascii_float(text)
        if decimal is None:
            return parse_iso(text).isoformat(timespec="seconds")
        seconds = decimal
    else:
        seconds = float(ts)
    if not math.isfinite(seconds):
        raise ValueError(f"timestamp {ts!r} is not finite")
    try:
        moment = datetime.fromtimestamp(int(seconds), tz=UTC)
    except (OverflowError, OSError) as exc:
        raise ValueError(f"timestamp {ts!r} is out of range") from exc
    return moment.isoformat(timespec="seconds")
