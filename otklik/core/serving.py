"""How many requests one process runs at once.

A WSGI server gives each request a thread (granian's default pool is hundreds). Python runs one thread
at a time, so sixteen requests at once do not finish sooner than two: they take turns on the
interpreter lock, each paying for the switches, and on SQLite the writers wait on the database lock by
polling, so the unlucky ones wait seconds. The gate lets ``limit`` requests run and queues the rest in
arrival order (docs/deployment.md has the measurements behind the default).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ConcurrencyGate:
    def __init__(self, app: WSGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._slots = threading.BoundedSemaphore(limit)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self._slots:
            return self.app(environ, start_response)
