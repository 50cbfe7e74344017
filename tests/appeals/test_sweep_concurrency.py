"""Two deadline sweepers side by side (architecture rule 4): each due row is claimed by exactly one
of them, so every breach and every notice exists once and no appeal is counted twice.

PostgreSQL only: SQLite serialises writers, so there is no race to test there. Run with e.g.
``DATABASE_URL=postgresql://postgres@127.0.0.1:5432/otk_rules pytest tests/appeals/test_sweep_concurrency.py``.
"""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections
from django.db.models import Count

from otklik.accounts.models import Role
from otklik.appeals import sweeps
from otklik.appeals.lifecycle import State
from otklik.appeals.models import Appeal, DeadlineBreach, Stage
from otklik.notifications.models import Notice
from tests import factories as f

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent sweepers need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

MSK = ZoneInfo("Europe/Moscow")
APPEALS = 200  # overdue
APPROACHING = 100  # due later, but past the warning moment
NOW = dt.datetime(2025, 12, 11, 9, 0, tzinfo=MSK)
START = dt.datetime(2025, 11, 10, 10, 0, tzinfo=MSK)
DUE = dt.datetime(2025, 12, 10, 23, 59, 59, 999999, tzinfo=MSK)
LATER_DUE = dt.datetime(2025, 12, 12, 23, 59, 59, 999999, tzinfo=MSK)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _due_appeals() -> tuple[list[int], list[int], int, int]:
    """``APPEALS`` overdue appeals and ``APPROACHING`` ones, all held by one executor and coordinator."""
    org = f.organization("Администрация Параллельска")
    # No e-mail: in-app notices only, so the test measures the claims, not the mail queue.
    coordinator = f.user("par-coordinator", (Role.COORDINATOR, org), email="")
    executor = f.user("par-executor", (Role.EXECUTOR, org), email="")

    def appeal(i: int, due: dt.datetime) -> Appeal:
        return Appeal(
            number=f"2025-9{i:05d}", text=f"Сообщение {i}", state=State.EXECUTION,
            organization=org, coordinator=coordinator, executor=executor,
            received_at=START, registered_at=START, state_changed_at=START, term_started_at=START,
            due_at=due, warn_at=START + (due - START) * 0.8, stage=Stage.EXECUTION, stage_due_at=due,
        )

    Appeal.objects.bulk_create(
        [appeal(i, DUE) for i in range(APPEALS)] + [appeal(APPEALS + i, LATER_DUE) for i in range(APPROACHING)]
    )
    overdue = list(Appeal.objects.filter(organization=org, due_at=DUE).values_list("pk", flat=True))
    approaching = list(Appeal.objects.filter(organization=org, due_at=LATER_DUE).values_list("pk", flat=True))
    assert (len(overdue), len(approaching)) == (APPEALS, APPROACHING)
    return overdue, approaching, coordinator.pk, executor.pk


def _run_side_by_side(count: int, batch: int) -> list[sweeps.SweepResult]:
    results: list[sweeps.SweepResult | None] = [None] * count
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def sweeper(index: int) -> None:
        try:
            start.wait(timeout=30)
            results[index] = sweeps.sweep(now=NOW, batch=batch)
        except BaseException as exc:  # re-raised in the test thread below
            errors.append(exc)
        finally:
            # Each thread used its own connection; close it so the test database can be flushed.
            connections.close_all()

    threads = [threading.Thread(target=sweeper, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert all(result is not None for result in results)
    return [result for result in results if result is not None]


def _once_per_appeal_and_holder(kind: str, ids: list[int], holders: set[int]) -> None:
    per_pair = (
        Notice.objects.filter(kind=kind, appeal_id__in=ids).values("appeal_id", "recipient_id").annotate(n=Count("id"))
    )
    assert len(per_pair) == len(ids) * len(holders), kind
    assert {row["n"] for row in per_pair} == {1}, kind
    assert {row["recipient_id"] for row in per_pair} == holders, kind


def test_two_sweepers_side_by_side_record_each_breach_and_notice_exactly_once(monkeypatch):
    overdue, approaching, coordinator_id, executor_id = _due_appeals()
    # Widen each claimed batch's transaction a little so the two sweepers really overlap.
    record = sweeps.breaches_record

    def slow_record(*args, **kwargs):
        threading.Event().wait(0.02)
        record(*args, **kwargs)

    monkeypatch.setattr(sweeps, "breaches_record", slow_record)

    results = _run_side_by_side(2, batch=10)

    # Every due row was claimed by exactly one sweeper: no appeal was counted twice.
    assert sum(r.overdue for r in results) == APPEALS
    assert sum(r.warned for r in results) == APPEALS + APPROACHING
    assert all(r.overdue > 0 for r in results), "the sweepers did not overlap; the race was not exercised"
    assert not Appeal.objects.filter(pk__in=overdue, overdue_marked_at__isnull=True).exists()
    assert not Appeal.objects.filter(pk__in=overdue + approaching, warned_at__isnull=True).exists()

    breaches = DeadlineBreach.objects.all()
    assert breaches.count() == APPEALS
    assert sorted(breaches.values_list("appeal_id", flat=True)) == sorted(overdue)
    assert set(breaches.values_list("stage", "executor_id", "coordinator_id").distinct()) == {
        (Stage.ANSWER, executor_id, coordinator_id)
    }
    _once_per_appeal_and_holder("overdue", overdue, {coordinator_id, executor_id})
    _once_per_appeal_and_holder("approaching", approaching, {coordinator_id, executor_id})
    assert not Notice.objects.filter(kind="approaching", appeal_id__in=overdue).exists()


def test_a_second_pair_of_sweepers_finds_nothing_left_to_do():
    _due_appeals()
    _run_side_by_side(2, batch=25)
    breaches, notices = DeadlineBreach.objects.count(), Notice.objects.count()
    assert breaches == APPEALS

    again = _run_side_by_side(2, batch=25)

    assert sum(r.total() for r in again) == 0
    assert (DeadlineBreach.objects.count(), Notice.objects.count()) == (breaches, notices)
