"""Periodic work of the privacy domain (its schedule is in core/tasks.py)."""

from __future__ import annotations

from django_tasks import task

from otklik.privacy.services import applicants_anonymise


@task()
def anonymise_due() -> None:
    # Personal data are kept no longer than the region's term (152-FZ art. 5): a daily pass is within a day.
    applicants_anonymise()
