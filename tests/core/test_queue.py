"""The task queue's SQLite storage commits with synchronous=NORMAL (core/queue.py) and keeps what it got."""

from __future__ import annotations

from otklik.core.queue import SqliteQueue


def test_the_sqlite_queue_syncs_as_the_application_database_does_and_keeps_its_tasks(tmp_path):
    queue = SqliteQueue("probe", filename=str(tmp_path / "q.sqlite3"))
    conn = queue.storage.conn
    assert conn.execute("pragma synchronous").fetchone()[0] == 1  # NORMAL
    assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"
    queue.storage.enqueue(b"task-data")
    assert SqliteQueue("probe", filename=str(tmp_path / "q.sqlite3")).storage.dequeue() == b"task-data"
