"""Deadline control (seed 004 §4): events late to start, to finish or to publish results are flagged once,
counted in the monthly report and shown in the disciplinary register."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from otklik.accounts.models import Role
from otklik.core.tasks import SCHEDULE_FIELDS
from otklik.notifications.models import Notice
from otklik.participation import reports
from otklik.participation import services as s
from otklik.participation.models import EventEntry, Kind, Lateness
from otklik.participation.tasks import control_deadlines
from tests import factories as f

from .conftest import budget_event, open_event


def test_the_control_runs_every_five_minutes_from_the_one_schedule():
    assert SCHEDULE_FIELDS["otklik.participation.tasks.control_deadlines"] == {"minute": "*/5"}


def test_an_event_not_published_by_its_start_is_late_to_start_and_flagged_once(
        world, _controlled_clock, django_capture_on_commit_callbacks):
    event = open_event(world, Kind.POLL, starts_at=timezone.now() + dt.timedelta(hours=2))
    assert control_deadlines.call() == 0
    _controlled_clock.shift(dt.timedelta(hours=3))
    with django_capture_on_commit_callbacks(execute=True):
        assert control_deadlines.call() == 1
    assert control_deadlines.call() == 0  # idempotent
    flag = Lateness.objects.get()
    assert (flag.event, flag.stage, flag.organization) == (event, Lateness.Stage.START, world.org)
    assert EventEntry.objects.filter(event=event, action="flag_late").count() == 1
    assert Notice.objects.filter(kind="participation_late", recipient=world.organiser).count() == 1


def test_an_open_vote_after_its_end_is_late_to_finish_and_results_late_after_their_day(world, _controlled_clock):
    event, _made = budget_event(world)
    _controlled_clock.shift(dt.timedelta(days=7, hours=2))
    control_deadlines.call()
    assert set(Lateness.objects.values_list("stage", flat=True)) == {Lateness.Stage.FINISH}
    s.event_finish(user=world.organiser, event_id=event.pk)
    event.refresh_from_db()
    _controlled_clock.move_to(timezone.localtime(s.region_calendar().end_of_day(event.results_due_on))
                              + dt.timedelta(minutes=1))
    control_deadlines.call()
    assert set(Lateness.objects.values_list("stage", flat=True)) == {Lateness.Stage.FINISH, Lateness.Stage.RESULTS}


def test_results_published_on_time_are_not_flagged(world, _controlled_clock):
    event, _made = budget_event(world)
    _controlled_clock.shift(dt.timedelta(days=7, minutes=30))
    s.event_finish(user=world.organiser, event_id=event.pk)
    s.event_publish_results(user=world.organiser, event_id=event.pk)
    _controlled_clock.shift(dt.timedelta(days=30))
    control_deadlines.call()
    assert not Lateness.objects.exists()


def test_the_monthly_report_counts_events_held_on_time_and_late(world, _controlled_clock):
    on_time, _made = budget_event(world)
    open_event(world, Kind.DISCUSSION, starts_at=timezone.now() + dt.timedelta(hours=1))  # never published
    _controlled_clock.shift(dt.timedelta(days=7, minutes=30))
    s.event_finish(user=world.organiser, event_id=on_time.pk)
    control_deadlines.call()
    month = timezone.localdate()
    start = month.replace(day=1)
    end = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    counts = reports.monthly_counts(start, end, None)
    assert counts == {world.org.pk: {"votes": 1, "discussions": 1, "held_on_time": 1, "held_late": 1}}
    assert reports.monthly_counts(start, end, frozenset({world.other_org.pk})) == {}
    from otklik.reports.figures import _participation

    section = _participation(start, end, None)
    assert section["available"] and section["total"]["held_late"] == 1 and section["total"]["votes"] == 1


def test_the_disciplinary_register_shows_late_events_to_the_regional_coordinator_only_in_scope(world, client,
                                                                                                _controlled_clock):
    event = open_event(world, Kind.POLL, starts_at=timezone.now() + dt.timedelta(hours=1))
    _controlled_clock.shift(dt.timedelta(hours=2))
    control_deadlines.call()
    client.force_login(world.coordinator)
    page = client.get(reverse("reports:breaches")).content.decode()
    assert "Обсуждения, голосования и опросы с нарушением сроков" in page and event.title in page
    assert "начато с нарушением срока" in page
    other_head = f.user("other-head", (Role.HEAD, world.other_org))
    client.force_login(other_head)
    assert event.title not in client.get(reverse("reports:breaches")).content.decode()
