"""The task queue's SQLite storage commits with synchronous=NORMAL (core/queue.py) and keeps what it got."""

from __future__ import annotations

import pytest

from otklik.core.queue import SqliteQueue, enqueued_together


def test_the_sqlite_queue_syncs_as_the_application_database_does_and_keeps_its_tasks(tmp_path):
    queue = SqliteQueue("probe", filename=str(tmp_path / "q.sqlite3"))
    conn = queue.storage.conn
    assert conn.execute("pragma synchronous").fetchone()[0] == 1  # NORMAL
    assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"
    queue.storage.enqueue(b"task-data")
    assert SqliteQueue("probe", filename=str(tmp_path / "q.sqlite3")).storage.dequeue() == b"task-data"


def test_tasks_enqueued_together_reach_the_queue_in_one_transaction_when_the_block_ends(tmp_path):
    queue = SqliteQueue("probe", filename=str(tmp_path / "q.sqlite3"))
    statements: list[str] = []
    queue.storage.conn.set_trace_callback(statements.append)
    with enqueued_together():
        queue.storage.enqueue(b"route-it")
        queue.storage.enqueue(b"detect-it", priority=5)
        assert queue.storage.queue_size() == 0  # nothing written before the block ends
    assert sum(sql.lower().startswith("begin") for sql in statements) == 1
    reader = SqliteQueue("probe", filename=str(tmp_path / "q.sqlite3")).storage
    assert [reader.dequeue(), reader.dequeue(), reader.dequeue()] == [b"detect-it", b"route-it", None]


def test_what_was_enqueued_before_an_error_in_the_block_is_kept(tmp_path):
    queue = SqliteQueue("probe", filename=str(tmp_path / "q.sqlite3"))
    with pytest.raises(RuntimeError), enqueued_together():
        queue.storage.enqueue(b"route-it")
        raise RuntimeError("a receiver failed")
    assert queue.storage.dequeue() == b"route-it"


def test_outside_the_block_each_task_is_written_at_once(tmp_path):
    queue = SqliteQueue("probe", filename=str(tmp_path / "q.sqlite3"))
    queue.storage.enqueue(b"alone")
    assert queue.storage.queue_size() == 1
