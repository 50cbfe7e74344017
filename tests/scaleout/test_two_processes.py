"""Issue 17 §6: two web processes on one database and a task worker on Redis, driven over real HTTP.

What a single process cannot show: a report received by one process is read by the other; the rate-limit
counter is shared through the cache; a registry change made elsewhere reaches both processes' kept copies
at once (core/versions.py); the worker on Redis does the follow-up work of an intake.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REDIS_DB = 13  # the suite's own database number; emptied before and after


def _redis_flush() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as conn:
            conn.sendall(f"SELECT {REDIS_DB}\r\nFLUSHDB\r\n".encode())
            return conn.recv(64).startswith(b"+OK")
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


SEED = """
import django; django.setup()
from tests import factories as f
from otklik.intake.services import api_key_create
from otklik.registry.selectors import region_settings
region_settings()
town = f.territory("Город", kind="city_district")
ring = [[37.0, 55.0], [38.0, 55.0], [38.0, 56.0], [37.0, 56.0], [37.0, 55.0]]
town.boundary = {"type": "Polygon", "coordinates": [ring]}
town.save()
org = f.organization("Администрация города", territory=town)
heating = f.category("Нет отопления", days=10)
heating.code = "heating"
heating.save()
f.route(heating, org)
print(api_key_create(name="Приложение")[1])
"""

RENAME = """
import django; django.setup()
from otklik.registry.models import Category
c = Category.objects.get(code="heating"); c.name = "Холодные батареи"; c.save()
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if not _redis_flush():
        pytest.skip("needs Redis on 127.0.0.1:6379 (CI and the development machine run one)")
    var = tmp_path_factory.mktemp("scaleout")
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(var)), "LANG": "C.UTF-8",
           "OTKLIK_DEV": "1", "DJANGO_SETTINGS_MODULE": "otklik.settings", "PYTHONPATH": str(ROOT),
           "OTKLIK_VAR_DIR": str(var), "OTKLIK_QUEUE": "redis", "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
           "OTKLIK_CACHE_URL": f"redis://127.0.0.1:6379/{REDIS_DB}", "OTKLIK_RATE_OPEN311_POST": "5/m"}
    python = str(BIN / "python")
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    seeded = subprocess.run([python, "-c", SEED], cwd=ROOT, env=env, timeout=120, capture_output=True, text=True)
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    key = seeded.stdout.strip().splitlines()[-1]
    ports = [_free_port(), _free_port()]
    logs = contextlib.ExitStack()
    out = [logs.enter_context(open(var / name, "w"))  # noqa: SIM115 - closed by the stack at teardown
           for name in ("web0.log", "web1.log", "worker.log")]
    procs = [subprocess.Popen([str(BIN / "granian"), "--interface", "wsgi", "--workers", "1", "--host", "127.0.0.1",
                               "--port", str(port), "otklik.wsgi:application"], cwd=ROOT, env=env,
                              stdout=out[i], stderr=subprocess.STDOUT) for i, port in enumerate(ports)]
    procs.append(subprocess.Popen([python, "manage.py", "run_huey", "--workers", "1"], cwd=ROOT, env=env,
                                  stdout=out[2], stderr=subprocess.STDOUT))
    bases = [f"http://127.0.0.1:{port}/open311/v2" for port in ports]
    try:  # the servers stop even when they never answered
        deadline = time.monotonic() + 60
        for base in bases:
            while True:
                try:
                    urllib.request.urlopen(f"{base}/discovery.json", timeout=10).read()
                    break
                except OSError:  # not listening yet, or still starting
                    assert time.monotonic() < deadline, (var / "web0.log").read_text()[-2000:]
                    time.sleep(0.3)
        yield {"bases": bases, "key": key, "db": var / "otklik.sqlite3", "env": env, "python": python, "var": var}
    finally:
        for proc in procs:
            proc.send_signal(2)  # granian and the worker stop on SIGINT
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        logs.close()
    _redis_flush()


def _post(base: str, form: dict[str, str]) -> tuple[int, object]:
    request = urllib.request.Request(f"{base}/requests.json", data=urllib.parse.urlencode(form).encode())
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def _get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return json.loads(answer.read())


def test_two_processes_share_the_reports_the_limits_the_registry_and_the_worker(cluster):
    first, second = cluster["bases"]
    form = {"api_key": cluster["key"], "service_code": "heating", "lat": "55.5", "long": "37.5",
            "description": "В квартире холодно, батареи ледяные"}
    status, body = _post(first, form)
    assert status == 200, body
    number = body[0]["service_request_id"]  # type: ignore[index]
    # Read back through the other process.
    assert _get(f"{second}/requests/{number}.json")[0]["service_request_id"] == number  # type: ignore[index]
    # The worker, on Redis, fingerprints the new text (routing's follow-up of an intake).
    deadline = time.monotonic() + 60
    while True:
        with sqlite3.connect(cluster["db"]) as db:
            found = db.execute("SELECT COUNT(*) FROM routing_fingerprint f JOIN appeals_appeal a ON a.id = f.appeal_id "
                               "WHERE a.number = ?", (number,)).fetchone()[0]
        if found:
            break
        assert time.monotonic() < deadline, (cluster["var"] / "worker.log").read_text()[-2000:]
        time.sleep(0.3)
    # Both processes keep the services list; a change made by a third process reaches both at once.
    for base in (first, second):
        assert "Нет отопления" in json.dumps(_get(f"{base}/services.json"), ensure_ascii=False)
    subprocess.run([cluster["python"], "-c", RENAME], cwd=ROOT, env=cluster["env"], check=True, timeout=120)
    for base in (first, second):
        assert "Холодные батареи" in json.dumps(_get(f"{base}/services.json"), ensure_ascii=False)
    # The per-key limit (5 a minute here) is counted across both processes through the shared cache.
    codes = [_post(base, form)[0] for base in (first, second, first, second, first)]
    assert codes[:4] == [200] * 4 and codes[4] == 429
    assert len({_post(base, form)[0] for base in (first, second)} - {429}) == 0
