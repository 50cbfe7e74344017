"""The event log's hash chain: each event's hash covers its content and the previous event's hash,
and the appeal keeps the last one, so an edited, removed, inserted or reordered event is detected
(``manage.py verify_events``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = ""


def event_hash(previous: str, *, appeal_id: int, at: dt.datetime, action: str, actor_id: int | None, role: str,
               acting_for_id: int | None, organization_id: int | None, from_state: str, to_state: str,
               reason: str, payload: dict[str, Any]) -> str:
    canonical = json.dumps(
        [previous, appeal_id, at.astimezone(dt.UTC).isoformat(timespec="microseconds"), str(action), actor_id,
         str(role), acting_for_id, organization_id, str(from_state), str(to_state), reason, payload],
        sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def hash_of(event: Any, previous: str) -> str:
    """The hash an AppealEvent (saved or not) must carry after ``previous``."""
    return event_hash(previous, appeal_id=event.appeal_id, at=event.at, action=event.action,
                      actor_id=event.actor_id, role=event.role, acting_for_id=event.acting_for_id,
                      organization_id=event.organization_id, from_state=event.from_state,
                      to_state=event.to_state, reason=event.reason, payload=event.payload)


@dataclass(frozen=True)
class Break:
    appeal_id: int
    event_id: int | None
    problem: str


def verify(events: Iterable[Any], last_hash: str, appeal_id: int) -> list[Break]:
    """Walk one appeal's events in log order; every break of the chain found."""
    found: list[Break] = []
    previous = GENESIS
    for event in events:
        if event.prev_hash != previous:
            found.append(Break(appeal_id, event.pk, "the event before it was removed, inserted or moved"))
        if hash_of(event, event.prev_hash) != event.hash:
            found.append(Break(appeal_id, event.pk, "the event was edited"))
        previous = event.hash
    if previous != last_hash:
        found.append(Break(appeal_id, None, "the last events were removed"))
    return found
