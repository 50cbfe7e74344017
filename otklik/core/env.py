"""Strict parsing of settings from the environment.

A wrong value stops start-up with a message that names the variable, rather than surfacing later
as a surprise (the approach healthchecks takes).
"""

from __future__ import annotations

import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected an integer") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value}: must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name}={value}: must be at most {maximum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_timezone(name: str, default: str) -> str:
    raw = os.environ.get(name, default)
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name}={raw!r}: not a known IANA time zone") from None
    return raw


def env_choice(name: str, default: str, choices: set[str]) -> str:
    raw = os.environ.get(name, default)
    if raw not in choices:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected one of {', '.join(sorted(choices))}")
    return raw


# Public: it is in the repository. Only development (make demo, tests) may sign with it.
DEVELOPMENT_SECRET_KEY = "otklik-development-key-not-for-production"
_KNOWN_PUBLIC_KEYS = {DEVELOPMENT_SECRET_KEY, "secret", "changeme", "change-me", "secret-key", "your-secret-key"}
MIN_SECRET_KEY_LENGTH = 12


def secret_key_problem(key: str) -> str | None:
    """Why ``key`` cannot sign sessions and links in production, or None when it can."""
    if not key:
        return "not set"
    if key in _KNOWN_PUBLIC_KEYS or key.startswith("django-insecure"):
        return "a publicly known value"
    if len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < 5:
        return f"too weak (at least {MIN_SECRET_KEY_LENGTH} characters, 5 of them different)"
    return None
