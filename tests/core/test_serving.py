"""Issue 17 §3: the WSGI gate runs at most ``limit`` requests at once and lets the rest through in turn."""

from __future__ import annotations

import contextlib
import threading
import time

from otklik.core.serving import ConcurrencyGate


def test_no_more_than_the_limit_run_at_once_and_every_request_is_answered():
    running, most, lock = 0, 0, threading.Lock()

    def app(environ, start_response):
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        start_response("200 OK", [])
        return [environ["n"].encode()]

    gate = ConcurrencyGate(app, 2)
    answers: list[bytes] = []
    threads = [threading.Thread(target=lambda n=n: answers.extend(gate({"n": str(n)}, lambda *a: None)))
               for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 2
    assert sorted(answers, key=int) == [str(n).encode() for n in range(12)]


def test_an_error_in_a_request_frees_its_place():
    def failing(environ, start_response):
        raise ValueError("boom")

    gate = ConcurrencyGate(failing, 1)
    for _ in range(3):
        with contextlib.suppress(ValueError):
            gate({}, lambda *a: None)
    assert gate._slots.acquire(timeout=0.1)
