"""Settings from the environment and the institution file (TOML), validated once at start-up.

The institution file says who the institution is, who receives callback alerts, which support
resources it offers, and how alerts escalate. Every field has a built-in default so the service
runs without one; a broken file stops start-up with the file, the line and the problem.
"""
from __future__ import annotations

import os
import re
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError

ENV_KEYS = (
    "TWILIO_AUTH_TOKEN",
    "TWILIO_AUTH_TOKEN_SECONDARY",
    "TWILIO_ACCOUNT_SID",
    "HELPLINE_PUBLIC_URL",
    "REDIS_URL",
    "HELPLINE_DATA_DIR",
    "HELPLINE_CONFIG",
    "HELPLINE_FROM_NUMBER",
    "TWILIO_API_BASE_URL",
    "HELPLINE_SECRET_KEY",
    "HELPLINE_LOG_LEVEL",
)
DEFAULTS = {
    "TWILIO_AUTH_TOKEN": None,
    "TWILIO_AUTH_TOKEN_SECONDARY": None,
    "TWILIO_ACCOUNT_SID": "ACLOCAL00000000000000000000000000",
    "HELPLINE_PUBLIC_URL": None,
    "REDIS_URL": None,
    "HELPLINE_DATA_DIR": "var",
    "HELPLINE_CONFIG": None,
    "HELPLINE_FROM_NUMBER": "+33100000000",
    "TWILIO_API_BASE_URL": "https://api.twilio.com",
    "HELPLINE_SECRET_KEY": None,
    "HELPLINE_LOG_LEVEL": "INFO",
}
LOCALES = ("fr", "en")
RESOURCE_KINDS = ("psychologist", "occupational_health", "quality_officer", "liaison", "other")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass(frozen=True)
class Coordinator:
    """A person who receives callback alerts, in the order of the file."""

    name: str
    phone: str
    locale: str = "fr"


@dataclass(frozen=True)
class Resource:
    """One of the institution's own support resources, offered in the menu and by SMS."""

    kind: str
    name: str
    phone: str
    hours: str = ""


@dataclass(frozen=True)
class Institution:
    """Everything the institution file can say, with the built-in defaults."""

    name: str = "Votre établissement"
    default_locale: str = "fr"
    coordinators: tuple[Coordinator, ...] = ()
    resources: tuple[Resource, ...] = ()
    escalate_after_seconds: int = 300
    first_call_after_seconds: int = 60
    callback_within_hours: int = 24
    retention_days: int = 30
    audit_retention_days: int = 365
    source: str = "built-in defaults"
    extra: dict = field(default_factory=dict, compare=False, repr=False)


def settings_from_env(environ: os._Environ | dict | None = None) -> dict:
    """Read the documented environment variables; unset ones keep their defaults."""
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    for key in ENV_KEYS:
        value = environ.get(key)
        if value not in (None, ""):
            settings[key] = value
    return settings


def secret_from_file(data_dir: Path, name: str) -> str:
    """Return a random secret kept in the data directory (created 0600 on first use)."""
    path = Path(data_dir) / name
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    return value


class _FileErrors:
    """Builds ConfigError messages that name the file and the line of the offending value."""

    def __init__(self, path: Path, text: str):
        self.path, self.lines = path, text.splitlines()

    def line_of(self, *needles: str) -> int | None:
        for needle in needles:
            if not needle:
                continue
            for number, line in enumerate(self.lines, start=1):
                if needle in line.split("#", 1)[0]:
                    return number
        return None

    def error(self, problem: str, *needles: str) -> ConfigError:
        line = self.line_of(*needles)
        where = f"{self.path}, line {line}" if line else str(self.path)
        return ConfigError(f"{where}: {problem}")


def load_institution(path: str | os.PathLike | None) -> Institution:
    """Load and validate the institution file; None gives the built-in defaults."""
    if not path:
        return Institution()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the institution file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: the institution file is not UTF-8 text") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    return _institution_from_mapping(data, _FileErrors(path, text), str(path))


def _institution_from_mapping(data: dict, errors: _FileErrors, source: str) -> Institution:
    known = {"institution", "coordinators", "resources", "alerts", "callbacks", "privacy"}
    for key in data:
        if key not in known:
            raise errors.error(f"unknown section [{key}] (expected one of {', '.join(sorted(known))})", f"[{key}", key)
    inst = _table(data, "institution", errors)
    alerts = _table(data, "alerts", errors)
    callbacks = _table(data, "callbacks", errors)
    privacy = _table(data, "privacy", errors)
    default_locale = _string(inst, "default_locale", "fr", errors)
    if default_locale not in LOCALES:
        raise errors.error(f"default_locale must be one of {', '.join(LOCALES)}, not {default_locale!r}", "default_locale")
    return Institution(
        name=_string(inst, "name", Institution.name, errors),
        default_locale=default_locale,
        coordinators=tuple(_coordinator(c, errors) for c in _array(data, "coordinators", errors)),
        resources=tuple(_resource(r, errors) for r in _array(data, "resources", errors)),
        escalate_after_seconds=_positive(alerts, "escalate_after_seconds", 300, errors),
        first_call_after_seconds=_positive(alerts, "first_call_after_seconds", 60, errors),
        callback_within_hours=_positive(callbacks, "within_hours", 24, errors),
        retention_days=_positive(privacy, "retention_days", 30, errors),
        audit_retention_days=_positive(privacy, "audit_retention_days", 365, errors),
        source=source,
        extra={"alerts": alerts, "callbacks": callbacks, "privacy": privacy},
    )


def _table(data: dict, key: str, errors: _FileErrors) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise errors.error(f"[{key}] must be a table", key)
    return value


def _array(data: dict, key: str, errors: _FileErrors) -> list:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise errors.error(f"{key} must be written as [[{key}]] tables", key)
    return value


def _string(table: dict, key: str, default: str | None, errors: _FileErrors, *, required: bool = False) -> str:
    if key not in table:
        if required:
            raise errors.error(f"missing required field {key!r} near {table!r}", *(str(v) for v in table.values()))
        return default
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        raise errors.error(f"{key} must be a non-empty string, not {value!r}", f"{key}")
    return value.strip()


def _positive(table: dict, key: str, default: int, errors: _FileErrors) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise errors.error(f"{key} must be a positive whole number, not {value!r}", key)
    return value


def _phone(table: dict, errors: _FileErrors) -> str:
    phone = _string(table, "phone", None, errors, required=True).replace(" ", "")
    if not E164.match(phone):
        raise errors.error(f"phone {table['phone']!r} is not an E.164 number such as +33612345678", str(table["phone"]))
    return phone


def _coordinator(table: dict, errors: _FileErrors) -> Coordinator:
    locale = _string(table, "locale", "fr", errors)
    if locale not in LOCALES:
        raise errors.error(f"coordinator locale must be one of {', '.join(LOCALES)}, not {locale!r}", f'"{locale}"')
    return Coordinator(name=_string(table, "name", None, errors, required=True), phone=_phone(table, errors), locale=locale)


def _resource(table: dict, errors: _FileErrors) -> Resource:
    kind = _string(table, "kind", None, errors, required=True)
    if kind not in RESOURCE_KINDS:
        raise errors.error(f"resource kind must be one of {', '.join(RESOURCE_KINDS)}, not {kind!r}", f'"{kind}"')
    return Resource(
        kind=kind,
        name=_string(table, "name", None, errors, required=True),
        phone=_phone(table, errors),
        hours=_string(table, "hours", "", errors),
    )
