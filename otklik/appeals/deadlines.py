"""Deadline rules of the acts, applied to an appeal. All date arithmetic is in core/calendar.py.

pos:    answer in 30 calendar days (10 for accelerated categories) from registration, moved off days
        off; stage budgets for moderation, coordination and approval inside that term; postponement
        to a concrete date; the 75 % rule.
fz59:   registration within 3 days of receipt, redirect within 7 days of registration, answer in 30
        days, extension by at most 30 days.
social: 9 working hours (4 for high importance); a final answer 7 working days after an
        intermediate one.
"""

from __future__ import annotations

import datetime as dt

from otklik.appeals.lifecycle import Regime, State
from otklik.appeals.models import Appeal, Stage
from otklik.core.calendar import WorkingCalendar
from otklik.registry.models import RegionSettings


def answer_days(appeal: Appeal, region: RegionSettings) -> int:
    if appeal.regime == Regime.FZ59:
        return region.fz59_answer_days
    category = appeal.category
    if category is None:
        return region.answer_days_default
    if category.region_answer_days:
        return category.region_answer_days
    return category.answer_days


def initial_answer_due(appeal: Appeal, start: dt.datetime, region: RegionSettings, cal: WorkingCalendar) -> dt.datetime:
    if appeal.regime == Regime.SOCIAL:
        hours = region.social_answer_hours_high if appeal.high_importance else region.social_answer_hours
        return cal.add_working_hours(start, hours)
    return cal.add_calendar_days(start, answer_days(appeal, region), move_off_day=region.move_deadline_off_day)


def warn_moment(start: dt.datetime, due: dt.datetime, percent: int) -> dt.datetime:
    """The moment when ``percent`` of the term from ``start`` to ``due`` has passed."""
    return start + (due - start) * percent / 100


def set_answer_term(appeal: Appeal, *, start: dt.datetime, due: dt.datetime, region: RegionSettings) -> None:
    """Start a new answer term; the sweeper's markers for the old one no longer apply."""
    appeal.term_started_at = start
    appeal.due_at = due
    appeal.warn_at = warn_moment(start, due, region.approaching_percent)
    appeal.warned_at = None
    appeal.overdue_marked_at = None


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


def set_postponement(
    appeal: Appeal, *, until: dt.date, now: dt.datetime, region: RegionSettings, cal: WorkingCalendar
) -> None:
    """Postpone the answer to ``until``; arm the 75 % rule on the postponed term."""
    appeal.postponed_at = now
    appeal.postponed_until = until
    due = cal.end_of_day(until)
    set_answer_term(appeal, start=now, due=due, region=region)
    remaining_share = region.postponed_executor_percent / 100
    # "No more than 75 % of the term remains" is the moment when 25 % of it has passed.
    appeal.executor_alarm_at = now + (due - now) * (1 - remaining_share)
    appeal.executor_alarm_marked_at = None


def clear_executor_alarm(appeal: Appeal) -> None:
    appeal.executor_alarm_at = None
    appeal.executor_alarm_marked_at = None
