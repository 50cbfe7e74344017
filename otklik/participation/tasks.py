"""Background work of public participation. Notices go through a worker because an event's audience may
be a whole district; deadline control is periodic (core/tasks.py SCHEDULE) and idempotent: a flag is
recorded once per event and stage, and notices a failed run left unmade are made by the next run."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from otklik.participation import notify, selectors, services


@task()
def notify_new_event(event_id: int) -> int:
    return notify.announce_event(event_id)


@task()
def notify_results(event_id: int) -> int:
    return notify.announce_results(event_id)


@task()
def notify_late(lateness_id: int) -> int:
    return notify.tell_late(lateness_id)


@task()
def control_deadlines() -> int:
    """Flag events late to start, to finish or to publish results; catch up on unsent announcements."""
    now = timezone.now()
    rules_row = selectors.participation_settings()
    flagged = 0
    for event in selectors.due_for_control(now):
        for stage, due_at in services.late_stage(event, now, rules_row):
            if services.lateness_flag(event_id=event.pk, stage=stage, due_at=due_at, now=now) is not None:
                flagged += 1
    for event_id in selectors.unannounced_events():
        notify.announce_event(event_id)
    for event_id in selectors.unannounced_results():
        notify.announce_results(event_id)
    return flagged
