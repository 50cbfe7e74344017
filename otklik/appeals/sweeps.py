"""The deadline sweeper: marks approaching and overdue appeals, records breaches, sends notices.

Idempotent and safe to run side by side: every kind of due row is claimed with a conditional
UPDATE … RETURNING that sets the kind's marker only where it is still empty, so two sweepers never
act on the same row twice. The claim, the breach and the notices commit together, so a crash
leaves the row unclaimed for the next run rather than losing it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from otklik.accounts.models import Role
from otklik.appeals import notify
from otklik.appeals.models import Appeal, Stage
from otklik.appeals.services import Breach, breaches_record, deadline_claim
from otklik.registry.selectors import region_settings


@dataclass
class SweepResult:
    warned: int = 0
    overdue: int = 0
    stage_overdue: int = 0
    needs_executor: int = 0
    resolution_overdue: int = 0

    def total(self) -> int:
        return self.warned + self.overdue + self.stage_overdue + self.needs_executor + self.resolution_overdue


@dataclass(frozen=True)
class _Kind:
    """A kind of due row: the partial index that holds the rows still to act on (its condition is the
    claim's, appeals/models.py), the marker the claim sets and the moment that makes a row due."""

    index: str
    marker: str
    moment: str


WARN = _Kind("appeal_sweep_warn", "warned_at", "warn_at")
OVERDUE = _Kind("appeal_sweep_overdue", "overdue_marked_at", "due_at")
# Only stages whose deadline comes before the whole term's: the overall breach covers the others.
STAGE = _Kind("appeal_sweep_stage", "stage_overdue_marked_at", "stage_due_at")
EXECUTOR = _Kind("appeal_sweep_executor", "executor_alarm_marked_at", "executor_alarm_at")
# A promised resolution date is watched after the answer too, until the work is recorded as done.
RESOLUTION = _Kind("appeal_sweep_resolution", "resolution_overdue_marked_at", "resolution_due_at")


def _run(kind: _Kind, now: dt.datetime, batch: int, act: Callable[[Appeal, list[Breach]], None],
         memo: dict[Any, Any]) -> int:
    """Claim and act on due rows a batch at a time: each batch's breaches are one statement and its
    notices one statement and a few delivery tasks, committed with the claim. ``memo`` keeps for the
    whole sweep what its notices share (officials, stand-ins, templates): a sweep takes seconds."""
    done = 0
    while True:
        with transaction.atomic():
            breaches: list[Breach] = []
            with notify.batch(memo):
                ids = deadline_claim(index=kind.index, marker=kind.marker, moment=kind.moment, now=now, limit=batch)
                for appeal in Appeal.objects.filter(pk__in=ids).select_related("organization"):
                    act(appeal, breaches)
            if breaches:
                breaches_record(breaches, now)
        done += len(ids)
        if len(ids) < batch:
            return done


def _holders(appeal: Appeal) -> list[int | None]:
    return [appeal.executor_id, appeal.coordinator_id]


def _tell_whoever_holds_it(appeal: Appeal, kind: str, key: str) -> None:
    """An appeal held by an organisation concerns its coordinators; one that no organisation holds
    yet (registration, moderation, returned as not our competence) concerns the moderators."""
    if appeal.organization_id is not None:
        notify.organization_coordinators(appeal, None, kind, dedupe=key)
        return
    notify.moderators(appeal, None, kind, dedupe=key)


def _warn_the_stage_holder(appeal: Appeal, key: str) -> None:
    """A missed stage budget is a warning to whoever holds that stage: the heads for approval, the
    executor while it is executed, the coordinators while it waits for one, the moderators before."""
    if appeal.stage == Stage.APPROVAL and appeal.organization_id is not None:
        notify.organization_role(appeal, None, "stage_overdue", Role.HEAD, dedupe=key)
    elif appeal.stage in {Stage.EXECUTION, Stage.PUBLICATION} and appeal.executor_id is not None:
        notify.staff(appeal, None, "stage_overdue", [appeal.executor_id], dedupe=key)
    else:
        _tell_whoever_holds_it(appeal, "stage_overdue", key)


def sweep(*, now: dt.datetime | None = None, batch: int = 1000) -> SweepResult:
    now = now or timezone.now()
    result = SweepResult()
    # Stage budgets are internal (the acts fix only the answer term) unless the region says otherwise.
    stage_is_internal = not region_settings().stage_breaches_in_register
    memo: dict[Any, Any] = {}

    def warn(appeal: Appeal, breaches: list[Breach]) -> None:
        if appeal.due_at is not None and appeal.due_at <= now:
            # Already overdue (the sweeper was down, or the term was short): the overdue notice
            # says more, and "approaching" after the fact only confuses.
            return
        key = f"warn:{appeal.pk}:{appeal.due_at.isoformat() if appeal.due_at else ''}"
        notify.staff(appeal, None, "approaching", _holders(appeal), dedupe=key)

    def overdue(appeal: Appeal, breaches: list[Breach]) -> None:
        breaches.append(Breach(appeal, Stage.ANSWER, appeal.due_at))
        key = f"overdue:{appeal.pk}:{appeal.due_at.isoformat() if appeal.due_at else ''}"
        notify.staff(appeal, None, "overdue", _holders(appeal), dedupe=key)
        if appeal.coordinator_id is None:
            _tell_whoever_holds_it(appeal, "overdue", key)

    def stage_overdue(appeal: Appeal, breaches: list[Breach]) -> None:
        breaches.append(Breach(appeal, appeal.stage or Stage.EXECUTION, appeal.stage_due_at, stage_is_internal))
        key = f"stage:{appeal.pk}:{appeal.stage}:{appeal.stage_due_at.isoformat() if appeal.stage_due_at else ''}"
        _warn_the_stage_holder(appeal, key)

    def needs_executor(appeal: Appeal, breaches: list[Breach]) -> None:
        key = f"needs_executor:{appeal.pk}:{appeal.postponed_at.isoformat() if appeal.postponed_at else ''}"
        notify.organization_coordinators(appeal, None, "needs_executor", dedupe=key)

    def resolution_overdue(appeal: Appeal, breaches: list[Breach]) -> None:
        breaches.append(Breach(appeal, Stage.RESOLUTION, appeal.resolution_due_at))
        key = f"resolution:{appeal.pk}:{appeal.resolution_on.isoformat() if appeal.resolution_on else ''}"
        notify.staff(appeal, None, "resolution_overdue", _holders(appeal), dedupe=key)

    result.warned = _run(WARN, now, batch, warn, memo)
    result.overdue = _run(OVERDUE, now, batch, overdue, memo)
    result.stage_overdue = _run(STAGE, now, batch, stage_overdue, memo)
    result.needs_executor = _run(EXECUTOR, now, batch, needs_executor, memo)
    result.resolution_overdue = _run(RESOLUTION, now, batch, resolution_overdue, memo)
    return result
