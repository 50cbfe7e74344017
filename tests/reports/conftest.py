from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from otklik.accounts.models import Role, User
from otklik.registry.models import Category, ClassifierCode, Organization, Territory
from tests import factories as f


@dataclass
class OrgPeople:
    org: Organization
    coordinator: User
    executor: User
    head: User


@dataclass
class Region:
    territories: list[Territory]
    orgs: list[OrgPeople]
    roads: Category
    heating: Category
    social: Category
    moderator: User
    regional: User
    outsider: User
    extra: dict = field(default_factory=dict)


def local(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=timezone.get_current_timezone())


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The default hasher takes ~0.7 s per user here; these tests make a dozen users each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def rworld(region) -> Region:
    city = f.territory("Город Тестовск", kind="city_district")
    district = f.territory("Тестовский район")
    village = f.territory("Село Малое", parent=district, kind="rural_settlement")
    code = ClassifierCode.objects.create(version="2024", code="0005.0005.0056.1156", name="Перебои в теплоснабжении")
    roads = f.category("Дороги", days=30, classifier_code=code)
    heating = f.category("Нет отопления", days=10, procedure="accelerated", classifier_code=code)
    social = f.category("Благоустройство", days=30, classifier_code=code)
    orgs = []
    for index, name in enumerate(["Администрация Тестовска", "Администрация района", "Министерство ЖКХ"]):
        org = f.organization(name, sstu_department_guid=f"6bc82a49-6a97-43f4-9e42-a07d417b60b{index}")
        orgs.append(OrgPeople(
            org=org,
            coordinator=f.user(f"coord{index}", (Role.COORDINATOR, org), last_name=f"Координаторов{index}"),
            executor=f.user(f"exec{index}", (Role.EXECUTOR, org), last_name=f"Исполнителев{index}"),
            head=f.user(f"head{index}", (Role.HEAD, org), last_name=f"Руководителев{index}"),
        ))
    f.route(roads, orgs[0].org, city)
    f.route(roads, orgs[1].org, district)
    f.route(roads, orgs[1].org)
    f.route(heating, orgs[2].org)
    f.route(social, orgs[0].org)
    ministry = orgs[2].org
    return Region(
        territories=[city, district, village], orgs=orgs, roads=roads, heating=heating, social=social,
        moderator=f.user("moderator", (Role.MODERATOR, ministry)),
        regional=f.user("regional", (Role.REGIONAL_COORDINATOR, ministry), last_name="Региональный"),
        outsider=f.user("outsider", (Role.EXECUTOR, ministry)),
    )


def make_appeal(w: Region, *, at: dt.datetime, people: OrgPeople | None = None, category: Category | None = None,
                territory: Territory | None = None, regime: str = "pos", channel: str = "portal",
                answer_after_hours: float | None = None, rating: int | None = None, **fields):
    """One appeal through the real services: submitted at ``at``, accepted, assigned and, if asked,
    answered ``answer_after_hours`` later (and rated)."""
    from otklik.appeals import services as s
    from otklik.appeals.models import Appeal

    people = people or w.orgs[0]
    fields.setdefault("applicant_name", "Иванов Иван Иванович")
    fields.setdefault("applicant_email", "ivanov@example.org")
    appeal = s.appeal_submit(text="Проблема", regime=regime, channel=channel, category=category or w.roads,
                             territory=territory or w.territories[0], now=at, **fields)
    if regime == "fz59":
        s.appeal_register(appeal_id=appeal.pk, user=w.moderator, now=at + dt.timedelta(minutes=10))
    s.appeal_accept(appeal_id=appeal.pk, user=w.moderator, organization_id=people.org.pk,
                    now=at + dt.timedelta(minutes=20))
    s.appeal_assign(appeal_id=appeal.pk, user=people.coordinator, executor_id=people.executor.pk,
                    now=at + dt.timedelta(minutes=30))
    if answer_after_hours is not None:
        done = at + dt.timedelta(hours=answer_after_hours)
        s.appeal_send_for_approval(appeal_id=appeal.pk, user=people.executor, text="Ответ по существу",
                                   now=done - dt.timedelta(minutes=20))
        s.appeal_approve(appeal_id=appeal.pk, user=people.head, now=done - dt.timedelta(minutes=10))
        s.appeal_publish(appeal_id=appeal.pk, user=people.head, now=done)
        if rating is not None:
            token = Appeal.objects.values_list("access_token", flat=True).get(pk=appeal.pk)
            s.appeal_rate(appeal_id=appeal.pk, rating=rating, comment="Плохо" if rating < 3 else "", token=token,
                          now=done + dt.timedelta(hours=1))
    return Appeal.objects.get(pk=appeal.pk)
