"""Issue 11 §14: backup and restore round-trip. A copy taken while the site runs restores to exactly
the same rows, after the database was changed in between; on SQLite (online backup) and PostgreSQL
(pg_dump/pg_restore, CI's second run)."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from otklik.appeals import services as s
from otklik.appeals.models import Appeal, AppealEvent

pytestmark = pytest.mark.django_db(transaction=True)


def _state() -> list:
    appeals = list(Appeal.objects.order_by("pk").values_list("pk", "number", "state", "text", "due_at"))
    events = list(AppealEvent.objects.order_by("pk").values_list("pk", "appeal_id", "action", "at", "payload"))
    return [appeals, events]


def test_a_backup_restores_to_the_same_rows(tmp_path, world):
    for text in ("Яма на дороге", "Нет света во дворе", "Мусор не вывозят"):
        appeal = s.appeal_submit(text=text, category=world.category, territory=world.territory)
        s.appeal_accept(appeal_id=appeal.pk, user=world.moderator)
    before = _state()
    target = tmp_path / ("otklik.sqlite3" if connection.vendor == "sqlite" else "otklik.dump")
    call_command("backup_db", str(target))
    assert target.stat().st_size > 0

    # Changes after the backup: one more appeal with its history, one appeal edited.
    s.appeal_submit(text="После резервной копии", category=world.category, territory=world.territory)
    Appeal.objects.filter(pk=before[0][0][0]).update(text="изменено")
    assert _state() != before

    with pytest.raises(CommandError):
        call_command("restore_db", str(target))  # without --yes nothing is replaced
    call_command("restore_db", str(target), "--yes")
    assert _state() == before
    call_command("verify_events")  # the restored log's hash chain is intact
