"""Replaying the event log: the stored state must always be what the events say it is.

Used by tests and by the consistency check of generated data; a report computed from events is
only as good as this property.
"""

from __future__ import annotations

from collections.abc import Iterable

from otklik.appeals.lifecycle import Action, State, transition_for
from otklik.appeals.models import Appeal, AppealEvent


class ReplayError(ValueError):
    pass


def replay_state(events: Iterable[AppealEvent], regime: str) -> str:
    """Fold the events from the first submission; every step must be a row of the transition table."""
    state = ""
    for event in events:
        if event.action == Action.SUBMIT:
            if state != "" or event.to_state != State.RECEIVED:
                raise ReplayError(f"event {event.pk}: submission must come first")
        else:
            if event.from_state != state:
                raise ReplayError(f"event {event.pk}: from {event.from_state}, but the appeal was {state}")
            row = transition_for(event.from_state, event.action, regime)
            if row is None or row.target != event.to_state:
                raise ReplayError(f"event {event.pk}: {event.from_state} --{event.action}--> {event.to_state} "
                                  f"is not in the transition table")
        state = event.to_state
    return state


def check_appeal(appeal: Appeal) -> None:
    replayed = replay_state(appeal.events.order_by("at", "id"), appeal.regime)
    if replayed != appeal.state:
        raise ReplayError(f"{appeal.number}: events replay to {replayed}, stored state is {appeal.state}")
