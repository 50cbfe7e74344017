"""Rollups maintained incrementally from the append-only logs (AppealEvent, DeadlineBreach).

The processor folds new log rows in id order into per-appeal facts (AppealFact) and adds their
effect to DailyRollup / DurationRollup. The cursor, the facts and the counters change in one
transaction, so a crash or a second run never counts a row twice: the run is idempotent, and two
processors serialise on the cursor row. This module folds; the writes of a batch (the counters, the
facts, the cursor) are ``reports.services.rollup_apply``'s.

Ids are handed out at insert but become visible at commit, so a slower transaction can commit an
id below one already read. A hole just after the cursor is therefore waited for (``gap_wait``);
a hole older than that was a rollback and is stepped over.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from otklik.appeals.lifecycle import OPEN_STATES, Action, Regime
from otklik.appeals.models import Appeal, AppealEvent, DeadlineBreach
from otklik.reports.models import AppealFact, DurationRollup, RollupCursor

EVENTS = "events"
BREACHES = "breaches"
DEFAULT_GAP_WAIT = dt.timedelta(seconds=getattr(settings, "OTKLIK_ROLLUP_GAP_WAIT", 120))
LOW_RATING = 3

# Upper bounds of duration buckets, in hours: fine steps within the first day (social posts are
# answered in hours), then whole days up to 45, then coarse. The last bucket is open-ended.
BUCKET_UPPER_HOURS: tuple[float, ...] = (
    1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 18, 21, 24,
    *(24 * d for d in range(2, 46)),
    24 * 50, 24 * 60, 24 * 75, 24 * 90, 24 * 120, float("inf"),
)
ARRIVALS = frozenset({Action.ACCEPT, Action.ROUTE, Action.REDIRECT})
REPLIES = frozenset({Action.INTERMEDIATE, Action.PUBLISH})
SIMPLE_COUNTERS = {
    Action.POSTPONE: "postponed",
    Action.EXTEND: "extended",
    Action.TRANSFER: "transferred",
    Action.REJECT: "rejected",
    Action.LEAVE_WITHOUT_ANSWER: "left_without_answer",
    Action.RECONSIDER: "reconsidered",
    Action.CLOSE: "closed",
}

Key = tuple[dt.date, int, int, int, str, str]
DurationKey = tuple[dt.date, int, int, int, str, str, str, int]


def bucket_of(seconds: float) -> int:
    return bisect.bisect_left(BUCKET_UPPER_HOURS, max(seconds, 0) / 3600)


def bucket_bounds(bucket: int) -> tuple[float, float]:
    """Lower and upper bound of a bucket in hours (the last one is capped at its lower bound × 1.5)."""
    low = BUCKET_UPPER_HOURS[bucket - 1] if bucket > 0 else 0.0
    high = BUCKET_UPPER_HOURS[bucket]
    return low, (high if high != float("inf") else low * 1.5)


@dataclass
class RollupResult:
    events: int = 0
    breaches: int = 0
    waiting_for_gap: bool = False


class _Deltas:
    """Counter changes of one batch, keyed like the rollup tables."""

    def __init__(self) -> None:
        self.daily: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.durations: dict[DurationKey, int] = defaultdict(int)

    def add(self, key: Key, counter: str, value: int = 1) -> None:
        self.daily[key][counter] += value

    def duration(self, key: Key, metric: str, seconds: float) -> None:
        self.durations[(*key, metric, bucket_of(seconds))] += 1


def _day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _key(day: dt.date, fact: AppealFact, organization_id: int | None = None) -> Key:
    org = fact.organization_id if organization_id is None else organization_id
    return (day, org, fact.category_id, fact.territory_id, fact.channel, fact.regime)


def _holding(fact: AppealFact) -> tuple[int, int] | None:
    """Where an open appeal counts in the backlog; None once it is no longer open."""
    return (fact.organization_id, fact.category_id) if fact.state in OPEN_STATES else None


# --- folding events ---------------------------------------------------------------------------------


def _load_facts(appeal_ids: set[int]) -> dict[int, AppealFact]:
    facts = {fact.appeal_id: fact for fact in AppealFact.objects.filter(appeal_id__in=appeal_ids)}
    missing = appeal_ids - facts.keys()
    if not missing:
        return facts
    # The category an appeal was submitted with: the first reclassification remembers it.
    first_category: dict[int, int | None] = {}
    for appeal_id, payload in (
        AppealEvent.objects.filter(appeal_id__in=missing, action=Action.RECLASSIFY).order_by("id")
        .values_list("appeal_id", "payload")
    ):
        first_category.setdefault(appeal_id, (payload or {}).get("from_category_id"))
    for row in Appeal.objects.filter(pk__in=missing).values(
        "id", "category_id", "territory_id", "channel", "regime", "received_at"
    ):
        category = first_category.get(row["id"], row["category_id"])
        facts[row["id"]] = AppealFact(
            appeal_id=row["id"], organization_id=0, category_id=category or 0, territory_id=row["territory_id"] or 0,
            channel=row["channel"], regime=row["regime"], state="", received_at=row["received_at"],
        )
    return facts


def _fold_event(fact: AppealFact, event: dict[str, Any], deltas: _Deltas) -> None:
    action = event["action"]
    at: dt.datetime = event["at"]
    payload = event["payload"] or {}
    day = _day(at)
    before = _holding(fact)
    if not fact.state and action != Action.SUBMIT:
        # History that starts mid-way (imported data): take the state the event came from.
        fact.state = event["from_state"]
        fact.organization_id = event["organization_id"] or 0
        before = _holding(fact)

    if action == Action.SUBMIT:
        fact.received_at = at
        deltas.add(_key(day, fact, 0), "submitted")
    elif action == Action.REGISTER:
        fact.term_started_at = at
    elif action in ARRIVALS:
        new_org = event["organization_id"] or 0
        if fact.organization_id and fact.organization_id != new_org:
            deltas.add(_key(day, fact), "redirected")
        fact.organization_id = new_org
        deltas.add(_key(day, fact), "received")
    elif action == Action.RETURN_TO_MODERATION:
        deltas.add(_key(day, fact), "redirected")
        fact.organization_id = 0
    elif action == Action.RECLASSIFY:
        fact.category_id = payload.get("category_id") or fact.category_id
    elif action == Action.RATE:
        rating = int(payload.get("rating") or 0)
        if rating:
            key = _key(day, fact)
            deltas.add(key, "rated")
            deltas.add(key, "rating_sum", rating)
            if rating < LOW_RATING:
                deltas.add(key, "rated_low")
    elif action in SIMPLE_COUNTERS:
        deltas.add(_key(day, fact), SIMPLE_COUNTERS[action])
        if action == Action.RECONSIDER:
            fact.term_started_at = at

    if action == Action.PUBLISH:
        key = _key(day, fact)
        start = fact.term_started_at or fact.received_at
        seconds = max((at - start).total_seconds(), 0)
        deltas.add(key, "answered")
        deltas.add(key, "answered_on_time" if payload.get("on_time", True) else "answered_late")
        deltas.add(key, "answer_seconds", int(seconds))
        deltas.duration(key, DurationRollup.Metric.ANSWER, seconds)
    if action in REPLIES and fact.regime == Regime.SOCIAL and fact.first_reply_at is None:
        fact.first_reply_at = at
        key = _key(day, fact)
        seconds = max((at - fact.received_at).total_seconds(), 0)
        deltas.add(key, "first_replies")
        deltas.add(key, "first_reply_seconds", int(seconds))
        deltas.duration(key, DurationRollup.Metric.FIRST_REPLY, seconds)

    fact.state = event["to_state"]
    after = _holding(fact)
    if before != after:
        if before is not None:
            deltas.add((day, before[0], before[1], fact.territory_id, fact.channel, fact.regime), "open_delta", -1)
        if after is not None:
            deltas.add((day, after[0], after[1], fact.territory_id, fact.channel, fact.regime), "open_delta", 1)


Folded = tuple[_Deltas, list[AppealFact]]


def _fold_events(events: Sequence[dict[str, Any]]) -> Folded:
    facts = _load_facts({event["appeal_id"] for event in events})
    deltas = _Deltas()
    for event in events:
        fact = facts.get(event["appeal_id"])
        if fact is not None:  # the appeal was deleted after the event was read
            _fold_event(fact, event, deltas)
    return deltas, list(facts.values())


def _fold_breaches(breaches: Sequence[dict[str, Any]]) -> Folded:
    facts = _load_facts({row["appeal_id"] for row in breaches})
    deltas = _Deltas()
    for row in breaches:
        fact = facts.get(row["appeal_id"])
        if fact is None:
            continue
        # A missed stage budget is internal (a warning and a dashboard figure), unless the region
        # counts stage budgets as breaches: then the sweeper recorded it as a breach like any other.
        counter = "stage_breaches" if row["internal"] else "breaches"
        deltas.add(_key(_day(row["detected_at"]), fact, row["organization_id"] or 0), counter)
    # Facts are the event fold's to keep; a breach only reads them.
    return deltas, []


# --- the processor ----------------------------------------------------------------------------------


def _contiguous(cursor: RollupCursor, ids: list[int], now: dt.datetime, gap_wait: dt.timedelta) -> int:
    """How many of ``ids`` (ascending, all above the cursor) may be folded now."""
    expected = cursor.last_id + 1
    fresh = cursor.last_id == 0  # nothing folded yet: history may start at any id
    for index, row_id in enumerate(ids):
        if row_id != expected and not (fresh and index == 0):
            if cursor.gap_seen_at is None:
                cursor.gap_seen_at = now
                return index
            if now - cursor.gap_seen_at < gap_wait:
                return index
        cursor.gap_seen_at = None
        expected = row_id + 1
    return len(ids)


EVENT_FIELDS = ("id", "appeal_id", "at", "action", "organization_id", "from_state", "to_state", "payload")
BREACH_FIELDS = ("id", "appeal_id", "stage", "detected_at", "organization_id", "internal")


def _run_log(name: str, read: Callable[[int, int], list[dict[str, Any]]],
             fold: Callable[[Sequence[dict[str, Any]]], Folded], *, batch_size: int, gap_wait: dt.timedelta,
             progress: Callable[[int], None] | None) -> tuple[int, bool]:
    from otklik.reports import services  # here: the services module imports this one

    done = 0
    while True:
        with transaction.atomic():
            cursor = services.rollup_cursor_lock(name=name)
            rows = read(cursor.last_id, batch_size)
            take = _contiguous(cursor, [row["id"] for row in rows], timezone.now(), gap_wait)
            deltas, facts = fold(rows[:take]) if take else (_Deltas(), [])
            if take:
                cursor.last_id = rows[take - 1]["id"]
            services.rollup_apply(cursor=cursor, daily=deltas.daily, durations=deltas.durations, facts=facts)
        done += take
        if progress is not None and take:
            progress(done)
        if take < len(rows):
            return done, True
        if len(rows) < batch_size:
            return done, False


def rollup_update(*, batch_size: int = 5000, gap_wait: dt.timedelta | None = None,
                  progress: Callable[[int], None] | None = None) -> RollupResult:
    """Fold every log row not folded yet. Safe to run at any time, as often as wanted."""
    wait = DEFAULT_GAP_WAIT if gap_wait is None else gap_wait

    def read_events(last_id: int, limit: int) -> list[dict[str, Any]]:
        return list(AppealEvent.objects.filter(id__gt=last_id).order_by("id").values(*EVENT_FIELDS)[:limit])

    def read_breaches(last_id: int, limit: int) -> list[dict[str, Any]]:
        return list(DeadlineBreach.objects.filter(id__gt=last_id).order_by("id").values(*BREACH_FIELDS)[:limit])

    result = RollupResult()
    result.events, stalled_events = _run_log(EVENTS, read_events, _fold_events, batch_size=batch_size,
                                             gap_wait=wait, progress=progress)
    result.breaches, stalled_breaches = _run_log(BREACHES, read_breaches, _fold_breaches, batch_size=batch_size,
                                                 gap_wait=wait, progress=None)
    result.waiting_for_gap = stalled_events or stalled_breaches
    return result


def rollup_rebuild(*, batch_size: int = 5000, progress: Callable[[int], None] | None = None) -> RollupResult:
    """Throw the rollups away and fold the whole history again (after a change of definitions)."""
    from otklik.reports import services

    services.rollup_clear()
    return rollup_update(batch_size=batch_size, gap_wait=dt.timedelta(0), progress=progress)
