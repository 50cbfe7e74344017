"""Deadline rules of the acts, applied to an appeal. All date arithmetic is in core/calendar.py;
every number is a region setting (docs/deadlines.md lists each rule, its source and its setting).

pos:    answer in at most 30 calendar days (10 for accelerated categories) from registration, or
        the category's shorter term; moved off days off; stage budgets for moderation, coordination
        and approval inside that term; postponement to a concrete date; the 75 % rule.
fz59:   registration within 3 days of receipt, redirect within 7 days of registration, answer in 30
        days, extension by at most 30 days in all.
social: 9 working hours (4 for high importance); a final answer 7 working days after an
        intermediate one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from otklik.appeals.lifecycle import Regime, State
from otklik.appeals.models import Appeal, Stage
from otklik.core.calendar import CalendarDaysExplained, WorkingCalendar
from otklik.registry.models import RegionSettings
from otklik.registry.selectors import region_calendar


def answer_days(appeal: Appeal, region: RegionSettings) -> int:
    """Calendar days to answer. The acts set a ceiling, 30 days (10 for accelerated categories),
    "unless a shorter term is set": a category's own term, or the region's override of it, may only
    shorten the ceiling that the region settings hold for the category's procedure."""
    if appeal.regime == Regime.FZ59:
        return region.fz59_answer_days
    if appeal.category is None:
        return region.answer_days_default
    return appeal.category.answer_days_in(region)


def initial_answer_due(appeal: Appeal, start: dt.datetime, region: RegionSettings, cal: WorkingCalendar) -> dt.datetime:
    if appeal.regime == Regime.SOCIAL:
        hours = region.social_answer_hours_high if appeal.high_importance else region.social_answer_hours
        return cal.add_working_hours(start, hours)
    return cal.add_calendar_days(start, answer_days(appeal, region), move_off_day=region.move_deadline_off_day)


def warn_moment(start: dt.datetime, due: dt.datetime, percent: int) -> dt.datetime:
    """The moment when ``percent`` of the term from ``start`` to ``due`` has passed."""
    return start + (due - start) * percent / 100


def working_warn_moment(start: dt.datetime, due: dt.datetime, percent: int, cal: WorkingCalendar) -> dt.datetime:
    """The same for a term measured in working hours: nights and days off do not count, so the
    warning does not fire at 3 a.m. on Monday for a post that still has most of its hours left."""
    worked = cal.working_time_between(start, due) * percent / 100
    return cal.add_working_hours(start, worked.total_seconds() / 3600)


def set_answer_term(
    appeal: Appeal,
    *,
    start: dt.datetime,
    due: dt.datetime,
    region: RegionSettings,
    cal: WorkingCalendar | None = None,
) -> None:
    """Start a new answer term; the sweeper's markers for the old one no longer apply."""
    appeal.term_started_at = start
    appeal.due_at = due
    if appeal.regime == Regime.SOCIAL:
        appeal.warn_at = working_warn_moment(start, due, region.approaching_percent, cal or region_calendar(region))
    else:
        appeal.warn_at = warn_moment(start, due, region.approaching_percent)
    appeal.warned_at = None
    appeal.overdue_marked_at = None


def reconsideration_due(appeal: Appeal, start: dt.datetime, region: RegionSettings,
                        cal: WorkingCalendar) -> dt.datetime:
    """Reconsideration after an unsatisfactory rating has its own term (region setting, 30 calendar
    days by default) from the moment it starts; a social post keeps its working-hour term."""
    if appeal.regime == Regime.SOCIAL:
        return initial_answer_due(appeal, start, region, cal)
    return cal.add_calendar_days(start, region.reconsideration_days, move_off_day=region.move_deadline_off_day)


def term_days(appeal: Appeal, region: RegionSettings) -> int:
    """Calendar days of the current consideration's term before any extension."""
    return region.reconsideration_days if appeal.reconsideration_count else answer_days(appeal, region)


def extended_due(appeal: Appeal, region: RegionSettings, cal: WorkingCalendar) -> dt.datetime:
    """59-FZ Art. 12 p. 2: the answer term plus every extension so far, counted from the start of
    the term. Counting from the legal term, not from a deadline already moved off a day off, keeps
    the total within 30 + 30 days; the new end is moved off a day off like any other. A reconsidered
    appeal is extended on its new term."""
    assert appeal.term_started_at is not None
    days = term_days(appeal, region) + appeal.extension_days
    return cal.add_calendar_days(appeal.term_started_at, days, move_off_day=region.move_deadline_off_day)


def registration_due(received_at: dt.datetime, region: RegionSettings, cal: WorkingCalendar) -> dt.datetime:
    return cal.add_calendar_days(received_at, region.fz59_registration_days, move_off_day=region.move_deadline_off_day)


def redirect_due(registered_at: dt.datetime, region: RegionSettings, cal: WorkingCalendar) -> dt.datetime:
    return cal.add_calendar_days(registered_at, region.fz59_redirect_days, move_off_day=region.move_deadline_off_day)


def set_stage(appeal: Appeal, *, now: dt.datetime, region: RegionSettings, cal: WorkingCalendar) -> None:
    """Set the stage and the stage deadline that follow from the appeal's current state."""
    state = appeal.state
    stage = ""
    due: dt.datetime | None = None
    if state == State.RECEIVED:
        stage, due = Stage.REGISTRATION, registration_due(appeal.received_at, region, cal)
    elif state == State.MODERATION:
        stage, due = Stage.MODERATION, cal.add_working_days(now, region.moderation_working_days)
    elif state == State.COORDINATION:
        stage, due = Stage.COORDINATION, cal.add_working_days(now, region.coordination_working_days)
    elif state == State.EXECUTION:
        stage, due = Stage.EXECUTION, appeal.due_at
    elif state == State.POSTPONED:
        stage = Stage.EXECUTION
        due = cal.end_of_day(appeal.postponed_until) if appeal.postponed_until else appeal.due_at
    elif state == State.APPROVAL:
        stage, due = Stage.APPROVAL, cal.add_working_days(now, region.approval_working_days)
    elif state == State.APPROVED:
        stage, due = Stage.PUBLICATION, cal.add_working_days(now, 1)
    # A stage never ends after the whole term (except registration, which precedes it).
    if due is not None and appeal.due_at is not None and stage != Stage.REGISTRATION:
        due = min(due, appeal.due_at)
    appeal.stage = stage
    appeal.stage_due_at = due
    appeal.stage_overdue_marked_at = None
    if state != State.POSTPONED:
        # The 75 % rule watches postponed appeals only; an alarm left armed would never fire.
        clear_executor_alarm(appeal)


def set_postponement(
    appeal: Appeal, *, until: dt.date, now: dt.datetime, region: RegionSettings, cal: WorkingCalendar
) -> None:
    """Postpone the answer to ``until``; arm the 75 % rule on the postponed term."""
    appeal.postponed_at = now
    appeal.postponed_until = until
    due = cal.end_of_day(until)
    set_answer_term(appeal, start=now, due=due, region=region, cal=cal)
    remaining_share = region.postponed_executor_percent / 100
    # "No more than 75 % of the term remains" is the moment when 25 % of it has passed.
    appeal.executor_alarm_at = now + (due - now) * (1 - remaining_share)
    appeal.executor_alarm_marked_at = None
    # A second postponement keeps the state (postponed → postponed), so the stage deadline is not
    # recomputed by the state change: move it here, or the old date would count as a breach.
    appeal.stage = Stage.EXECUTION
    appeal.stage_due_at = due
    appeal.stage_overdue_marked_at = None


def clear_executor_alarm(appeal: Appeal) -> None:
    appeal.executor_alarm_at = None
    appeal.executor_alarm_marked_at = None


def set_resolution(appeal: Appeal, *, on: dt.date, cal: WorkingCalendar) -> None:
    """Record the date an answer promises the problem solved by (seed 004 §4); the sweeper watches it."""
    appeal.resolution_on = on
    appeal.resolution_due_at = cal.end_of_day(on)
    appeal.resolution_overdue_marked_at = None
    appeal.resolved_at = None


@dataclass(frozen=True)
class TermExplained:
    """One deadline of an appeal and how it was reached, for the receipt and the tracking page.

    ``kind`` is ``answer``, ``reconsideration``, ``extension`` (counted days come from the calendar's
    :meth:`~otklik.core.calendar.WorkingCalendar.explain_calendar_days`), ``hours`` (a social post's
    working hours), ``postponement`` or ``resolution`` (dates the organisation named)."""

    kind: str
    due: dt.date
    start: dt.date | None = None
    days: int = 0
    extra_days: int = 0
    hours: float = 0
    steps: CalendarDaysExplained | None = None


def explain_terms(appeal: Appeal, region: RegionSettings, cal: WorkingCalendar) -> list[TermExplained]:
    """Every deadline of the appeal with its steps, computed by the same calendar functions as the
    deadlines themselves; a counted term is shown only when it reproduces the stored deadline."""
    terms: list[TermExplained] = []
    if appeal.state == State.POSTPONED and appeal.postponed_until and appeal.postponed_at:
        terms.append(TermExplained("postponement", appeal.postponed_until, start=cal.local_date(appeal.postponed_at)))
    elif appeal.due_at is not None and appeal.term_started_at is not None:
        start = appeal.term_started_at
        if appeal.regime == Regime.SOCIAL:
            hours = region.social_answer_hours_high if appeal.high_importance else region.social_answer_hours
            terms.append(TermExplained("hours", cal.local_date(appeal.due_at), start=cal.local_date(start),
                                       hours=hours))
        else:
            base = term_days(appeal, region)
            steps = cal.explain_calendar_days(start, base + appeal.extension_days,
                                              move_off_day=region.move_deadline_off_day)
            if steps.due == cal.local_date(appeal.due_at):
                kind = ("extension" if appeal.extension_days
                        else "reconsideration" if appeal.reconsideration_count else "answer")
                terms.append(TermExplained(kind, steps.due, start=steps.start, days=base,
                                           extra_days=appeal.extension_days, steps=steps))
    if appeal.resolution_on:
        terms.append(TermExplained("resolution", appeal.resolution_on,
                                   start=cal.local_date(appeal.answered_at) if appeal.answered_at else None))
    return terms
