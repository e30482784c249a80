"""Proxy settings: defaults < TOML file < environment (KLAVIYO_COMPAT_*) < command-line flags."""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any

from mappings.protocol import PRIVATE_KEY_RE
from mappings.upstream_ops import REVISION as SPEC_REVISION

ENV_PREFIX = "KLAVIYO_COMPAT_"
DEFAULT_REVISION = SPEC_REVISION  # the pinned spec's revision: one definition
TRAFFIC_OFF = "off"
_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_BETA_REVISION = re.compile(r"^\d{4}-\d{2}-\d{2}\.pre$")
_SECRET_FIELDS = ("token_keys", "admin_token", "hash_secret", "state_url")
STATE_SCHEMES = ("redis://", "rediss://", "unix://")
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")
# rate_budgets: budget a pair once the upstream declares limits, from the spec's tiers at once, or never.
BUDGETS_UPSTREAM, BUDGETS_SPEC, BUDGETS_OFF = "upstream", "spec", "off"
BUDGET_MODES = (BUDGETS_UPSTREAM, BUDGETS_SPEC, BUDGETS_OFF)
# Variables in the prefix that are not settings: the config file's path and the test suite's
# switches (CI exports them, and the serve subprocesses the tests start inherit them).
ENV_NOT_SETTINGS = ("CONFIG", "REQUIRE_SPEC", "REQUIRE_CHROMIUM", "REQUIRE_REDIS", "WORKER_FLAGS")


class SettingsError(ValueError):
    """A setting that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    """Everything the proxy can be told. See the README's configuration table."""

    upstream: str = ""  # new-API base URL, e.g. https://a.klaviyo.com
    sandbox: bool = False  # serve the embedded sandbox as upstream (demo / tests)
    host: str = "127.0.0.1"
    port: int = 8080
    revision: str = DEFAULT_REVISION
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    # Ceiling on one legacy call, all its upstream calls together (legacy answer 503 / "0").
    request_deadline: float = 55.0
    # Inbound connections (issue 8, finding 5; see proxy/engine/serving.py): open connections
    # beyond max_connections get an immediate 503; headers must be complete within
    # header_timeout seconds; at most max_header_bytes and max_header_count (431 beyond); an
    # idle kept-alive connection closes after keep_alive_timeout (longer than client pools keep one).
    max_connections: int = 1000
    header_timeout: float = 10.0
    max_header_bytes: int = 32_768
    max_header_count: int = 100
    keep_alive_timeout: float = 75.0
    pool_size: int = 100  # upstream connections for translated legacy calls
    # Upstream connections for the new-API pass-through: its own pool, so neither starves the other.
    passthrough_pool_size: int = 50
    # Calls one account (a hash of its key) may have in flight at once, legacy and pass-through
    # each; more wait within the request deadline. Keeps one tenant from holding a whole pool.
    account_concurrency: int = 20
    # Public key -> private key: calls authenticated by that public key go upstream with the private one.
    token_keys: Mapping[str, str] = field(default_factory=dict)
    # Seconds an enumerated upstream collection (legacy offset pages) may be reused.
    collection_cache_ttl: float = 60.0
    collection_cache_entries: int = 256
    # person_count / num_recipients (``CachedLookups``): re-read a count older than this many
    # seconds when the operation's rate budget allows; false: never read (counts answer 0).
    count_lookups: bool = True
    count_max_age: float = 300.0
    # B9: answer an approximate recipient list (sent: "Received Email" events; draft: the estimate).
    approximate_recipients: bool = False
    # C7: send a template through the new API's beta template preview-send job (test sends);
    # needs beta_revision too (the revision header of beta calls, e.g. "2026-07-15.pre").
    template_send_beta: bool = False
    beta_revision: str = ""
    # Legacy continuation tokens (``SaveToken``): lifetime and bound.
    token_ttl: float = 3600.0
    token_entries: int = 100_000
    token_entries_per_account: int = 10_000  # one account's share; a full store evicts the biggest first
    # The upstream client: "aiohttp" (used directly; default, least CPU) or "httpx" (httpcore pool).
    transport: str = "h1"
    log_level: str = "info"
    log_format: str = "json"  # or "console"
    access_log: bool = True
    # Staged migration: the raw [modes] table (parsed by proxy.policy.modes) and the Sunset date
    # (YYYY-MM-DD; "" = the date the legacy API was retired). Both reload without a restart.
    modes: Mapping[str, Any] = field(default_factory=dict)
    sunset: str = ""
    config_poll_seconds: float = 2.0  # how often the config file's mtime is checked (0: SIGHUP only)
    # Traffic record: SQLite path ("" in code = off; load() picks the state dir; "off" = off).
    traffic_db: str = ""
    traffic_retention_days: float = 90.0
    traffic_batch_size: int = 200
    traffic_flush_ms: int = 500
    traffic_queue_size: int = 10_000
    # With state_url: batches the shared traffic stream keeps for `klaviyo-compat recorder`
    # (XADD MAXLEN ~; each entry is one batch of up to traffic_batch_size records).
    traffic_stream_entries: int = 10_000
    caller_header: str = "X-Compat-Caller"  # optional caller label apps may send
    report_max_callers: int = 50  # report/dashboard: top callers kept, the rest folded per operation
    # Admin paths (/_compat/, /_compat/report, /metrics): token and/or a separate port.
    admin_token: str = ""
    admin_port: int = 0
    admin_host: str = "127.0.0.1"
    # HMAC secret of every caller/client/log hash ("" = generated once, kept next to traffic_db).
    hash_secret: str = ""
    # Reliability (README "Reliability"): write spool, retries, circuit breakers, rate budgets.
    spool_db: str = ""  # SQLite write spool ("" in code = off; load() picks the state dir; "off" = off)
    spool_max_entries: int = 1_000_000  # pending + dead letters; beyond it writes answer the failure
    spool_backoff: float = 1.0  # first redelivery wait (doubles per attempt, full jitter)
    spool_backoff_max: float = 300.0
    spool_poll_seconds: float = 1.0
    spool_after: float = 5.0  # a fire-and-forget write slower than this upstream is spooled instead
    retry_attempts: int = 3  # per idempotent upstream call, inside request_deadline (1 = no retry)
    retry_backoff: float = 0.2
    retry_backoff_max: float = 5.0
    breaker_failures: int = 5  # consecutive 5xx/unreachable per upstream operation before it opens
    breaker_open_seconds: float = 10.0
    # Per-account rate budgets (README "Rate budgets"): "upstream" (each account and operation once
    # the upstream declares its limits: RateLimit-Limit or a 429), "spec" (the spec's tiers from the
    # first call) or "off". The old booleans still work: true = "upstream", false = "off".
    rate_budgets: str = BUDGETS_UPSTREAM
    rate_budget_scale: float = 1.0  # fraction of the spec's limits to use (e.g. 0.5: two replicas)
    budget_wait: float = 0.5  # longest wait for budget before spooling (writes) or 429 (reads)
    # Seconds in-flight calls get to finish after SIGTERM before connections are closed.
    shutdown_timeout: float = 20.0
    # Serve HTTPS with this certificate (chain) and key, e.g. made by `klaviyo-compat cert`.
    tls_cert: str = ""
    tls_key: str = ""
    # Shared state of several replicas ("" = in this process): redis://, rediss:// or unix:// URL.
    # A secret (it may carry a password): masked in reprs, ``check`` and logs.
    state_url: str = ""
    # Start even if that Redis may lose entries (appendonly off, an allkeys-* eviction policy).
    state_accept_volatile: bool = False
    # Seconds one state-backend command may take before the backend counts as down.
    state_timeout: float = 1.0

    def __repr__(self) -> str:  # never print private keys or the admin token
        shown = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _SECRET_FIELDS}
        shown["token_keys"] = {t: "pk_***" for t in self.token_keys}
        shown["admin_token"] = "***" if self.admin_token else ""
        shown["hash_secret"] = "***" if self.hash_secret else ""
        shown["state_url"] = mask_url(self.state_url)
        return f"Settings({shown})"

    @property
    def records_traffic(self) -> bool:
        return self.traffic_db not in ("", TRAFFIC_OFF)

    @property
    def spools(self) -> bool:
        return self.spool_db not in ("", TRAFFIC_OFF)


def mask_url(url: str) -> str:
    """A state URL as it may be shown: its scheme only (host, user and password may be secret)."""
    if not url:
        return ""
    scheme, sep, _ = url.partition("://")
    return f"{scheme}://***" if sep else "***"


def default_traffic_db(environ: Mapping[str, str]) -> str:
    """``$XDG_STATE_HOME/klaviyo-compat/traffic.sqlite3`` (``~/.local/state`` when unset)."""
    state = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return str(Path(state) / "klaviyo-compat" / "traffic.sqlite3")


_FIELD_TYPES = {f.name: f.type for f in fields(Settings)}


def _coerce(name: str, value: Any) -> Any:
    kind = _FIELD_TYPES[name]
    try:
        if kind == "bool":
            return _bool(value)
        if name == "rate_budgets":
            return budget_mode(value)
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if name == "token_keys":
            if isinstance(value, Mapping):
                return {str(k): str(v) for k, v in value.items()}
            return _pairs(value)  # env form: "TOKEN1=pk_...,TOKEN2=pk_..."
        if name == "modes":
            if isinstance(value, Mapping):
                return dict(value)
            return _pairs(value)  # env form: "default=translate,E1=reject"
        return str(value)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"setting {name!r}: cannot use {value!r} ({exc})") from None


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError(f"not a boolean: use one of {', '.join(_TRUE)} or {', '.join(v for v in _FALSE if v)}")


def budget_mode(value: Any) -> str:
    """A ``rate_budgets`` value: a mode, or a boolean of the old setting (true: ``upstream``)."""
    text = str(value).strip().lower()
    if text in BUDGET_MODES:
        return text
    if text in _TRUE or text in _FALSE:  # str(True) is "True": Python and TOML booleans too
        return BUDGETS_UPSTREAM if text in _TRUE else BUDGETS_OFF
    raise ValueError(f"use one of {', '.join(BUDGET_MODES)} (or a boolean: true = upstream, false = off)")


def closest(name: str, known: Any = None) -> str:
    """`` (did you mean 'x'?)`` for the setting closest to ``name``, or ``""``."""
    matches = difflib.get_close_matches(name.lower(), list(known or _FIELD_TYPES), n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def _pairs(value: Any) -> dict[str, str]:
    pairs = [p for p in str(value).split(",") if p.strip()]
    return {k.strip(): v.strip() for k, v in (p.strip().split("=", 1) for p in pairs)}


def _apply(base: Settings, values: Mapping[str, Any], source: str) -> Settings:
    changes: dict[str, Any] = {}
    for raw_name, value in values.items():
        name = raw_name.replace("-", "_").lower()
        if name not in _FIELD_TYPES:
            raise SettingsError(f"{source}: unknown setting {raw_name!r}{closest(name)}")
        if value is None:
            continue
        changes[name] = _coerce(name, value)
    return replace(base, **changes)


def from_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config file {path}: {exc}") from None
    except UnicodeError as exc:
        raise SettingsError(f"config file {path} is not UTF-8 text: {exc}") from None
    except OSError as exc:  # permission denied, a directory, an I/O error...
        raise SettingsError(f"config file {path} cannot be read: {exc.strerror or exc}") from None
    # Top-level keys, or a [proxy] table; [token_keys] is a table of token = "pk_...".
    merged: dict[str, Any] = dict(data.get("proxy", {}))
    merged.update({k: v for k, v in data.items() if k != "proxy"})
    return merged


def from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """The ``KLAVIYO_COMPAT_*`` settings; any other variable in the prefix is a mistake, refused."""
    values: dict[str, Any] = {}
    for key, value in environ.items():
        if not key.startswith(ENV_PREFIX):
            continue
        name = key[len(ENV_PREFIX) :]
        if name.lower() in _FIELD_TYPES:
            values[name.lower()] = value
        elif name not in ENV_NOT_SETTINGS:
            hint = difflib.get_close_matches(name.lower(), list(_FIELD_TYPES), n=1, cutoff=0.6)
            meant = f" (did you mean {ENV_PREFIX}{hint[0].upper()}?)" if hint else ""
            raise SettingsError(f"environment: {key} is not a setting{meant}")
    return values


def load(
    config: Path | None = None,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build settings with precedence: defaults < TOML < environment < flags."""
    return load_with_sources(config, flags, environ)[0]


def load_with_sources(
    config: Path | None = None,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[Settings, dict[str, str]]:
    """``load``, plus where each setting not left at its default came from (``klaviyo-compat check``)."""
    settings = Settings()
    sources: dict[str, str] = {}
    env = os.environ if environ is None else environ
    env_values = from_env(env)
    if config is None and env.get(ENV_PREFIX + "CONFIG"):
        config = Path(env[ENV_PREFIX + "CONFIG"])
    layers: list[tuple[Mapping[str, Any], str]] = []
    if config is not None:
        layers.append((from_toml(config), f"file {config}"))
    layers += [(env_values, "environment"), (flags or {}, "command line")]
    for values, source in layers:
        settings = _apply(settings, values, source)
        given = (k.replace("-", "_").lower() for k, v in values.items() if v is not None)
        sources.update({name: source for name in given})
    if not settings.traffic_db:
        settings = replace(settings, traffic_db=default_traffic_db(env))
        sources["traffic_db"] = "default (state directory)"
    if not settings.spool_db:  # next to the traffic record (the state folder when recording is off)
        beside = settings.traffic_db if settings.records_traffic else default_traffic_db(env)
        settings = replace(settings, spool_db=str(Path(beside).with_name("spool.sqlite3")))
        sources["spool_db"] = "default (beside traffic_db)"
    validate(settings)
    return settings, sources


_POSITIVE = (  # settings that must be above zero
    "connect_timeout",
    "read_timeout",
    "request_deadline",
    "pool_size",
    "max_connections",
    "header_timeout",
    "max_header_bytes",
    "max_header_count",
    "keep_alive_timeout",
    "passthrough_pool_size",
    "account_concurrency",
    "collection_cache_entries",
    "token_ttl",
    "token_entries",
    "token_entries_per_account",
    "traffic_retention_days",
    "traffic_batch_size",
    "traffic_flush_ms",
    "traffic_queue_size",
    "traffic_stream_entries",
    "report_max_callers",
    "shutdown_timeout",
    "count_max_age",
    "spool_max_entries",
    "spool_backoff",
    "spool_backoff_max",
    "spool_poll_seconds",
    "spool_after",
    "retry_attempts",
    "breaker_failures",
    "breaker_open_seconds",
    "rate_budget_scale",
    "state_timeout",
)


TRANSPORTS = ("aiohttp", "h1", "httpx")


def validate(settings: Settings) -> None:
    if settings.upstream and not settings.upstream.startswith(("http://", "https://")):
        raise SettingsError(f"upstream must be an http(s) URL, got {settings.upstream!r}")
    if settings.transport not in TRANSPORTS:
        raise SettingsError(f"transport must be 'aiohttp', 'h1' or 'httpx', got {settings.transport!r}")
    if settings.log_level.lower() not in LOG_LEVELS:
        raise SettingsError(f"log_level must be one of {', '.join(LOG_LEVELS)}, got {settings.log_level!r}")
    for token, key in settings.token_keys.items():
        if not PRIVATE_KEY_RE.match(key):
            raise SettingsError(
                f"token_keys: the value for public key {token!r} is not a private key (pk_...): "
                "map each public key to the account's private API key"
            )
    if settings.log_format not in ("json", "console"):
        raise SettingsError(f"log_format must be 'json' or 'console', got {settings.log_format!r}")
    if not settings.revision:
        raise SettingsError("revision must not be empty")
    try:
        budget_mode(settings.rate_budgets)
    except ValueError as exc:
        raise SettingsError(f"rate_budgets: cannot use {settings.rate_budgets!r} ({exc})") from None
    if settings.beta_revision and not _BETA_REVISION.match(settings.beta_revision):
        raise SettingsError(
            f"beta_revision must be a beta revision like 2026-07-15.pre, got {settings.beta_revision!r}"
        )
    if settings.sunset:
        try:
            date.fromisoformat(settings.sunset)
        except ValueError:
            raise SettingsError(f"sunset must be a date like 2027-01-31, got {settings.sunset!r}") from None
    if not _HEADER_NAME.match(settings.caller_header):
        raise SettingsError(f"caller_header must be an HTTP header name, got {settings.caller_header!r}")
    if not 0 <= settings.admin_port <= 65535:
        raise SettingsError(f"admin_port must be a TCP port (0 = none), got {settings.admin_port}")
    if settings.admin_port and settings.admin_port == settings.port:
        raise SettingsError("admin_port must differ from port: admin paths never share the legacy port")
    if not 1 <= settings.port <= 65535:
        raise SettingsError(f"port must be a TCP port (1-65535), got {settings.port}")
    for name in _POSITIVE:
        if getattr(settings, name) <= 0:
            raise SettingsError(f"{name} must be positive, got {getattr(settings, name)!r}")
    if bool(settings.tls_cert) != bool(settings.tls_key):
        raise SettingsError("tls_cert and tls_key go together: give both (or neither, for plain HTTP)")
    for name in ("tls_cert", "tls_key"):
        path = getattr(settings, name)
        if path and not Path(path).is_file():
            raise SettingsError(f"{name}: no file at {path}")
    _validate_state(settings)
    if settings.config_poll_seconds < 0:
        raise SettingsError("config_poll_seconds must be 0 (off) or positive")


def _validate_state(settings: Settings) -> None:
    """``state_url``: a Redis URL, and only with an explicit ``hash_secret``."""
    if not settings.state_url:
        return
    if not settings.state_url.startswith(STATE_SCHEMES):
        raise SettingsError(
            f"state_url must start with {', '.join(STATE_SCHEMES)}, got {mask_url(settings.state_url)!r}"
        )
    if not settings.hash_secret:
        raise SettingsError(
            "state_url needs an explicit hash_secret, the same on every replica "
            "(the account key partitioning shared state is an HMAC under it)"
        )
