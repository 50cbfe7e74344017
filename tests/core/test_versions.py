"""Issue 17 §1: what a process keeps from the registry is checked by one version read, follows every
change at once (in the writer's own transaction), and a rolled-back change leaves nothing behind."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from otklik.core import versions
from otklik.core.services import version_bump
from otklik.registry.models import CalendarOverride
from otklik.registry.selectors import REGISTRY_VERSION, region_cached
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_region_is_read_once_and_then_answered_by_the_version_alone(region):
    first, _cal = region_cached()
    with CaptureQueriesContext(connection) as queries:
        again, _cal = region_cached()
    assert again is first
    assert len(queries) == 1 and "core_version" in queries[0]["sql"]


def test_a_change_of_the_terms_is_seen_in_the_same_transaction(region):
    assert region_cached()[0].answer_days_default != 17
    region.answer_days_default = 17
    region.save()
    assert region_cached()[0].answer_days_default == 17


def test_a_day_off_added_to_the_calendar_moves_the_deadlines_at_once(region):
    day = dt.date(2026, 12, 9)  # a Wednesday
    assert region_cached()[1].is_working_day(day)
    CalendarOverride.objects.create(day=day, kind=CalendarOverride.Kind.DAY_OFF)
    assert not region_cached()[1].is_working_day(day)


def test_a_new_territory_is_found_by_its_outline_at_once(region):
    from otklik.intake.selectors import territory_at

    assert territory_at(55.5, 37.5) is None
    town = f.territory("Новоград", kind="city_district")
    town.boundary = {"type": "Polygon", "coordinates": [[[37.0, 55.0], [38.0, 55.0], [38.0, 56.0], [37.0, 56.0],
                                                         [37.0, 55.0]]]}
    town.save()
    assert territory_at(55.5, 37.5) == town


def test_a_rolled_back_bump_never_comes_back_as_a_valid_version(region):
    before = versions.current(REGISTRY_VERSION)[0]
    seen = set()
    for _ in range(5):
        try:
            with transaction.atomic():
                version_bump(REGISTRY_VERSION)
                seen.add(versions.current(REGISTRY_VERSION)[0])
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert versions.current(REGISTRY_VERSION)[0] == before
    version_bump(REGISTRY_VERSION)
    # Random values: the committed bump is none of the rolled-back ones, so nothing built under those is reused.
    assert versions.current(REGISTRY_VERSION)[0] not in seen | {before}
    assert len(seen) == 5


def test_within_a_request_the_version_is_read_once_and_a_write_forgets_it(region):
    versions.request_started()
    try:
        with CaptureQueriesContext(connection) as queries:
            first = versions.current(REGISTRY_VERSION)
            assert versions.current(REGISTRY_VERSION) == first
        assert len(queries) == 1
        version_bump(REGISTRY_VERSION)
        assert versions.current(REGISTRY_VERSION) != first
    finally:
        versions.request_finished()
    # Outside a request every read goes to the database.
    with CaptureQueriesContext(connection) as queries:
        versions.current(REGISTRY_VERSION)
        versions.current(REGISTRY_VERSION)
    assert len(queries) == 2
