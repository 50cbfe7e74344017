"""Background work of the appeals domain (Django Tasks API; its schedule is in core/tasks.py). The
sweep also runs as its own command (``manage.py sweep_deadlines --loop``), so deadlines do not depend
on the queue being up."""

from __future__ import annotations

from django_tasks import task

from otklik.appeals.sweeps import sweep
from otklik.notifications.tasks import retry_unsent


@task()
def sweep_deadlines() -> None:
    sweep()
    retry_unsent()
