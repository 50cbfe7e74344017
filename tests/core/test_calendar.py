"""The working calendar: the Russian production calendar of the ``holidays`` package, the region's
overrides on top, and deadline arithmetic in the region's time zone (Europe/Moscow).

The calendar facts below were read from ``holidays`` 0.109 ``country_holidays("RU")``, not typed in
from memory: 2025-11-01 is a working Saturday (its day off moved to 2025-11-03), 2026-01-01..08 are
the New Year holidays, 2026-01-09 is a day off moved from Saturday 2026-01-03, 2026-05-11 is the day
off for Victory Day falling on a Saturday.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from otklik.core.calendar import WorkingCalendar
from otklik.registry.models import CalendarOverride
from otklik.registry.selectors import region_calendar

MSK = ZoneInfo("Europe/Moscow")
UTC = dt.UTC


def msk(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=MSK)


def end_of(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime(y, m, d, 23, 59, 59, 999999, tzinfo=MSK)


@pytest.fixture
def cal() -> WorkingCalendar:
    return WorkingCalendar.build(tz="Europe/Moscow")


# --- the production calendar ----------------------------------------------------------------------


def test_it_counts_saturday_2025_11_01_as_a_working_day(cal):
    assert cal.is_working_day(dt.date(2025, 11, 1))


def test_it_counts_monday_2025_11_03_as_a_transferred_day_off(cal):
    assert not cal.is_working_day(dt.date(2025, 11, 3))
    assert not cal.is_working_day(dt.date(2025, 11, 4))  # National Unity Day
    assert cal.is_working_day(dt.date(2025, 11, 5))


def test_it_counts_the_2026_new_year_holidays_and_the_transferred_january_9_as_days_off(cal):
    for day in range(1, 12):
        assert not cal.is_working_day(dt.date(2026, 1, day)), day
    assert cal.is_working_day(dt.date(2026, 1, 12))


def test_it_counts_the_2026_may_holidays_as_days_off_and_the_days_between_as_working(cal):
    assert not cal.is_working_day(dt.date(2026, 5, 1))
    assert cal.is_working_day(dt.date(2026, 5, 4))
    assert cal.is_working_day(dt.date(2026, 5, 8))
    assert not cal.is_working_day(dt.date(2026, 5, 9))
    assert not cal.is_working_day(dt.date(2026, 5, 11))  # Victory Day fell on a Saturday
    assert cal.is_working_day(dt.date(2026, 5, 12))


def test_it_counts_an_ordinary_weekend_as_days_off(cal):
    assert cal.is_working_day(dt.date(2025, 11, 7))
    assert not cal.is_working_day(dt.date(2025, 11, 8))
    assert not cal.is_working_day(dt.date(2025, 11, 9))


# --- the region's overrides -----------------------------------------------------------------------


def test_it_applies_a_regional_extra_day_off():
    cal = WorkingCalendar.build(days_off=[dt.date(2025, 11, 12)], tz="Europe/Moscow")
    assert not cal.is_working_day(dt.date(2025, 11, 12))
    assert cal.add_working_days(msk(2025, 11, 11, 10), 1) == end_of(2025, 11, 13)


def test_it_applies_a_regional_extra_working_day_even_on_a_federal_holiday():
    cal = WorkingCalendar.build(working_days=[dt.date(2025, 11, 8), dt.date(2026, 1, 9)], tz="Europe/Moscow")
    assert cal.is_working_day(dt.date(2025, 11, 8))
    assert cal.is_working_day(dt.date(2026, 1, 9))
    assert cal.add_working_days(msk(2025, 11, 7, 10), 1) == end_of(2025, 11, 8)


@pytest.mark.django_db
def test_it_reads_the_regional_overrides_and_working_hours_from_the_registry(region):
    CalendarOverride.objects.create(day=dt.date(2025, 11, 12), kind=CalendarOverride.Kind.DAY_OFF)
    CalendarOverride.objects.create(day=dt.date(2025, 11, 8), kind=CalendarOverride.Kind.WORKING_DAY)
    region.workday_start = dt.time(8, 0)
    region.workday_end = dt.time(17, 0)
    region.save()

    cal = region_calendar(region)

    assert not cal.is_working_day(dt.date(2025, 11, 12))
    assert cal.is_working_day(dt.date(2025, 11, 8))
    assert cal.add_working_hours(msk(2025, 11, 10, 7), 1) == msk(2025, 11, 10, 9)


# --- calendar days --------------------------------------------------------------------------------


def test_add_calendar_days_does_not_count_the_starting_day(cal):
    assert cal.add_calendar_days(msk(2025, 11, 10, 10), 30) == end_of(2025, 12, 10)


def test_add_calendar_days_moves_a_deadline_off_a_day_off_to_the_next_working_day(cal):
    # 2025-10-04 + 30 = 2025-11-03 (transferred day off), then 11-04 (holiday): due on 11-05.
    assert cal.add_calendar_days(msk(2025, 10, 4, 10), 30) == end_of(2025, 11, 5)
    # 2025-12-02 + 30 = 2026-01-01: the New Year holidays run to 01-11.
    assert cal.add_calendar_days(msk(2025, 12, 2, 10), 30) == end_of(2026, 1, 12)


def test_add_calendar_days_keeps_a_deadline_on_a_day_off_when_moving_is_off(cal):
    assert cal.add_calendar_days(msk(2025, 10, 4, 10), 30, move_off_day=False) == end_of(2025, 11, 3)


def test_add_calendar_days_keeps_a_deadline_on_a_working_saturday(cal):
    assert cal.add_calendar_days(msk(2025, 10, 2, 10), 30) == end_of(2025, 11, 1)


def test_a_deadline_is_met_until_the_very_end_of_its_day(cal):
    due = cal.add_calendar_days(msk(2025, 11, 10, 10), 30)
    assert msk(2025, 12, 10, 23, 59) + dt.timedelta(seconds=59.5) <= due
    assert msk(2025, 12, 11) > due


# --- working days ---------------------------------------------------------------------------------


def test_add_working_days_counts_a_working_saturday_and_skips_transferred_days_off(cal):
    assert cal.add_working_days(msk(2025, 10, 31, 10), 1) == end_of(2025, 11, 1)
    assert cal.add_working_days(msk(2025, 10, 31, 10), 2) == end_of(2025, 11, 5)


def test_add_working_days_skips_the_new_year_holidays(cal):
    # 2025-12-31 is a day off too (moved from 2025-01-05).
    assert cal.add_working_days(msk(2025, 12, 30, 10), 1) == end_of(2026, 1, 12)


def test_working_days_between_counts_the_half_open_range(cal):
    assert cal.working_days_between(dt.date(2025, 10, 31), dt.date(2025, 11, 7)) == 4  # 1, 5, 6, 7


# --- working hours --------------------------------------------------------------------------------


def test_add_working_hours_within_one_working_day(cal):
    assert cal.add_working_hours(msk(2025, 11, 10, 9), 9) == msk(2025, 11, 10, 18)
    assert cal.add_working_hours(msk(2025, 11, 10, 7), 2) == msk(2025, 11, 10, 11)


def test_add_working_hours_carries_over_the_evening(cal):
    assert cal.add_working_hours(msk(2025, 11, 11, 16), 4) == msk(2025, 11, 12, 11)


def test_add_working_hours_skips_a_weekend(cal):
    assert cal.add_working_hours(msk(2025, 11, 7, 20), 9) == msk(2025, 11, 10, 18)
    assert cal.add_working_hours(msk(2025, 11, 7, 16), 4) == msk(2025, 11, 10, 11)


def test_add_working_hours_counts_a_working_saturday(cal):
    assert cal.add_working_hours(msk(2025, 10, 31, 17), 9) == msk(2025, 11, 1, 17)


def test_add_working_hours_skips_the_new_year_holidays(cal):
    assert cal.add_working_hours(msk(2025, 12, 30, 17), 4) == msk(2026, 1, 12, 12)


def test_working_time_between_counts_only_working_hours(cal):
    assert cal.working_time_between(msk(2025, 11, 7, 17), msk(2025, 11, 10, 10)) == dt.timedelta(hours=2)
    # Friday 1 h + working Saturday 9 h + Monday, Tuesday off + Wednesday 1 h.
    assert cal.working_time_between(msk(2025, 10, 31, 17), msk(2025, 11, 5, 10)) == dt.timedelta(hours=11)


def test_working_time_between_is_zero_when_the_end_is_not_after_the_start(cal):
    assert cal.working_time_between(msk(2025, 11, 10, 12), msk(2025, 11, 10, 11)) == dt.timedelta()


def test_working_time_between_and_add_working_hours_agree(cal):
    start = msk(2025, 12, 29, 15, 30)
    for hours in (0.5, 4, 9, 17.25, 40):
        end = cal.add_working_hours(start, hours)
        assert cal.working_time_between(start, end) == dt.timedelta(hours=hours)


# --- the region's time zone -----------------------------------------------------------------------


def test_a_message_at_23_30_moscow_counts_on_that_moscow_day(cal):
    late = dt.datetime(2025, 11, 10, 20, 30, tzinfo=UTC)  # 23:30 in Moscow
    assert cal.local_date(late) == dt.date(2025, 11, 10)
    assert cal.add_calendar_days(late, 30) == end_of(2025, 12, 10)
    after_midnight = dt.datetime(2025, 11, 10, 21, 30, tzinfo=UTC)  # 00:30 on 11-11 in Moscow
    assert cal.add_calendar_days(after_midnight, 30) == end_of(2025, 12, 11)


def test_working_hours_are_moscow_working_hours_whatever_the_input_zone(cal):
    start = dt.datetime(2025, 11, 10, 5, 0, tzinfo=UTC)  # 08:00 in Moscow: before the working day
    assert cal.add_working_hours(start, 1) == dt.datetime(2025, 11, 10, 7, 0, tzinfo=UTC)


def test_the_calendar_defaults_to_the_project_time_zone():
    assert WorkingCalendar.build().tz == MSK


def test_a_30_day_term_from_2_december_ends_on_the_first_working_day_after_the_new_year_holidays():
    cal = WorkingCalendar.build(tz="Europe/Moscow")
    due = cal.add_calendar_days(msk(2026, 12, 2, 10), 30)
    assert cal.local_date(due) == dt.date(2027, 1, 11)


def test_the_explanation_of_a_calendar_day_term_names_the_raw_date_the_day_off_and_the_moved_date():
    cal = WorkingCalendar.build(tz="Europe/Moscow")
    steps = cal.explain_calendar_days(msk(2026, 12, 2, 10), 30)
    assert (steps.start, steps.days, steps.raw, steps.day_off, steps.due) == (
        dt.date(2026, 12, 2), 30, dt.date(2027, 1, 1), True, dt.date(2027, 1, 11))
    assert steps.moved and cal.add_calendar_days(msk(2026, 12, 2, 10), 30) == cal.end_of_day(steps.due)
    working = cal.explain_calendar_days(msk(2026, 12, 2, 10), 8)  # 10.12.2026, a Thursday
    assert (working.raw, working.day_off, working.moved) == (dt.date(2026, 12, 10), False, False)
    kept = cal.explain_calendar_days(msk(2026, 12, 2, 10), 30, move_off_day=False)
    assert (kept.day_off, kept.due, kept.moved) == (True, dt.date(2027, 1, 1), False)


def test_the_explanation_follows_the_region_overrides():
    cal = WorkingCalendar.build(tz="Europe/Moscow", days_off=[dt.date(2026, 12, 10)])
    steps = cal.explain_calendar_days(msk(2026, 12, 2, 10), 8)
    assert steps.day_off and steps.due == dt.date(2026, 12, 11)
