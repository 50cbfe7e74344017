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
        self._slots = threading.BoundedSemaphore(limit)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self._slots:
            return self.app(environ, start_response)


def handler_with_middleware(middleware: list[str]) -> WSGIApp:
    """A Django WSGI handler whose chain is ``middleware`` instead of ``settings.MIDDLEWARE``.

    Django builds a handler's chain from the setting once, when the handler is made; the setting is
    swapped only for that moment (at start-up, before any request is served) and put back.
    """
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    full = settings.MIDDLEWARE
    settings.MIDDLEWARE = middleware
    try:
        return WSGIHandler()
    finally:
        settings.MIDDLEWARE = full


class PathDispatch:
    """Requests whose path starts with ``prefix`` go to ``special``, the rest to ``default``."""

    def __init__(self, default: WSGIApp, prefix: str, special: WSGIApp) -> None:
        self.default, self.prefix, self.special = default, prefix, special

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        app = self.special if environ.get("PATH_INFO", "").startswith(self.prefix) else self.default
        return app(environ, start_response)
