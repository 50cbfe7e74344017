import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _start(**env: str | None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "OTKLIK_DEV",
                                                                     "DEBUG"}}
    environment.update({"OTKLIK_DEV": "1", **env})
    environment = {k: v for k, v in environment.items() if v is not None}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT, env={**environment, "DJANGO_SETTINGS_MODULE": "otklik.settings"},
        capture_output=True, text=True, timeout=60,
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG='maybe'"),
        ("OTKLIK_TIME_ZONE", "Mars/Olympus", "not a known IANA time zone"),
        ("DATABASE_URL", "mysql://root@localhost/db", "only postgresql"),
        ("OTKLIK_QUEUE", "kafka", "OTKLIK_QUEUE='kafka'"),
        ("DB_CONN_MAX_AGE", "-5", "must be at least 0"),
    ],
)
def test_it_refuses_to_start_with_a_wrong_setting(variable, value, message):
    extra = {"DATABASE_URL": "postgresql://u@h/db"} if variable == "DB_CONN_MAX_AGE" else {}
    result = _start(**{variable: value, **extra})
    assert result.returncode != 0
    assert message in result.stderr


def test_it_starts_with_defaults():
    result = _start()
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_it_uses_sqlite_with_wal_and_immediate_transactions_by_default():
    from django.conf import settings

    if os.environ.get("DATABASE_URL"):
        pytest.skip("running on PostgreSQL")
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]
    assert settings.LANGUAGE_CODE == "ru"


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (None, "SECRET_KEY: not set"),
        ("otklik-development-key-not-for-production", "SECRET_KEY: a publicly known value"),
        ("django-insecure-abcdefghijklmnopqrstuvwxyz0123456789", "SECRET_KEY: a publicly known value"),
        ("short", "SECRET_KEY: too weak"),
        ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "SECRET_KEY: too weak"),
    ],
)
def test_outside_development_a_missing_public_or_weak_secret_key_stops_start_up(key, message):
    result = _start(OTKLIK_DEV=None, DEBUG="0", SECRET_KEY=key)
    assert result.returncode != 0
    assert message in result.stderr


def test_outside_development_it_starts_with_a_strong_secret_key():
    result = _start(OTKLIK_DEV=None, DEBUG="0", SECRET_KEY="k7Qz-2pLx9vRtY4mWn8sJd3fGh6Bc1Ae5Ui0Oo")
    assert result.returncode == 0, result.stderr


def _print(expression: str, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update({"OTKLIK_DEV": "1", **env})
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; "
                               f"from django.urls import reverse; print({expression})"],
        cwd=ROOT, env={**environment, "DJANGO_SETTINGS_MODULE": "otklik.settings"},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_passwords_are_hashed_with_argon2_and_sessions_end_with_the_working_day():
    assert _print("settings.PASSWORD_HASHERS[0]") == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert _print("settings.SESSION_COOKIE_AGE, settings.SESSION_EXPIRE_AT_BROWSER_CLOSE") == "36000 True"


def test_behind_tls_cookies_are_secure_and_hsts_is_sent():
    assert _print("settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.SECURE_HSTS_SECONDS",
                  OTKLIK_TLS="1") == "True True 31536000"
    assert _print("settings.SESSION_COOKIE_SECURE, settings.SECURE_HSTS_SECONDS") == "False 0"


def test_the_admin_path_is_configurable():
    assert _print("reverse('admin:index')", OTKLIK_ADMIN_PATH="/control-7f/") == "/control-7f/"
    assert _print("reverse('admin:index')") == "/admin/"


@pytest.mark.postgres_only
@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's JIT")
def test_postgresql_connections_compile_no_query_with_jit():
    """A staff page's counts cost enough for PostgreSQL to JIT-compile them: compiling took longer than
    running them (bench/README.md), so the connections turn it off."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
