"""Identifiers and timestamps in the shapes Klaviyo uses.

Profiles, events, campaigns and campaign messages carry 26-character ULID-like ids
(Crockford base32, time-ordered); lists, segments, metrics and templates carry short
6-character alphanumeric ids. Timestamps are ISO-8601 in UTC with an explicit ``+00:00``.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from datetime import UTC, datetime

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SHORT_ALPHABET = string.ascii_letters + string.digits

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """Seconds-precision ISO-8601 in UTC, e.g. ``2024-01-02T03:04:05+00:00``."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def parse_iso(text: str) -> datetime | None:
    """Parse an ISO-8601 timestamp; a naive one is taken as UTC. None when unparseable."""
    candidate = text.strip()
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    # A '+' in an un-encoded query string arrives as a space.
    if len(candidate) > 19 and candidate[-6] == " " and candidate[-3] == ":":
        candidate = candidate[:-6] + "+" + candidate[-5:]
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class IdFactory:
    """Makes ids; seeded so that a test can ask for a reproducible sequence."""

    def __init__(self, clock: Clock, seed: int | None = None) -> None:
        self._clock = clock
        self._random = random.Random(seed)
        self._issued: set[str] = set()

    def ulid(self) -> str:
        millis = int(self._clock().timestamp() * 1000)
        while True:
            head = "".join(CROCKFORD[(millis >> (5 * i)) & 31] for i in reversed(range(10)))
            tail = "".join(self._random.choice(CROCKFORD) for _ in range(16))
            if head + tail not in self._issued:
                self._issued.add(head + tail)
                return head + tail

    def short(self) -> str:
        while True:
            candidate = "".join(self._random.choice(SHORT_ALPHABET) for _ in range(6))
            if candidate not in self._issued:
                self._issued.add(candidate)
                return candidate

    def uuid(self) -> str:
        hexdigits = f"{self._random.getrandbits(128):032x}"
        return f"{hexdigits[:8]}-{hexdigits[8:12]}-4{hexdigits[13:16]}-a{hexdigits[17:20]}-{hexdigits[20:]}"
