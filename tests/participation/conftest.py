from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace

import pytest
from django.utils import timezone

from otklik.accounts.models import Role
from otklik.participation import services as s
from otklik.participation.models import BudgetRule, Kind, ParticipationSettings
from otklik.registry.models import Topic
from tests import factories as f

_seq = itertools.count(1)


@pytest.fixture
def world(db, region):
    district = f.territory("Первомайский район")
    other_district = f.territory("Заречный район")
    org = f.organization("Администрация Первомайского района", territory=district)
    other_org = f.organization("Администрация Заречного района", territory=other_district)
    topic = Topic.objects.create(name="Благоустройство")
    ParticipationSettings.objects.create(approval_required=False)
    return SimpleNamespace(
        district=district, other_district=other_district, org=org, other_org=other_org, topic=topic,
        organiser=f.user("organiser", (Role.AUTHORISED, org)),
        other_organiser=f.user("other-organiser", (Role.AUTHORISED, other_org)),
        coordinator=f.user("regional", (Role.REGIONAL_COORDINATOR, org)),
    )


def citizen(world, *, territory=None, birth_year=1980, **fields):
    person = f.user(f"citizen{next(_seq)}", **fields)
    s.profile_save(user=person, territory_id=(territory or world.district).pk, birth_year=birth_year)
    return person


def open_event(world, kind, *, publish=True, **fields):
    now = timezone.now()
    values = {"starts_at": now - dt.timedelta(hours=1), "ends_at": now + dt.timedelta(days=7),
              "territory_ids": [world.district.pk]} | fields
    if kind == Kind.BUDGET:
        values.setdefault("rule", BudgetRule.KNAPSACK)
        values.setdefault("budget", 1_000_000)
    event = s.event_create(user=world.organiser, organization_id=world.org.pk, kind=kind,
                           title=f"Событие {next(_seq)}", topic_id=world.topic.pk, **values)
    return event


def budget_event(world, projects=((400_000, "Сквер"), (700_000, "Спортплощадка"), (300_000, "Освещение")),
                 **fields):
    event = open_event(world, Kind.BUDGET, **fields)
    made = [s.project_add(user=world.organiser, event_id=event.pk, title=title, cost=cost)
            for cost, title in projects]
    s.event_publish(user=world.organiser, event_id=event.pk)
    return event, made
