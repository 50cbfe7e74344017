"""The one calendar module: every deadline in Otklik is computed here.

Working days come from the Russian production calendar of the ``holidays`` package (holidays,
transferred days off and working Saturdays) with the region's own overrides on top. All arithmetic
happens in the region's time zone; results are aware datetimes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

# A deadline that falls on a date is met until the end of that date in the region: the last
# representable moment, so an answer at 23:59:59.5 is still on time.
END_OF_DAY = dt.time(23, 59, 59, 999999)


@lru_cache(maxsize=64)
def _federal_calendar(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("RU", years=year, language="ru")


@dataclass(frozen=True)
class CalendarDaysExplained:
    """How a term of calendar days became a date: the count from ``start``, the raw date it lands on,
    whether that date is a day off by the production calendar (with the region's overrides) and the
    date the deadline moves to (the same date when it is a working day or moving is off)."""

    start: dt.date
    days: int
    raw: dt.date
    day_off: bool
    due: dt.date

    @property
    def moved(self) -> bool:
        return self.due != self.raw


@dataclass(frozen=True)
class WorkingCalendar:
    """Production calendar + regional overrides + working hours, in one time zone."""

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo(settings.TIME_ZONE))
    extra_days_off: frozenset[dt.date] = frozenset()
    extra_working_days: frozenset[dt.date] = frozenset()
    workday_start: dt.time = dt.time(9, 0)
    workday_end: dt.time = dt.time(18, 0)

    @classmethod
    def build(
        cls,
        *,
        days_off: Iterable[dt.date] = (),
        working_days: Iterable[dt.date] = (),
        workday_start: dt.time = dt.time(9, 0),
        workday_end: dt.time = dt.time(18, 0),
        tz: str | None = None,
    ) -> WorkingCalendar:
        return cls(
            tz=ZoneInfo(tz or settings.TIME_ZONE),
            extra_days_off=frozenset(days_off),
            extra_working_days=frozenset(working_days),
            workday_start=workday_start,
            workday_end=workday_end,
        )

    # --- days -------------------------------------------------------------------------------------

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.tz)

    def local_date(self, moment: dt.datetime) -> dt.date:
        return self.local(moment).date()

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.extra_working_days:
            return True
        if day in self.extra_days_off:
            return False
        return bool(_federal_calendar(day.year).is_working_day(day))

    def next_working_day(self, day: dt.date) -> dt.date:
        """``day`` itself if it is a working day, otherwise the first working day after it."""
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def end_of_day(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, END_OF_DAY, tzinfo=self.tz)

    def add_calendar_days(self, start: dt.datetime, days: int, *, move_off_day: bool = True) -> dt.datetime:
        """Deadline ``days`` calendar days after ``start`` (the day of ``start`` is not counted).

        When ``move_off_day`` is set, a deadline that falls on a day off moves to the next working day.
        """
        return self.end_of_day(self.explain_calendar_days(start, days, move_off_day=move_off_day).due)

    def explain_calendar_days(self, start: dt.datetime, days: int, *, move_off_day: bool = True
                              ) -> CalendarDaysExplained:
        """The steps of :meth:`add_calendar_days`, for people: the start date, the raw date ``days``
        calendar days later, whether it is a day off, and the date the deadline falls on."""
        begin = self.local_date(start)
        raw = begin + dt.timedelta(days=days)
        due = self.next_working_day(raw) if move_off_day else raw
        return CalendarDaysExplained(start=begin, days=days, raw=raw, day_off=not self.is_working_day(raw), due=due)

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """End of the ``days``-th working day after the day of ``start``."""
        day = self.local_date(start)
        counted = 0
        while counted < days:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return self.end_of_day(day)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in the half-open range (start, end]."""
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count

    # --- working hours ----------------------------------------------------------------------------

    def _day_window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        return (
            dt.datetime.combine(day, self.workday_start, tzinfo=self.tz),
            dt.datetime.combine(day, self.workday_end, tzinfo=self.tz),
        )

    def add_working_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        """The moment when ``hours`` working hours have passed since ``start``.

        Time outside the working day and on days off does not count: a message found at 20:00 on
        Friday with 9 hours to answer is due at the end of Monday's working day.
        """
        remaining = dt.timedelta(hours=hours)
        cursor = self.local(start)
        while True:
            day = cursor.date()
            if self.is_working_day(day):
                opens, closes = self._day_window(day)
                begin = max(cursor, opens)
                if begin < closes:
                    available = closes - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            cursor = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=self.tz)

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time between two moments (zero when ``end`` is not after ``start``)."""
        total = dt.timedelta()
        cursor = self.local(start)
        end = self.local(end)
        while cursor < end:
            day = cursor.date()
            if self.is_working_day(day):
                opens, closes = self._day_window(day)
                begin, finish = max(cursor, opens), min(end, closes)
                if finish > begin:
                    total += finish - begin
            cursor = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=self.tz)
        return total
