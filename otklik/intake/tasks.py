"""Periodic housekeeping of intake."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from otklik.intake.services import attachments_purge_abandoned


# Hourly: files of forms never sent are personal data nobody needs, and anonymous disk use stays bounded.
@db_periodic_task(crontab(minute="17"))
def purge_abandoned_uploads() -> None:
    attachments_purge_abandoned()
