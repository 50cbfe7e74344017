"""Fault test (issue 11 §5): the Huey worker is killed with SIGKILL in the middle of a delivery; after
its lease runs out another worker sends what was left, and the receiver gets every notice exactly
once by its delivery id. Real processes, a real SQLite file, a real HTTP receiver."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTICES = 12
HANG_ON = 5  # the receiver holds the 5th delivery open: the worker is killed while it waits


class Receiver:
    def __init__(self) -> None:
        self.deliveries: list[str] = []
        self.hanging = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                json.loads(body)
                delivery = self.headers["X-Otklik-Delivery"]
                first_time_hang = len(set(receiver.deliveries)) == HANG_ON - 1 and not receiver.hanging.is_set()
                receiver.deliveries.append(delivery)
                if first_time_hang:
                    receiver.hanging.set()
                    receiver.release.wait(30)
                    return  # the worker is dead by now: no answer
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()


def _env(var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "OTKLIK_QUEUE"}}
    env.update(OTKLIK_DEV="1", OTKLIK_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="otklik.settings",
               OTKLIK_NOTICE_LEASE_SECONDS="2", OTKLIK_QUEUE="sqlite")
    return env


def _python(code: str, env: dict[str, str], **extra: str) -> str:
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + code], cwd=ROOT,
                            env={**env, **extra}, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_worker_killed_mid_delivery_loses_no_notice_and_duplicates_none(tmp_path):
    env = _env(tmp_path)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True,
                   timeout=300)
    receiver = Receiver()
    try:
        # Notices queued for the worker (SQLite Huey queue), as the services leave them.
        _python(f"""
from django.db import transaction
from otklik.notifications.models import WebhookEndpoint
from otklik.accounts.models import User
from otklik.notifications.services import notice_create
WebhookEndpoint.objects.create(name="Региональная система", url="{receiver.url}", secret="s")
official = User.objects.create_user("official", password="x-Pass-12345")
with transaction.atomic():
    for i in range({NOTICES}):
        notice_create(kind="overdue", dedupe=f"fault:{{i}}", subject=f"Уведомление {{i}}", body="Текст",
                      recipient=official)
""", env)
        worker = subprocess.Popen([sys.executable, "manage.py", "run_huey", "--workers", "1", "--no-periodic"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            reached = receiver.hanging.wait(60)
        finally:
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(10)
        assert reached, "the worker never reached the receiver"
        receiver.release.set()
        time.sleep(2.5)  # the dead worker's lease runs out
        # The periodic retry finds the notice the dead worker held; a new worker sends it and the rest
        # of the queue.
        _python("""
from otklik.notifications.tasks import retry_unsent
retry_unsent()
""", env)
        worker = subprocess.Popen([sys.executable, "manage.py", "run_huey", "--workers", "1", "--no-periodic"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while len(set(receiver.deliveries)) < NOTICES and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(1)  # let the worker mark the last one sent
        finally:
            worker.send_signal(signal.SIGINT)
            worker.wait(20)
        state = json.loads(_python("""
import json
from otklik.notifications.models import Notice
rows = Notice.objects.filter(channel="webhook")
print(json.dumps({"total": rows.count(), "unsent": rows.filter(sent_at__isnull=True).count(),
                  "ids": sorted(f"notice-{pk}@127.0.0.1" for pk in rows.values_list("pk", flat=True))}))
""", env))
    finally:
        receiver.close()
    assert state["total"] == NOTICES and state["unsent"] == 0
    # Every notice reached the receiver; the one cut off by the kill came again under the same id.
    assert sorted(set(receiver.deliveries)) == state["ids"]
    repeated = [d for d in set(receiver.deliveries) if receiver.deliveries.count(d) > 1]
    assert len(repeated) <= 1
