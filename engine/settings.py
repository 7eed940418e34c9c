"""The settings table: one list of (name, default, help) drives validation, ``--help`` and the docs.

Precedence: command-line option > environment (``PERFRULES_<NAME>``) > config file
(``perfrules.toml``, or the file named by ``PERFRULES_CONFIG``) > default. Secrets (the SMTP password)
come only from the environment and are never echoed.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from perfrules.engine.bundled import bundled_path
from perfrules.engine.errors import ConfigError
from perfrules.engine.vocabulary import LOCALES

if TYPE_CHECKING:
    from perfrules.storage import Database

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # the checkout (tests); bundled files: engine.bundled
ENV_PREFIX = "PERFRULES_"


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone (expected an IANA name such as Asia/Shanghai): {exc}") from None
    return value


def _port(value: str) -> int:
    port = int(value)
    if not 0 < port < 65536:
        raise ValueError("must be between 1 and 65535")
    return port


def _seconds(value: str) -> int:
    seconds = int(value)
    if seconds < 0:
        raise ValueError("must be 0 (off) or a number of seconds")
    return seconds


def _count(minimum: int) -> Callable[[str], int]:
    def check(value: str) -> int:
        number = int(value)
        if number < minimum:
            raise ValueError(f"must be a whole number of at least {minimum}")
        return number

    return check


def _choice(*options: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return value

    return check


def _public_url(value: str) -> str:
    if value and not value.startswith(("http://", "https://")):
        raise ValueError("must start with https:// (or http://), e.g. https://perfrules.example.com")
    return value.rstrip("/")


def _locale(value: str) -> str:
    return _choice(*LOCALES)(value)


@dataclass(frozen=True)
class Setting:
    """One configurable value: its name, default, help text, parser and whether it is secret."""

    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str
    secret: bool = False
    env_only: bool = False

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "database_url",
        "sqlite:///perfrules.db",
        "SQLAlchemy URL of the fact store (SQLite file by default; postgresql+psycopg://… in production).",
    ),
    Setting(
        "db_pool_size",
        10,
        "PostgreSQL: connections each perfrules process keeps open to the database (docs/operations.md, "
        "section 5, sizes them for several instances).",
        _count(1),
    ),
    Setting(
        "db_max_overflow",
        10,
        "PostgreSQL: connections a process may open beyond db_pool_size at a peak (closed again after it).",
        _count(0),
    ),
    Setting("timezone", "Asia/Shanghai", "Company time zone: deadlines, periods and reports use it.", _zone),
    Setting(
        "rules_dir",
        "rules",
        "Folder of the rule files (*.yaml) the engine enforces (default: ./rules, or the "
        "rulebook shipped with perfrules when the working folder has none).",
    ),
    Setting(
        "template_overrides_dir",
        "",
        "Folder where HR may drop templates that override the bundled ones (rendered sandboxed).",
    ),
    Setting("default_locale", "zh-CN", "Language for recipients without one: zh-CN or en.", _locale),
    Setting("outbox_dir", "outbox", "Folder where e-mails are written as .eml files when no SMTP host is set."),
    Setting("smtp_host", "", "SMTP server; empty means write .eml files to outbox_dir instead of sending."),
    Setting("smtp_port", 587, "SMTP port.", _port),
    Setting(
        "smtp_security",
        "starttls",
        "SMTP transport security: none, starttls or ssl.",
        _choice("none", "starttls", "ssl"),
    ),
    Setting("smtp_username", "", "SMTP user name (optional)."),
    Setting("smtp_password", "", "SMTP password; read only from PERFRULES_SMTP_PASSWORD.", secret=True, env_only=True),
    Setting("mail_from", "perfrules@localhost", "Sender address of every notice."),
    Setting(
        "channels_file",
        "",
        "TOML file naming the chat channels (WeCom, DingTalk, Feishu bots, webhooks) that the rulebook's "
        "channels.yaml routes notices to; their keys and secrets come from PERFRULES_CHANNEL_<NAME>_KEY/_SECRET.",
    ),
    Setting("listen_host", "127.0.0.1", "Address the web service binds to (localhost unless told otherwise)."),
    Setting("listen_port", 8000, "Port of the web service.", _port),
    Setting(
        "log_format",
        "auto",
        "Log lines on stderr: auto (readable on a terminal, plain text in a pipe), text, or json (one JSON object "
        "a line, for a log shipper).",
        _choice("auto", "text", "json"),
    ),
    Setting(
        "log_level",
        "info",
        "Least important log lines written: debug, info or warning.",
        _choice("debug", "info", "warning"),
    ),
    Setting(
        "public_url",
        "",
        "The address people open (e.g. https://perfrules.example.com behind a TLS proxy); https makes cookies Secure.",
        _public_url,
    ),
    Setting(
        "secure_cookies",
        "auto",
        "Secure flag on sign-in cookies: auto (when public_url is https or the request came over https), "
        "always or never.",
        _choice("auto", "always", "never"),
    ),
    Setting(
        "dashboard_warm_seconds",
        30,
        "How often `serve` checks for new facts or rules and then fills the KPI value store with every "
        "page's figures of the last month in the background, so no first view computes them; a push wakes "
        "it at once (0: never).",
        _seconds,
    ),
)
BY_NAME: Mapping[str, Setting] = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """Resolved settings. Build with :func:`load_settings`; never read the environment elsewhere."""

    values: Mapping[str, Any] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.values["timezone"])

    @property
    def rules_path(self) -> Path:
        path = Path(self.values["rules_dir"])
        if self.sources["rules_dir"] == "default" and not path.exists():
            return bundled_path("rules")
        return path

    def public_items(self) -> list[tuple[str, str, str]]:
        """(name, shown value, source) for display; secrets are masked."""
        rows = []
        for s in SETTINGS:
            value = self.values[s.name]
            shown = ("********" if value else "") if s.secret else str(value)
            rows.append((s.name, shown, self.sources[s.name]))
        return rows

    def replace(self, **overrides: Any) -> Settings:
        values = dict(self.values)
        sources = dict(self.sources)
        for name, value in overrides.items():
            values[name] = _parse(BY_NAME[name], value)
            sources[name] = "override"
        return Settings(values, sources)


def open_database(settings: Settings, *, upgrade: bool = False) -> Database:
    """The fact store of ``settings.database_url`` with its connection pool (``db_pool_size``,
    ``db_max_overflow``); with ``upgrade`` its schema is created or migrated first."""
    from perfrules.storage.db import Pool, connect

    pool = Pool(settings.values["db_pool_size"], settings.values["db_max_overflow"])
    return connect(settings.values["database_url"], upgrade=upgrade, pool=pool)


def _parse(setting: Setting, raw: Any) -> Any:
    if not isinstance(raw, str):
        raw = str(raw)
    try:
        return setting.parse(raw)
    except ValueError as exc:
        shown = "********" if setting.secret else raw
        raise ConfigError(setting.name, shown, str(exc)) from None


def _config_file(environ: Mapping[str, str]) -> tuple[Path | None, dict[str, Any]]:
    explicit = environ.get(ENV_PREFIX + "CONFIG")
    path = Path(explicit) if explicit else Path("perfrules.toml")
    if not path.exists():
        if explicit:
            raise ConfigError("config", explicit, "file not found")
        return None, {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config", str(path), f"not valid TOML: {exc}") from None
    section = data.get("perfrules", data)
    unknown = sorted(set(section) - set(BY_NAME))
    if unknown:
        raise ConfigError("config", str(path), f"unknown setting(s): {', '.join(unknown)}")
    for name in section:
        if BY_NAME[name].env_only:
            raise ConfigError(name, "********", f"may only be set in the environment ({BY_NAME[name].env_var})")
    return path, section


def load_settings(cli: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Resolve every setting: CLI > environment > config file > default."""
    environ = os.environ if environ is None else environ
    cli = {k: v for k, v in (cli or {}).items() if v is not None}
    path, from_file = _config_file(environ)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for s in SETTINGS:
        if s.name in cli:
            values[s.name], sources[s.name] = _parse(s, cli[s.name]), "command line"
        elif s.env_var in environ:
            values[s.name], sources[s.name] = _parse(s, environ[s.env_var]), s.env_var
        elif s.name in from_file:
            values[s.name], sources[s.name] = _parse(s, from_file[s.name]), str(path)
        else:
            values[s.name], sources[s.name] = s.default, "default"
    return Settings(values, sources)
