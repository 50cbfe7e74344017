"""Background work of routing (Django Tasks API): the fingerprint of each new text and automatic routing
of each message that enters moderation (the receiver in apps.py); the nightly retraining (core/tasks.py)."""

from __future__ import annotations

from django_tasks import task

from otklik.routing import services


@task()
def route_automatically(appeal_id: int) -> None:
    services.appeal_route_automatically(appeal_id=appeal_id)


@task()
def intake_appeal(appeal_id: int) -> None:
    services.appeal_fingerprint(appeal_id=appeal_id)
    services.appeal_route_automatically(appeal_id=appeal_id)


@task()
def retrain() -> None:
    # Texts a lost fingerprint task missed are fingerprinted here too: similar-appeal search needs them.
    services.fingerprints_catch_up()
    services.routing_models_train()


@task()
def fingerprint_appeal(appeal_id: int) -> None:
    services.appeal_fingerprint(appeal_id=appeal_id)


@task()
def answer_duplicates(appeal_id: int) -> None:
    services.duplicates_answer(appeal_id=appeal_id)
