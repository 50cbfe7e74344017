"""Benchmark: receiving appeals. One granian WSGI worker, on SQLite and on PostgreSQL.

    .venv/bin/python bench/intake.py [--db sqlite postgres] [--requests 200] [--concurrency 4] [--append]

For each database it builds a fresh one (a temporary SQLite file; the PostgreSQL database
``otk_bench_intake``, dropped and created again), migrates it, seeds a category tree, an Open311 API
key and 120 public appeals, starts ``granian --interface wsgi --workers 1`` on 127.0.0.1 and times:

* ``POST /open311/v2/requests.json`` — a new request through Open311 (form-encoded, api_key);
* ``POST /submit/`` — a new message through the portal form, as a browser sends it (CSRF cookie and
  token, a fresh idempotency key per message), answered by the redirect to the receipt;
* ``GET /open311/v2/requests.json?page_size=100`` — a list of 100 requests.

Each is run one request at a time (latency: median and 95th percentile) and then from several
clients at once (throughput). Every request must succeed. Only loopback is used; every loop is
bounded; the server is stopped at the end. ``--append`` adds the table to bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import Client, percentile

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "otk_bench_intake"
WARMUP = 10


# --- preparing a database (runs in a child process with the database's environment) ---------------


def prepare() -> None:
    """Migrate and seed the database the environment points at; print what the load needs as JSON."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from otklik.accounts.models import Membership, Role, User
    from otklik.appeals.services import NewAppeal, appeal_accept
    from otklik.intake.services import api_key_create, consent_current, intake_submit
    from otklik.registry.models import Category, Organization, RoutingRule, Territory

    territory = Territory.objects.create(name="Город", kind="city_district")
    org = Organization.objects.create(name="Администрация города", kind="local_government", territory=territory)
    roads = Category.objects.create(code="roads", name="Дороги")
    pothole = Category.objects.create(code="pothole", name="Ямы", parent=roads)
    RoutingRule.objects.create(category=roads, organization=org)
    moderator = User.objects.create(username="bench-moderator")
    Membership.objects.create(user=moderator, organization=org, role=Role.MODERATOR)
    for i in range(120):
        appeal = intake_submit(NewAppeal(text=f"Яма номер {i} на улице Мира", category=pothole,
                                         latitude=55.75 + i / 10000, longitude=37.61, address=f"Мира, {i}",
                                         applicant_name="Житель", applicant_email=f"seed{i}@example.org"),
                               source="portal", intake_key=f"seed:{i}")
        appeal_accept(appeal_id=appeal.pk, user=moderator)
    raw_key = api_key_create(name="bench")[1]
    print(json.dumps({"api_key": raw_key, "service_code": pothole.code, "category_id": pothole.pk,
                      "consent_version": consent_current().version}))


def database_env(db: str, workdir: Path) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "otklik.settings", "OTKLIK_DEV": "1", "OTKLIK_VAR_DIR": str(workdir),
           "DEBUG": "0", "OTKLIK_QUEUE": "sqlite", "LOG_LEVEL": "ERROR", "SITE_URL": f"http://{HOST}"}
    env.pop("DATABASE_URL", None)
    if db == "sqlite":
        env["SQLITE_PATH"] = str(workdir / "bench.sqlite3")
    else:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_DB}"')
        env["DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{PG_DB}"
    return env


# --- the HTTP side --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    granian = str(Path(sys.executable).parent / "granian")
    process = subprocess.Popen(
        [granian, "--interface", "wsgi", "--workers", "1", "--blocking-threads", "4", "--backpressure", "8",
         "--host", HOST, "--port", str(port), "--log-level", "error", "otklik.wsgi:application"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status, _ = Client(port).request("GET", "/open311/v2/discovery.json")
            if status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    stop_server(process)
    raise SystemExit("granian did not start")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def open311_post(seed: dict[str, Any]) -> Callable[[Client], tuple[int, int]]:
    counter = iter(range(10**9))

    def call(client: Client) -> tuple[int, int]:
        n = next(counter)
        body = urllib.parse.urlencode({
            "api_key": seed["api_key"], "service_code": seed["service_code"], "lat": "55.75", "long": "37.61",
            "address_string": f"ул. Ленина, {n}", "description": f"Яма на дороге, запрос {n}",
            "email": f"app{n}@example.org", "first_name": "Иван",
        }).encode()
        status, _ = client.request("POST", "/open311/v2/requests.json", body,
                                   {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        return status, 200

    return call


def portal_post(seed: dict[str, Any]) -> Callable[[Client], tuple[int, int]]:
    def call(client: Client) -> tuple[int, int]:
        if "csrftoken" not in client.cookies:
            status, page = client.request("GET", "/submit/")
            token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            if status != 200 or token is None:
                return status, 200
            client.__dict__["form_token"] = token.group(1).decode()
        body = urllib.parse.urlencode({
            "csrfmiddlewaretoken": client.__dict__["form_token"], "intake_key": uuid.uuid4().hex,
            "category": seed["category_id"], "text": "Глубокая яма у дома, машины бьют колёса.",
            "address": "ул. Мира, 5", "latitude": "55.7512", "longitude": "37.6184", "name": "Анна",
            "email": "anna@example.org", "consent": "on", "consent_version": seed["consent_version"],
        }).encode()
        status, _ = client.request("POST", "/submit/", body, {
            "Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://{HOST}:{client.port}/submit/"})
        return status, 302

    return call


def list_100(seed: dict[str, Any]) -> Callable[[Client], tuple[int, int]]:
    def call(client: Client) -> tuple[int, int]:
        status, body = client.request("GET", "/open311/v2/requests.json?page_size=100")
        if status == 200 and len(json.loads(body)) != 100:
            return -1, 200
        return status, 200

    return call


def measure(port: int, call: Callable[[Client], tuple[int, int]], requests: int, concurrency: int) -> dict[str, float]:
    def run(client: Client, count: int, latencies: list[float]) -> None:
        for _ in range(count):
            started = time.perf_counter()
            status, expected = call(client)
            latencies.append(time.perf_counter() - started)
            if status != expected:
                raise SystemExit(f"unexpected HTTP {status} (expected {expected})")

    warm = Client(port)
    run(warm, WARMUP, [])
    sequential: list[float] = []
    run(warm, requests // 2, sequential)
    per_client = max(1, requests // concurrency)
    clients = [Client(port) for _ in range(concurrency)]
    for client in clients:
        run(client, 2, [])
    buckets: list[list[float]] = [[] for _ in clients]
    threads = [threading.Thread(target=run, args=(c, per_client, b)) for c, b in zip(clients, buckets, strict=True)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    elapsed = time.perf_counter() - started
    together = [x for bucket in buckets for x in bucket]
    return {
        "p50_ms": statistics.median(sequential) * 1000, "p95_ms": percentile(sequential, 0.95) * 1000,
        "rps": len(together) / elapsed, "p95_conc_ms": percentile(together, 0.95) * 1000,
    }


def bench_database(db: str, requests: int, concurrency: int) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory(prefix="otklik-bench-intake-") as tmp:
        env = database_env(db, Path(tmp))
        prepared = subprocess.run([sys.executable, __file__, "--prepare"], cwd=ROOT, env=env, check=True,
                                  capture_output=True, text=True)
        seed = json.loads(prepared.stdout.strip().splitlines()[-1])
        port = free_port()
        server = start_server(env, port)
        try:
            return {
                "POST /open311/v2/requests.json": measure(port, open311_post(seed), requests, concurrency),
                "POST /submit/ (portal form)": measure(port, portal_post(seed), requests, concurrency),
                "GET /open311/v2/requests.json (100 items)": measure(port, list_100(seed), requests, concurrency),
            }
        finally:
            stop_server(server)


def table(results: dict[str, dict[str, dict[str, float]]], concurrency: int) -> str:
    lines = [f"| database | request | p50, ms (1 client) | p95, ms (1 client) | req/s ({concurrency} clients) "
             f"| p95, ms ({concurrency} clients) |", "|---|---|---:|---:|---:|---:|"]
    for db, rows in results.items():
        for name, r in rows.items():
            lines.append(f"| {db} | `{name}` | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['rps']:.0f} "
                         f"| {r['p95_conc_ms']:.1f} |")
    return "\n".join(lines)


HEADING = "## bench/intake.py — receiving appeals: Open311 and the portal form"


def append_to_readme(text: str, args: argparse.Namespace) -> None:
    readme = ROOT / "bench" / "README.md"
    current = readme.read_text(encoding="utf-8") if readme.exists() else "# Benchmarks\n"
    stamp = time.strftime("%Y-%m-%d")
    block = (
        f"\n{HEADING}\n\n"
        "```sh\n.venv/bin/python bench/intake.py [--db sqlite postgres] [--requests 200] [--concurrency 4] "
        "[--append]\n```\n\n"
        "A fresh database each (a temporary SQLite file; PostgreSQL `otk_bench_intake`, recreated), 120 public "
        "appeals seeded, one `granian --interface wsgi --workers 1 --blocking-threads 4` on 127.0.0.1. "
        "Each POST creates, registers and commits an appeal with its events and the applicant's notice (queued "
        "to Huey's SQLite file) before it answers; the portal POST is the real form with a CSRF token and a "
        "fresh idempotency key, answered by the redirect to the receipt. First one client "
        f"({args.requests // 2} requests after {WARMUP} warm-up), then {args.concurrency} clients at once "
        f"({args.requests} requests).\n\n"
        f"Figures of {stamp} (2 shared CPU cores, the client on the same machine; load average at the end "
        f"{os.getloadavg()[0]:.1f}: with other work on the cores these are upper bounds):\n\n{text}\n"
    )
    readme.write_text(current.rstrip("\n") + "\n" + block, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--append", action="store_true", help="add the figures to bench/README.md")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare()
        return
    if not 1 <= args.requests <= 10_000 or not 1 <= args.concurrency <= 32:
        raise SystemExit("--requests must be 1..10000 and --concurrency 1..32")
    results = {db: bench_database(db, args.requests, args.concurrency) for db in args.db}
    text = table(results, args.concurrency)
    print(text)
    if args.append:
        append_to_readme(text, args)


if __name__ == "__main__":
    main()
