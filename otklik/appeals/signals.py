"""What other domains may follow in the appeals' life without the appeals knowing them.

``event_recorded`` is sent once the transaction that wrote lifecycle events has committed, once per
call, with the appeal's id and the actions recorded (a submission that is registered at once sends
``["submit", "register"]``). Domains above appeals (routing, escalations, social replies) connect a
receiver in their ``AppConfig.ready``; a receiver that does real work enqueues a task, so a failure
is retried by the worker instead of being lost or breaking the write that has already committed.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

from otklik.core.queue import enqueued_together

event_recorded = Signal()  # kwargs: appeal_id: int, actions: list[str]


def _send(appeal_id: int, actions: list[str]) -> None:
    # The receivers' tasks (routing's and the detector's after an intake) reach the queue together.
    with enqueued_together():
        event_recorded.send(sender=None, appeal_id=appeal_id, actions=actions)


def send_after_commit(appeal_id: int, actions: list[str]) -> None:
    if not event_recorded.receivers:
        return
    transaction.on_commit(lambda: _send(appeal_id, actions))
