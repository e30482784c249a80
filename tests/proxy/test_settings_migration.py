"""The staged-migration settings: defaults, precedence and clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.settings import Settings, SettingsError, load


def test_the_command_line_records_traffic_in_the_state_dir_by_default(tmp_path: Path) -> None:
    s = load(environ={"XDG_STATE_HOME": str(tmp_path)})
    assert s.traffic_db == str(tmp_path / "klaviyo-compat" / "traffic.sqlite3") and s.records_traffic
    assert not Settings().records_traffic  # in code (embedding, tests) recording is opt-in
    assert not load(environ={"KLAVIYO_COMPAT_TRAFFIC_DB": "off"}).records_traffic


def test_traffic_and_admin_settings_from_toml_and_environment(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        'traffic_db = "/var/lib/kc/t.sqlite3"\ntraffic_retention_days = 30\nadmin_port = 9100\n'
        'caller_header = "X-App"\nadmin_token = "from-toml"\n'
    )
    s = load(config=cfg, environ={"KLAVIYO_COMPAT_ADMIN_TOKEN": "from-env"}, flags={"admin_port": 9101})
    assert (s.traffic_db, s.traffic_retention_days, s.caller_header) == (
        "/var/lib/kc/t.sqlite3",
        30.0,
        "X-App",
    )
    assert s.admin_token == "from-env" and s.admin_port == 9101
    assert "from-env" not in repr(s)


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        ({"sunset": "next year"}, "sunset"),
        ({"caller_header": "X Caller"}, "caller_header"),
        ({"admin_port": 70000}, "admin_port"),
        ({"admin_port": 8080}, "must differ from port"),
        ({"traffic_batch_size": 0}, "traffic_batch_size"),
        ({"traffic_retention_days": -1}, "traffic_retention_days"),
        ({"config_poll_seconds": -1}, "config_poll_seconds"),
    ],
)
def test_bad_values_are_refused(flags: dict[str, object], needle: str) -> None:
    with pytest.raises(SettingsError, match=needle):
        load(flags=flags, environ={})
