"""Issue 11 §13: the event log is append-only in the database and hash-chained per appeal;
`manage.py verify_events` finds an edited, removed or reordered event. The appeal is never deleted
with its history."""

import contextlib
import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models.deletion import ProtectedError

from otklik.appeals import services as s
from otklik.appeals.models import Appeal, AppealEvent
from otklik.demo.load import generate

pytestmark = pytest.mark.django_db

TRIGGERS = {
    "sqlite": ("DROP TRIGGER appeals_event_no_update",
               "CREATE TRIGGER appeals_event_no_update BEFORE UPDATE ON appeals_appealevent "
               "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"),
    # A superuser's way round every trigger (the CI's database user is one).
    "postgresql": ("SET session_replication_role = replica", "SET session_replication_role = DEFAULT"),
}


@contextlib.contextmanager
def tampering():
    """What someone with direct database access would do first: switch the protection off."""
    off, on = TRIGGERS[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(off)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(on)


def _history(world) -> Appeal:
    appeal = s.appeal_submit(text="Яма", category=world.category, territory=world.territory)
    s.appeal_accept(appeal_id=appeal.pk, user=world.moderator)
    return s.appeal_assign(appeal_id=appeal.pk, user=world.coordinator, executor_id=world.executor.pk)


def _verify() -> str:
    try:
        call_command("verify_events", stdout=(out := __import__("io").StringIO()))
    except CommandError:
        return "broken: " + out.getvalue()
    return "intact: " + out.getvalue()


def test_an_intact_log_verifies(world):
    _history(world)
    _history(world)
    assert _verify().startswith("intact: 2 appeals")


def test_an_event_cannot_be_changed_in_the_database(world):
    appeal = _history(world)
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        AppealEvent.objects.filter(appeal=appeal).update(reason="иначе")


def test_an_appeal_with_a_history_cannot_be_deleted(world):
    appeal = _history(world)
    with pytest.raises(ProtectedError):
        appeal.delete()


@pytest.mark.parametrize("tamper", ["edit", "remove_middle", "remove_last", "reorder"])
def test_verify_events_finds_an_edited_removed_or_reordered_event(world, tamper):
    appeal = _history(world)
    _history(world)
    events = list(AppealEvent.objects.filter(appeal=appeal).order_by("at", "id"))
    with tampering():
        if tamper == "edit":
            AppealEvent.objects.filter(pk=events[1].pk).update(reason="подправлено")
        elif tamper == "remove_middle":
            AppealEvent.objects.filter(pk=events[1].pk).delete()
        elif tamper == "remove_last":
            AppealEvent.objects.filter(pk=events[-1].pk).delete()
        else:
            AppealEvent.objects.filter(pk=events[-1].pk).update(at=events[0].at - dt.timedelta(seconds=1))
    result = _verify()
    assert result.startswith("broken") and f"appeal {appeal.pk}" in result


def test_the_bulk_sink_writes_the_same_chain(world):
    generate(appeals=30, seed=3, months=1, now=dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC))
    assert Appeal.objects.count() >= 30
    assert _verify().startswith("intact")
