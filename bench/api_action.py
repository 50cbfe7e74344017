"""Benchmark: one lifecycle action through the HTTP API, served by granian (WSGI) on PostgreSQL.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/otk_bench .venv/bin/python bench/api_action.py

Starts ``granian --interface wsgi`` on 127.0.0.1, signs in through /accounts/login/ with a real HTTP
client (http.client, keep-alive), keeps the session and CSRF cookies and sends X-CSRFToken, then
times ``POST /api/appeals/{id}/assign`` (as a coordinator) and ``POST /api/appeals/{id}/draft`` (as
the appeal's executor): sequentially for latency, then from several clients at once for
throughput. Uses the appeals already in the database (bench/sweep.py leaves a million there) or
generates 20,000. Every loop is bounded; only loopback is used; the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import ROOT, median, percentile, setup_django
from _common import Client as BaseClient

HOST = "127.0.0.1"


class Client(BaseClient):
    """The shared HTTP client, signed in through the login page."""

    def login(self, username: str, password: str) -> None:
        status, page = self.request("GET", "/accounts/login/")
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or found is None:
            raise SystemExit(f"login page: HTTP {status}")
        form = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrfmiddlewaretoken": found.group(1).decode()}).encode()
        status, _ = self.request("POST", "/accounts/login/", form, {
            "Content-Type": "application/x-www-form-urlencoded", "Referer": self._origin() + "/accounts/login/"})
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"login as {username} failed: HTTP {status}")

    def post_json(self, path: str, payload: dict[str, Any]) -> tuple[int, bytes]:
        return self.request("POST", path, json.dumps(payload).encode(), {
            "Content-Type": "application/json", "X-CSRFToken": self.cookies.get("csrftoken", ""),
            "Referer": self._origin() + "/"})

    def share_session(self) -> Client:
        """Another connection of the same signed-in browser (for concurrent clients)."""
        other = Client(self.port)
        other.cookies = dict(self.cookies)
        return other

    def _origin(self) -> str:
        return f"http://{HOST}:{self.port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="timed requests per action and phase")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=4, help="clients at once in the throughput phase")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2, help="granian worker processes")
    parser.add_argument("--threads", type=int, default=4, help="granian blocking threads per worker")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    setup_django()
    plan = _prepare(args)
    server = _start_server(args)
    figures: dict[str, Any] = {"server": {"workers": args.workers, "blocking_threads": args.threads},
                               "requests": args.requests, "concurrency": args.concurrency}
    try:
        coordinator = Client(args.port)
        coordinator.login(plan["coordinator"], plan["password"])
        executor = Client(args.port)
        executor.login(plan["executor"], plan["password"])
        # The draft appeals get the signed-in executor through the API itself.
        for appeal_id in plan["draft_ids"]:
            _ok(coordinator.post_json(f"/api/appeals/{appeal_id}/assign", {"executor_id": plan["executor_id"]}))
        executors = plan["executor_ids"]

        def assign(client: Client, appeal_id: int, n: int) -> tuple[int, bytes]:
            return client.post_json(f"/api/appeals/{appeal_id}/assign", {"executor_id": executors[n % len(executors)]})

        def draft(client: Client, appeal_id: int, n: int) -> tuple[int, bytes]:
            return client.post_json(f"/api/appeals/{appeal_id}/draft",
                                    {"text": f"Проект ответа № {n}: работы выполнены, проблема устранена."})

        for name, client, ids, call in (("assign", coordinator, plan["assign_ids"], assign),
                                        ("draft", executor, plan["draft_ids"], draft)):
            runs = [_measure(client, ids, call, args) for _ in range(args.repeat)]
            figures[name] = {"runs": runs, **{key: median([run[key] for run in runs]) for key in runs[0]}}
            summary = figures[name]
            print(f"{name}: sequential p50 {summary['p50_ms']:.1f} ms, p95 {summary['p95_ms']:.1f} ms, "
                  f"{summary['sequential_rps']:.0f} req/s; {args.concurrency} clients: {summary['concurrent_rps']:.0f} "
                  f"req/s, p50 {summary['concurrent_p50_ms']:.1f} ms, p95 {summary['concurrent_p95_ms']:.1f} ms "
                  f"(median of {args.repeat})", flush=True)
    finally:
        _stop(server)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(figures, out, indent=2)


def _ok(answer: tuple[int, bytes]) -> None:
    status, body = answer
    if status != 200:
        raise SystemExit(f"HTTP {status}: {body[:300]!r}")


def _measure(client: Client, ids: list[int], call: Callable[[Client, int, int], tuple[int, bytes]],
             args: argparse.Namespace) -> dict[str, float]:
    client.conn.close()  # a fresh connection (http.client reopens it on the next request)
    for n in range(args.warmup):
        _ok(call(client, ids[n % len(ids)], n))
    latencies = []
    started = time.perf_counter()
    for n in range(args.requests):
        begin = time.perf_counter()
        _ok(call(client, ids[n % len(ids)], n))
        latencies.append(time.perf_counter() - begin)
    sequential_s = time.perf_counter() - started

    # Several clients at once, each on its own appeals (as several people at work would be).
    clients = [client.share_session() for _ in range(args.concurrency)]
    shares = [ids[k::args.concurrency] for k in range(args.concurrency)]
    per_client = args.requests // args.concurrency
    concurrent: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def work(k: int) -> None:
        mine = []
        try:
            for n in range(per_client):
                begin = time.perf_counter()
                status, body = call(clients[k], shares[k][n % len(shares[k])], n)
                mine.append(time.perf_counter() - begin)
                if status != 200:
                    raise RuntimeError(f"HTTP {status}: {body[:200]!r}")
        except Exception as exc:
            errors.append(str(exc))
        with lock:
            concurrent.extend(mine)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(args.concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    concurrent_s = time.perf_counter() - started
    if errors:
        raise SystemExit(errors[0])
    return {
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "sequential_rps": args.requests / sequential_s,
        "concurrent_rps": len(concurrent) / concurrent_s,
        "concurrent_p50_ms": percentile(concurrent, 0.5) * 1000,
        "concurrent_p95_ms": percentile(concurrent, 0.95) * 1000,
    }


def _prepare(args: argparse.Namespace) -> dict[str, Any]:
    """An organisation with work, its coordinator and an executor (with a password for this run only)."""
    from django.db.models import Count
    from django.utils import timezone

    from otklik.accounts.models import Membership, Role, User
    from otklik.appeals.lifecycle import State
    from otklik.appeals.models import Appeal
    from otklik.demo.load import generate

    if Appeal.objects.count() < 1000:
        print("generating 20000 appeals…", flush=True)
        generate(appeals=20_000, seed=1, months=2, now=timezone.now())
    working = Appeal.objects.filter(state=State.EXECUTION, organization__isnull=False)
    busiest = (working.values("organization_id").annotate(n=Count("id")).order_by("-n", "organization_id")
               .values_list("organization_id", flat=True))
    for org_id in busiest:
        roles = Membership.objects.filter(organization_id=org_id, user__is_active=True)
        coordinators = sorted(roles.filter(role=Role.COORDINATOR).values_list("user_id", flat=True))
        executors = sorted(roles.filter(role=Role.EXECUTOR).values_list("user_id", flat=True))
        if coordinators and len(executors) >= 2:
            break
    else:
        raise SystemExit("No organisation has appeals in execution, a coordinator and two executors.")
    ids = list(working.filter(organization_id=org_id).order_by("id").values_list("id", flat=True)[:400])
    if len(ids) < 2 * args.concurrency:
        raise SystemExit("Too few appeals in execution.")
    password = secrets.token_urlsafe(16)  # for this run only
    people = {user.pk: user for user in User.objects.filter(pk__in=[coordinators[0], executors[0]])}
    for user in people.values():
        user.set_password(password)
        user.save(update_fields=["password"])
    half = len(ids) // 2
    print(f"organisation {org_id}: {len(ids)} appeals in execution; coordinator {people[coordinators[0]].username}, "
          f"executor {people[executors[0]].username}", flush=True)
    return {"password": password, "coordinator": people[coordinators[0]].username,
            "executor": people[executors[0]].username, "executor_id": executors[0], "executor_ids": executors,
            "assign_ids": ids[:half], "draft_ids": ids[half:]}


def _start_server(args: argparse.Namespace) -> subprocess.Popen[bytes]:
    log_path = Path(tempfile.mkdtemp(prefix="otklik-bench-web-")) / "granian.log"
    command = [str(Path(sys.executable).parent / "granian"), "--interface", "wsgi", "--host", HOST,
               "--port", str(args.port), "--workers", str(args.workers), "--blocking-threads", str(args.threads),
               "--backpressure", str(args.threads), "--no-ws", "otklik.wsgi:application"]
    env = {**os.environ, "DEBUG": "0", "LOG_LEVEL": "ERROR"}
    log = open(log_path, "wb")  # noqa: SIM115 - the server writes to it until _stop
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)  # its own group: its workers stop with it
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"granian stopped; see {log_path}")
        try:
            probe = http.client.HTTPConnection(HOST, args.port, timeout=2)
            probe.request("GET", "/accounts/login/")
            if probe.getresponse().status == 200:
                print(f"granian (WSGI, {args.workers} workers × {args.threads} threads) on port {args.port}; "
                      f"log {log_path}", flush=True)
                return server
        except OSError:
            pass
        time.sleep(0.5)
    _stop(server)
    raise SystemExit(f"granian did not answer in 60 s; see {log_path}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    # granian stops cleanly on SIGINT (a SIGTERM after it can hang 2.8.7, see scripts/demo.sh).
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


if __name__ == "__main__":
    main()
