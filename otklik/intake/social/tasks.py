"""Background work of the social intake (Django Tasks API). ``fetch_due`` and ``publish_due`` are in
core/tasks.py SCHEDULE; the receiver in apps.py enqueues ``plan_replies`` when an answer is given."""

from __future__ import annotations

from django_tasks import task


@task()
def fetch_due() -> None:
    """Every active source whose interval has passed, each in its own task (one slow network
    does not hold the others)."""
    from otklik.intake.social.selectors import active_sources

    for source in active_sources(only_due=True):
        fetch_source.enqueue(source.pk)


@task()
def fetch_source(source_id: int) -> None:
    from otklik.intake.social.fetch import fetch_source as fetch
    from otklik.intake.social.models import Source

    source = Source.objects.filter(pk=source_id, is_active=True).select_related("territory", "organization").first()
    if source is not None:
        fetch(source)


@task()
def plan_replies(appeal_id: int) -> None:
    from otklik.intake.social.publish import publish_attempt
    from otklik.intake.social.services import replies_plan

    for attempt_id in replies_plan(appeal_id=appeal_id):
        publish_attempt(attempt_id)


@task()
def publish_due() -> None:
    from otklik.intake.social.publish import publish_due as publish

    publish()


@task()
def check_official_accounts() -> None:
    from otklik.intake.social.accounts import check_accounts

    check_accounts()
