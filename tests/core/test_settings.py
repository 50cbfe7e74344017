import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _start(**env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(env)
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
