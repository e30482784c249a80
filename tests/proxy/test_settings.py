from pathlib import Path

import pytest

from proxy.settings import Settings, SettingsError, load


def test_precedence_defaults_toml_env_flags(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        'upstream = "https://toml.example"\nport = 9001\nread_timeout = 3.5\n'
        '[token_keys]\nAbC123 = "pk_' + "a" * 34 + '"\n'
    )
    env = {"KLAVIYO_COMPAT_PORT": "9002", "KLAVIYO_COMPAT_REVISION": "2026-10-15"}
    s = load(config=cfg, flags={"port": 9003, "host": None}, environ=env)
    assert s.upstream == "https://toml.example"  # only TOML set it
    assert s.read_timeout == 3.5
    assert s.revision == "2026-10-15"  # env over default
    assert s.port == 9003  # flag over env over TOML
    assert s.host == "127.0.0.1"  # None flag = not given
    assert s.token_keys == {"AbC123": "pk_" + "a" * 34}


def test_env_token_keys_and_config_path(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[proxy]\nupstream = "https://x.example"\n')
    k1, k2 = "pk_" + "1" * 30, "pk_" + "2" * 30
    env = {"KLAVIYO_COMPAT_CONFIG": str(cfg), "KLAVIYO_COMPAT_TOKEN_KEYS": f"T1={k1},T2={k2}"}
    s = load(environ=env)
    assert s.upstream == "https://x.example"
    assert s.token_keys == {"T1": k1, "T2": k2}


def test_default_revision() -> None:
    assert load(environ={}).revision == "2026-07-15"


def test_the_c7_beta_opt_in_settings() -> None:
    default = load(environ={})
    assert (default.template_send_beta, default.beta_revision) == (False, "")
    env = {"KLAVIYO_COMPAT_TEMPLATE_SEND_BETA": "true", "KLAVIYO_COMPAT_BETA_REVISION": "2026-07-15.pre"}
    opted = load(environ=env)
    assert (opted.template_send_beta, opted.beta_revision) == (True, "2026-07-15.pre")
    with pytest.raises(SettingsError, match="beta_revision must be a beta revision like"):
        load(environ={"KLAVIYO_COMPAT_BETA_REVISION": "2026-07-15"})


@pytest.mark.parametrize(
    ("flags", "needle"),
    [({"upstream": "ftp://x"}, "http"), ({"port": "eighty"}, "port"), ({"bogus": 1}, "bogus")],
)
def test_bad_settings_are_refused_with_a_clear_message(flags: dict[str, object], needle: str) -> None:
    with pytest.raises(SettingsError, match=needle):
        load(flags=flags, environ={})


def test_bad_toml_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("upstream = \n")
    with pytest.raises(SettingsError, match=str(cfg)):
        load(config=cfg, environ={})


def test_repr_never_shows_private_keys() -> None:
    s = Settings(token_keys={"AbC123": "pk_secretsecretsecret"})
    assert "pk_secret" not in repr(s)


@pytest.mark.parametrize(
    "flags",
    [
        {"port": 99999},
        {"port": 0},
        {"read_timeout": -1},
        {"connect_timeout": 0},
        {"pool_size": 0},
        {"request_deadline": 0},
        {"count_max_age": 0},
    ],
)
def test_values_that_would_turn_into_an_outage_are_refused_at_load(flags: dict[str, object]) -> None:
    name = next(iter(flags))
    with pytest.raises(SettingsError, match=name):
        load(flags=flags, environ={})


def test_opt_ins_and_count_settings_from_the_environment() -> None:
    env = {
        "KLAVIYO_COMPAT_APPROXIMATE_RECIPIENTS": "true",
        "KLAVIYO_COMPAT_COUNT_LOOKUPS": "false",
        "KLAVIYO_COMPAT_COUNT_MAX_AGE": "60",
    }
    settings = load(flags={}, environ=env)
    assert (settings.approximate_recipients, settings.count_lookups, settings.count_max_age) == (
        True,
        False,
        60.0,
    )
    assert (Settings().approximate_recipients, Settings().count_lookups) == (False, True)
