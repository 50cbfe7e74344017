"""Periodic housekeeping of intake (Django Tasks API; its schedule is in core/tasks.py)."""

from __future__ import annotations

from django_tasks import task

from otklik.intake.services import attachments_purge_abandoned


@task()
def purge_abandoned_uploads() -> None:
    # Files of forms never sent are personal data nobody needs, and anonymous disk use stays bounded.
    attachments_purge_abandoned()


@task()
def fill_public_texts(appeal_ids: list[int]) -> None:
    """Public texts a response had no time to check with the models (intake/redact.py)."""
    from otklik.appeals.models import Appeal
    from otklik.intake.redact import public_texts

    public_texts(Appeal.objects.filter(pk__in=appeal_ids), budget=float("inf"), enqueue=False)
