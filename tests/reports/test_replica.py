"""Reports read from a read replica (core/replica.py), end to end on two real PostgreSQL databases.

pytest-django owns the test database, so this test makes its own pair beside it: a primary, migrated and
loaded with a synthetic history, and a "replica" copied from it (CREATE DATABASE … TEMPLATE). The primary
then moves on alone, as a primary does while its replica lags; the project runs in subprocesses and a
real granian server with DATABASE_URL=primary and DATABASE_REPLICA_URL=replica. What it shows:

- the dashboard (over HTTP) counts what the replica holds, not the primary's newer appeals;
- the sign-in made by the same server (its session, the last sign-in moment) is written to the primary;
- a frozen monthly report reads the replica while the replica has folded the logs as far as the primary,
  is itself written to the primary, and reads the primary once the replica lags behind the fold.

PostgreSQL only: ``DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test pytest tests/reports/test_replica.py``.
"""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a read replica is PostgreSQL's"),
]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOGIN, PASSWORD = "replica-regional", "secret-pass-1"

SEED = f"""
import django; django.setup()
from django.core.management import call_command
from otklik.accounts.models import Role
from otklik.registry.models import Organization
from tests import factories as f
call_command("generate_load", appeals=300, months=2, seed=1, verbosity=0)
call_command("update_rollups", verbosity=0)
f.user({LOGIN!r}, (Role.REGIONAL_COORDINATOR, Organization.objects.order_by("pk").first()))
"""

# The primary moves on: more appeals, folded into its rollups.
MORE = """
import django; django.setup()
from django.core.management import call_command
call_command("generate_load", appeals=100, months=2, seed=2, verbosity=0)
call_command("update_rollups", verbosity=0)
"""


def _server() -> dict[str, Any]:
    own = settings.DATABASES["default"]
    return {"host": own["HOST"] or "127.0.0.1", "port": int(own["PORT"] or 5432), "user": own["USER"] or "postgres",
            "password": own["PASSWORD"] or None}


def _url(name: str) -> str:
    server = _server()
    auth = server["user"] + (f":{urllib.parse.quote(server['password'])}" if server["password"] else "")
    return f"postgresql://{auth}@{server['host']}:{server['port']}/{name}"


def _sql(dbname: str, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(dbname=dbname, autocommit=True, **_server()) as db:
        cursor = db.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def databases(tmp_path) -> Iterator[dict[str, Any]]:
    suffix = uuid.uuid4().hex[:10]
    primary, replica = f"otk_primary_{suffix}", f"otk_replica_{suffix}"
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(tmp_path)), "LANG": "C.UTF-8",
           "OTKLIK_DEV": "1", "OTKLIK_TWO_FACTOR": "0", "DJANGO_SETTINGS_MODULE": "otklik.settings",
           "PYTHONPATH": str(ROOT), "OTKLIK_VAR_DIR": str(tmp_path), "OTKLIK_QUEUE": "immediate",
           "DATABASE_URL": _url(primary)}
    _sql("postgres", f'CREATE DATABASE "{primary}"')
    try:
        yield {"primary": primary, "replica": replica, "env": env, "var": tmp_path}
    finally:
        for name in (replica, primary):
            _sql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(env: dict[str, str], *args: str, timeout: int = 300) -> str:
    done = subprocess.run([str(BIN / "python"), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


def _submitted(dbname: str, first: dt.date, last: dt.date) -> int:
    return int(_sql(dbname, "SELECT COALESCE(SUM(submitted), 0) FROM reports_dailyrollup WHERE day BETWEEN %s AND %s",
                    (first, last))[0][0])


def _report(dbname: str, month: dt.date) -> dict[str, Any] | None:
    rows = _sql(dbname, "SELECT data FROM reports_report WHERE kind = 'monthly' AND period_start = %s "
                        "AND organization_id = 0", (month,))
    return rows[0][0] if rows else None


def _names(report: dict[str, Any]) -> set[str]:
    return {row["organization"] for row in report["sections"]["messages"]["rows"] if row["organization_id"]}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _sign_in(base: str) -> urllib.request.OpenerDirector:
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                          _NoRedirect())
    page = browser.open(f"{base}/accounts/login/", timeout=30).read().decode()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found, page[:2000]
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": found.group(1), "username": LOGIN, "password": PASSWORD})
    try:
        browser.open(f"{base}/accounts/login/", data=form.encode(), timeout=30)
        raise AssertionError("the sign-in did not redirect")
    except urllib.error.HTTPError as answer:  # the redirect after a successful sign-in, not followed
        assert answer.code == 302, answer.read()[:2000]
    return browser


def test_reports_read_the_replica_and_every_write_goes_to_the_primary(databases):
    primary, replica, env = databases["primary"], databases["replica"], databases["env"]
    _run(env, "manage.py", "migrate", "-v0")
    _run(env, "-c", SEED, timeout=600)
    # The copy is taken while nothing is connected to the primary (a template must be idle).
    _sql("postgres", f'CREATE DATABASE "{replica}" TEMPLATE "{primary}"')
    both = {**env, "DATABASE_REPLICA_URL": _url(replica)}

    today = dt.datetime.now(ZoneInfo(settings.TIME_ZONE)).date()
    month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    month_end = today.replace(day=1) - dt.timedelta(days=1)

    # 1. An organisation's name changes on the primary only; the replica has folded as far as the
    # primary, so the frozen report reads the replica (the old names) and is written to the primary.
    _sql(primary, "UPDATE registry_organization SET short_name = '', name = 'Переименована ' || id")
    _run(both, "manage.py", "generate_reports", "--month", f"{month:%Y-%m}")
    frozen = _report(primary, month)
    assert frozen is not None and _report(replica, month) is None
    assert frozen["summary"]["submitted"] == _submitted(replica, month, month_end) > 0
    assert _names(frozen) and not any(name.startswith("Переименована") for name in _names(frozen))

    # 2. The primary receives more appeals and folds them; the replica lags behind.
    _run(env, "-c", MORE, timeout=600)
    window = (today - dt.timedelta(days=120), today)
    on_replica, on_primary = _submitted(replica, *window), _submitted(primary, *window)
    assert 0 < on_replica < on_primary

    # 3. The dashboard, served by a real server, counts the replica's figures; its sign-in is the primary's.
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with open(databases["var"] / "web.log", "w") as log:
        server = subprocess.Popen([str(BIN / "granian"), "--interface", "wsgi", "--workers", "1", "--host",
                                   "127.0.0.1", "--port", str(port), "otklik.wsgi:application"],
                                  cwd=ROOT, env=both, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"{base}/accounts/login/", timeout=10).read()
                    break
                except OSError:  # not listening yet
                    assert server.poll() is None and time.monotonic() < deadline, \
                        (databases["var"] / "web.log").read_text()[-3000:]
                    time.sleep(0.3)
            browser = _sign_in(base)
            query = urllib.parse.urlencode({"date_from": window[0].isoformat(), "date_to": window[1].isoformat()})
            with browser.open(f"{base}/api/reports/dashboard?{query}", timeout=60) as answer:
                dashboard = json.loads(answer.read())
            with browser.open(f"{base}/reports/?{query}", timeout=60) as page:
                assert page.status == 200
        finally:
            server.send_signal(2)  # granian stops on SIGINT
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
    assert dashboard["totals"]["received"] == on_replica
    sessions = "SELECT COUNT(*) FROM django_session"
    signed_in = "SELECT last_login IS NOT NULL FROM accounts_user WHERE username = %s"
    assert _sql(primary, sessions)[0][0] == 1 and _sql(replica, sessions)[0][0] == 0
    assert _sql(primary, signed_in, (LOGIN,))[0][0] is True and _sql(replica, signed_in, (LOGIN,))[0][0] is False

    # 4. The replica has not folded what the primary has: a frozen report made now waits for it a few
    # seconds, then reads the primary (its newer appeals and names) rather than leave the fold out.
    more_in_month = _submitted(primary, month, month_end)
    assert more_in_month > _submitted(replica, month, month_end)
    _run(both, "manage.py", "generate_reports", "--month", f"{month:%Y-%m}", "--replace")
    remade = _report(primary, month)
    assert remade is not None and remade["summary"]["submitted"] == more_in_month
    assert _names(remade) and all(name.startswith("Переименована") for name in _names(remade))
    assert _report(replica, month) is None
