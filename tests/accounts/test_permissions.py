import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from otklik.accounts.models import Absence, Role
from otklik.accounts.permissions import capacities, find_capacity
from tests import factories as f

pytestmark = pytest.mark.django_db


def _noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))


def test_it_gives_a_stand_in_the_absent_persons_role_only_inside_the_absence():
    org = f.organization()
    absent = f.user("absent", (Role.COORDINATOR, org))
    stand_in = f.user("stand_in", (Role.EXECUTOR, org))
    Absence.objects.create(user=absent, reason=Absence.Reason.VACATION, stand_in=stand_in,
                           starts_on=dt.date(2026, 3, 2), ends_on=dt.date(2026, 3, 13))

    before = find_capacity(stand_in, [Role.COORDINATOR], org.pk, at=_noon(dt.date(2026, 3, 1)))
    first_day = find_capacity(stand_in, [Role.COORDINATOR], org.pk, at=_noon(dt.date(2026, 3, 2)))
    last_day = find_capacity(stand_in, [Role.COORDINATOR], org.pk, at=_noon(dt.date(2026, 3, 13)))
    after = find_capacity(stand_in, [Role.COORDINATOR], org.pk, at=_noon(dt.date(2026, 3, 14)))

    assert before is None
    assert first_day is not None and first_day.acting_for_id == absent.pk
    assert last_day is not None and last_day.acting_for_id == absent.pk
    assert after is None


def test_it_uses_the_region_time_zone_to_decide_the_day_of_an_absence():
    org = f.organization()
    absent = f.user("absent", (Role.HEAD, org))
    stand_in = f.user("stand_in")
    Absence.objects.create(user=absent, reason=Absence.Reason.ILLNESS, stand_in=stand_in,
                           starts_on=dt.date(2026, 3, 2), ends_on=dt.date(2026, 3, 2))
    # 22:30 UTC on 1 March is already 2 March in Moscow.
    late_evening_utc = dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.UTC)
    assert find_capacity(stand_in, [Role.HEAD], org.pk, at=late_evening_utc) is not None


def test_it_prefers_own_role_over_a_stand_in_role():
    org = f.organization()
    absent = f.user("absent", (Role.EXECUTOR, org))
    person = f.user("person", (Role.EXECUTOR, org))
    today = timezone.localdate()
    Absence.objects.create(user=absent, reason=Absence.Reason.STUDY, stand_in=person, starts_on=today, ends_on=today)
    cap = find_capacity(person, [Role.EXECUTOR], org.pk)
    assert cap is not None and cap.acting_for_id is None
    assert len([c for c in capacities(person) if c.role == Role.EXECUTOR]) == 2


def test_it_limits_organisation_roles_to_their_organisation_and_lets_region_roles_act_everywhere():
    a, b = f.organization(), f.organization()
    coordinator = f.user("coord", (Role.COORDINATOR, a))
    regional = f.user("regional", (Role.REGIONAL_COORDINATOR, a))
    assert find_capacity(coordinator, [Role.COORDINATOR], b.pk) is None
    assert find_capacity(regional, [Role.REGIONAL_COORDINATOR], b.pk) is not None


def test_it_gives_an_inactive_user_no_capacity():
    org = f.organization()
    person = f.user("gone", (Role.HEAD, org), is_active=False)
    with time_machine.travel(dt.datetime(2026, 5, 5, 10, tzinfo=dt.UTC)):
        assert capacities(person) == []
