"""Reads of reports from a PostgreSQL read replica (``DATABASE_REPLICA_URL``, docs/deployment.md).

Only code that asks for it reads there: ``with replica_reads(): ...`` around the figures of a report.
Everything else, and every write, stays on the primary. A replica is seconds behind the primary, which
a report may be and a page that shows what its user has just done may not; hence opt-in, not a default.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

REPLICA = "replica"

# A ContextVar, not a global or a thread-local: each thread starts without it and each asyncio task has
# its own copy, so one request's block never sends another request's reads to the replica.
_reads_from_replica: ContextVar[bool] = ContextVar("otklik_replica_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_usable() -> bool:
    """Whether a read here may go to the replica at all: the alias exists and the primary is not in a
    transaction (a read inside a write transaction must see that transaction's own writes)."""
    return replica_configured() and not connections[DEFAULT_DB_ALIAS].in_atomic_block


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads made inside go to the replica when there is one (see ``ReplicaRouter``); writes never do."""
    token = _reads_from_replica.set(True)
    try:
        yield
    finally:
        _reads_from_replica.reset(token)


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry: the replica for reads inside ``replica_reads()``, the primary otherwise."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        instance = hints.get("instance")
        if instance is not None and getattr(instance._state, "db", None):
            # Following a relation of a row already read: where that row came from (Django's own default),
            # so an object and its related rows are one consistent picture.
            return None
        if _reads_from_replica.get() and replica_usable():
            return REPLICA
        return None

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # Both aliases hold the same rows: a row read from the replica may point to one from the primary.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        # The replica is a copy of the primary, made by PostgreSQL's replication; we never migrate it.
        return db == DEFAULT_DB_ALIAS
