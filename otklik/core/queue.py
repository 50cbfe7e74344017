"""The task queue's SQLite storage, for installations without Redis.

Huey's SQLite storage commits every enqueue with ``synchronous=FULL`` (an fsync each), and an appeal's
intake enqueues its follow-up tasks after its own commit: the fsyncs, not the work, set the pace of
the intake. ``synchronous=NORMAL`` in WAL mode is what the application's own database uses: a crash of
the process loses nothing committed; only a power cut may lose the last transactions, of the queue as of
the appeals, and the catch-up jobs (core/tasks.py) redo what a lost task would have done.
"""

from __future__ import annotations

import sqlite3

from huey import SqliteHuey
from huey.storage import SqliteStorage


class NormalSyncSqliteStorage(SqliteStorage):
    def _create_connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")
        return conn


class SqliteQueue(SqliteHuey):
    storage_class = NormalSyncSqliteStorage
