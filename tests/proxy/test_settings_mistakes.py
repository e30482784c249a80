"""Configuration mistakes are refused at start-up, naming the variable and the setting meant."""

from pathlib import Path

import pytest

from proxy.settings import SettingsError, load, load_with_sources


def test_a_misspelled_environment_variable_is_refused_with_the_setting_meant() -> None:
    with pytest.raises(SettingsError, match=r"KLAVIYO_COMPAT_UPSTREEM .*KLAVIYO_COMPAT_UPSTREAM"):
        load(environ={"KLAVIYO_COMPAT_UPSTREEM": "https://a.klaviyo.com"})


def test_an_unknown_variable_without_a_close_setting_is_still_refused() -> None:
    with pytest.raises(SettingsError, match="KLAVIYO_COMPAT_ZZZ is not a setting"):
        load(environ={"KLAVIYO_COMPAT_ZZZ": "1"})


def test_the_test_suite_switches_and_the_config_path_are_not_settings_but_allowed() -> None:
    load(environ={"KLAVIYO_COMPAT_REQUIRE_CHROMIUM": "1", "KLAVIYO_COMPAT_REQUIRE_SPEC": "1"})


@pytest.mark.parametrize("value", ["ture", "maybe", "2"])
def test_an_unparsable_boolean_is_refused_not_read_as_false(value: str) -> None:
    with pytest.raises(SettingsError, match=f"'sandbox'.*{value}.*not a boolean"):
        load(environ={"KLAVIYO_COMPAT_SANDBOX": value})


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("ON", True), ("0", False), ("no", False)])
def test_booleans_in_every_usual_spelling(value: str, expected: bool) -> None:
    assert load(environ={"KLAVIYO_COMPAT_ACCESS_LOG": value}).access_log is expected


def test_an_unknown_toml_key_suggests_the_closest_name(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('admin_tokn = "x"\n')
    with pytest.raises(SettingsError, match=r"unknown setting 'admin_tokn' \(did you mean 'admin_token'\?\)"):
        load(config=cfg, environ={})


def test_a_token_keys_value_that_is_not_a_private_key_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[token_keys]\nAbC123 = "AbC123"\n')
    with pytest.raises(SettingsError, match="not a private key") as err:
        load(config=cfg, environ={})
    assert "AbC123" in str(err.value)


def test_a_log_level_outside_the_choices_is_refused() -> None:
    with pytest.raises(SettingsError, match="log_level must be one of debug, info"):
        load(flags={"log_level": "verbose"}, environ={})


def test_sources_say_where_each_setting_came_from(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('upstream = "https://a.klaviyo.com"\nport = 9001\n')
    settings, sources = load_with_sources(
        config=cfg, flags={"port": 9003, "host": None}, environ={"KLAVIYO_COMPAT_REVISION": "2026-10-15"}
    )
    assert settings.port == 9003
    assert sources["upstream"] == f"file {cfg}"
    assert sources["port"] == "command line"
    assert sources["revision"] == "environment"
    assert "host" not in sources


@pytest.mark.parametrize(
    ("value", "mode"),
    [("upstream", "upstream"), ("SPEC", "spec"), ("off", "off"), ("true", "upstream"), ("1", "upstream"),
     ("yes", "upstream"), ("false", "off"), ("0", "off"), ("no", "off")],
)  # fmt: skip
def test_rate_budgets_is_a_mode_and_the_old_booleans_still_work(value: str, mode: str) -> None:
    assert load(environ={"KLAVIYO_COMPAT_RATE_BUDGETS": value}).rate_budgets == mode


def test_rate_budgets_defaults_to_upstream_and_reads_toml_booleans(tmp_path: Path) -> None:
    assert load(environ={}).rate_budgets == "upstream"
    cfg = tmp_path / "c.toml"
    cfg.write_text("rate_budgets = false\n")
    assert load(config=cfg, environ={}).rate_budgets == "off"
    cfg.write_text("rate_budgets = true\n")
    assert load(config=cfg, environ={}).rate_budgets == "upstream"
    cfg.write_text('rate_budgets = "spec"\n')
    assert load(config=cfg, environ={}).rate_budgets == "spec"


@pytest.mark.parametrize("value", ["spce", "always", "2"])
def test_an_unknown_rate_budgets_mode_is_refused_naming_the_choices(value: str) -> None:
    with pytest.raises(SettingsError, match=f"'rate_budgets'.*{value}.*upstream, spec, off"):
        load(environ={"KLAVIYO_COMPAT_RATE_BUDGETS": value})
