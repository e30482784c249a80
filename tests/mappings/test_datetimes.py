"""The legacy datetime renderings: the fast templates agree with ``strftime`` everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from mappings.translate.datetimes import (
    TIMELINE_FORMAT,
    V1_FORMAT,
    V2_FORMAT,
    legacy_datetime,
    parse_iso,
    timeline_datetime,
    v2_datetime,
)

ZONES = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8)), None])
RENDERERS = st.sampled_from(
    [(legacy_datetime, V1_FORMAT), (timeline_datetime, TIMELINE_FORMAT), (v2_datetime, V2_FORMAT)]
)


@given(st.datetimes(timezones=ZONES), RENDERERS)
def test_every_rendering_matches_strftime_of_the_utc_time(
    moment: datetime, renderer: tuple[object, str]
) -> None:
    render, fmt = renderer
    iso = moment.isoformat()
    try:
        expected = parse_iso(iso).strftime(fmt)
    except OverflowError:  # a time near datetime.min/max that UTC cannot hold: not a case here
        return
    assert render(iso) == expected  # type: ignore[operator]


def test_the_three_shapes_and_an_odd_value_left_as_it_is() -> None:
    iso = "2022-11-08T09:05:03.123456+01:00"
    assert legacy_datetime(iso) == "2022-11-08 08:05:03"
    assert timeline_datetime(iso) == "2022-11-08 08:05:03+00:00"
    assert v2_datetime(iso) == "2022-11-08T08:05:03Z"
    assert legacy_datetime("yesterday") == "yesterday" and legacy_datetime(None) is None
