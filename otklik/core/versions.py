"""Reading the version counters of cached reads (core/models.py); core/services.py bumps them.

A process keeps what it built from the database under the version it read first: one query for the
version answers every later read until a write bumps it. The version is bumped in the writer's own
transaction to a random value, so a rolled-back write never leaves a version that a later write could
reach again with other data behind it.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import connection
from django.utils.dateparse import parse_datetime

from otklik.core.models import Version

T = TypeVar("T")
_request = threading.local()  # .read: the versions read in this thread's current request


def current(name: str) -> tuple[int, dt.datetime | None]:
    """The version of ``name``; within one request it is read once (a write in the same request
    forgets what was read: core/services.version_bump)."""
    read: dict[str, tuple[int, dt.datetime | None]] | None = getattr(_request, "read", None)
    if read is not None and name in read:
        return read[name]
    # Plain SQL: this runs on most requests, and building the ORM query cost more than running it.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value, changed_at FROM {connection.ops.quote_name(Version._meta.db_table)} "
                       "WHERE name = %s", [name])
        row = cursor.fetchone()
    found: tuple[int, dt.datetime | None] = (0, None)
    if row is not None:
        changed_at = row[1]
        if isinstance(changed_at, str):  # SQLite gives text; the converters of the ORM are not applied here
            changed_at = parse_datetime(changed_at)
            if changed_at is not None and changed_at.tzinfo is None:
                changed_at = changed_at.replace(tzinfo=dt.UTC)
        found = (int(row[0]), changed_at)
    if read is not None:
        read[name] = found
    return found


def request_started(**kwargs: Any) -> None:
    _request.read = {}


def request_finished(**kwargs: Any) -> None:
    _request.read = None


def forget_read(name: str) -> None:
    read = getattr(_request, "read", None)
    if read is not None:
        read.pop(name, None)


class Snapshot:
    """What this process built at one version of ``name``: each part once, on first use."""

    def __init__(self, name: str, version: int, changed_at: dt.datetime | None) -> None:
        self.name, self.version, self.changed_at = name, version, changed_at
        self._parts: dict[str, Any] = {}
        self._lock = threading.RLock()

    def get(self, part: str, build: Callable[[], T]) -> T:
        try:
            return self._parts[part]
        except KeyError:
            pass
        with self._lock:  # built once even when several threads ask at the same moment
            if part not in self._parts:
                self._parts[part] = build()
            return self._parts[part]


_snapshots: dict[str, Snapshot] = {}


def snapshot(name: str) -> Snapshot:
    """The snapshot of ``name`` at its current version (one query)."""
    version, changed_at = current(name)
    found = _snapshots.get(name)
    if found is None or found.version != version:
        found = _snapshots[name] = Snapshot(name, version, changed_at)
    return found


def forget() -> None:
    """Drop every snapshot of this process (the test suite does it before each test, whose database
    is rolled back afterwards)."""
    _snapshots.clear()
    _request.read = None
