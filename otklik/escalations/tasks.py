"""Background work of escalations (Django Tasks API). The receiver in apps.py enqueues ``detect_appeal``
for each new appeal and ``open_significant`` for a staff flag; ``catch_up`` (core/tasks.py SCHEDULE)
feeds whatever a failed or lost task left, so a failure is retried and no appeal is dropped."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from otklik.escalations import services


@task()
def detect_appeal(appeal_id: int) -> None:
    services.feed_appeal(appeal_id=appeal_id)


@task()
def open_significant(appeal_id: int) -> None:
    services.open_for_staff_flag(appeal_id=appeal_id)


@task()
def catch_up() -> None:
    from otklik.escalations.selectors import unfed_appeal_ids

    for appeal_id in unfed_appeal_ids(since=timezone.now() - dt.timedelta(days=2)):
        services.feed_appeal(appeal_id=appeal_id)
