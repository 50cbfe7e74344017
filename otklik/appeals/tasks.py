"""Periodic work of the appeals domain. The sweep also runs as its own command
(``manage.py sweep_deadlines --loop``), so deadlines do not depend on the queue being up."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from otklik.appeals.sweeps import sweep
from otklik.notifications.tasks import retry_unsent


@db_periodic_task(crontab(minute="*"))
def sweep_deadlines_periodically() -> None:
    sweep()
    retry_unsent()
