"""The task queue's SQLite storage, for installations without Redis.

Huey's SQLite storage commits every enqueue with ``synchronous=FULL`` (an fsync each), and an appeal's
intake enqueues its follow-up tasks after its own commit: the fsyncs, not the work, set the pace of
the intake. ``synchronous=NORMAL`` in WAL mode is what the application's own database uses: a crash of
the process loses nothing committed; only a power cut may lose the last transactions, of the queue as of
the appeals, and the catch-up jobs (core/tasks.py) redo what a lost task would have done.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from huey import SqliteHuey
from huey.storage import SqliteStorage

# Tasks enqueued inside ``enqueued_together()``, written when it ends.
_pending: ContextVar[list[tuple[NormalSyncSqliteStorage, Any, float]] | None] = ContextVar("queue_pending",
                                                                                         default=None)


class NormalSyncSqliteStorage(SqliteStorage):
    def _create_connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")
        return conn

    def enqueue(self, data: bytes, priority: float | None = None) -> None:
        pending = _pending.get()
        if pending is None:
            super().enqueue(data, priority)
        else:
            pending.append((self, self.to_blob(data), priority or 0))

    def enqueue_many(self, items: list[tuple[Any, float]]) -> None:
        with self.db(commit=True) as cursor:
            cursor.executemany("insert into task (queue, data, priority) values (?, ?, ?)",
                               [(self.name, data, priority) for data, priority in items])


@contextmanager
def enqueued_together() -> Iterator[None]:
    """Tasks enqueued inside the block go to the SQLite queue in one transaction when it ends (an
    intake's follow-ups: one commit of the queue instead of one per task). With another queue (Redis,
    in-process in tests) each task is enqueued as usual. What was enqueued before an error is kept."""
    token = _pending.set([])
    try:
        yield
    finally:
        items = _pending.get() or []
        _pending.reset(token)
        for storage in dict.fromkeys(item[0] for item in items):
            storage.enqueue_many([(data, priority) for owner, data, priority in items if owner is storage])


class SqliteQueue(SqliteHuey):
    storage_class = NormalSyncSqliteStorage
