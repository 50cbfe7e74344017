"""The explanation of an appeal's deadlines reproduces the stored deadline with the calendar's steps."""

import datetime as dt

import pytest
from django.utils import timezone

from otklik.appeals import deadlines
from otklik.appeals.lifecycle import Regime, State
from otklik.appeals.models import Appeal
from otklik.registry.selectors import region_calendar, region_settings

pytestmark = pytest.mark.django_db


def test_a_59_fz_extension_is_explained_as_term_plus_extension_moved_off_the_day_off(region):
    settings_row = region_settings()
    cal = region_calendar(settings_row)
    start = timezone.now()
    appeal = Appeal(regime=Regime.FZ59, state=State.EXECUTION, term_started_at=start, extension_days=10)
    appeal.due_at = deadlines.extended_due(appeal, settings_row, cal)
    (term,) = deadlines.explain_terms(appeal, settings_row, cal)
    assert (term.kind, term.days, term.extra_days) == ("extension", settings_row.fz59_answer_days, 10)
    assert term.steps is not None and term.steps.raw == dt.date(2026, 12, 2) + dt.timedelta(days=term.days + 10)
    assert cal.end_of_day(term.due) == appeal.due_at


def test_a_deadline_the_calendar_does_not_reproduce_is_not_explained(region):
    settings_row = region_settings()
    cal = region_calendar(settings_row)
    appeal = Appeal(regime=Regime.POS, state=State.EXECUTION, term_started_at=timezone.now(),
                    due_at=timezone.now() + dt.timedelta(days=3))
    assert deadlines.explain_terms(appeal, settings_row, cal) == []
