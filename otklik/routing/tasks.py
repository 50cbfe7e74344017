"""Background work of routing (Django Tasks API): automatic routing of each message that enters
moderation (the receiver in apps.py) and the nightly retraining (core/tasks.py SCHEDULE)."""

from __future__ import annotations

from django_tasks import task

from otklik.routing import services


@task()
def route_automatically(appeal_id: int) -> None:
    services.appeal_route_automatically(appeal_id=appeal_id)


@task()
def retrain() -> None:
    services.routing_models_train()
