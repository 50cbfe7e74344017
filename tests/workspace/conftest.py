from __future__ import annotations

from dataclasses import dataclass

import pytest

from otklik.accounts.models import Role, User
from otklik.appeals import services as s
from otklik.appeals.models import Appeal
from otklik.registry.models import Category, Organization, Territory
from tests import factories as f


@dataclass
class Region:
    org_a: Organization
    org_b: Organization
    territory: Territory
    roads: Category
    transport: Category
    moderator: User
    regional: User
    coordinator_a: User
    executor_a: User
    executor_a2: User
    head_a: User
    coordinator_b: User
    executor_b: User
    head_b: User

    def submit(self, text: str = "Яма на дороге у дома 5", *, category: Category | None = None, **fields) -> Appeal:
        fields.setdefault("applicant_name", "Иванов Иван")
        fields.setdefault("applicant_email", "ivanov@example.org")
        return s.appeal_submit(text=text, category=category or self.roads, territory=self.territory, **fields)

    def routed(self, text: str = "Яма на дороге у дома 5", *, category: Category | None = None, **fields) -> Appeal:
        appeal = self.submit(text, category=category, **fields)
        return s.appeal_accept(appeal_id=appeal.pk, user=self.moderator)

    def executing(self, text: str = "Яма на дороге у дома 5", *, org: str = "a", **fields) -> Appeal:
        category = self.roads if org == "a" else self.transport
        appeal = self.routed(text, category=category, **fields)
        coordinator, executor = (
            (self.coordinator_a, self.executor_a) if org == "a" else (self.coordinator_b, self.executor_b)
        )
        return s.appeal_assign(appeal_id=appeal.pk, user=coordinator, executor_id=executor.pk)


@pytest.fixture
def two_orgs(region) -> Region:
    terr = f.territory("Город Тестовск", kind="city_district")
    org_a = f.organization("Администрация Тестовска")
    org_b = f.organization("Министерство транспорта")
    platform = f.organization("Центр управления регионом")
    roads = f.category("Дороги", days=30)
    transport = f.category("Общественный транспорт", days=30)
    f.route(roads, org_a)
    f.route(transport, org_b)
    return Region(
        org_a=org_a, org_b=org_b, territory=terr, roads=roads, transport=transport,
        moderator=f.user("moderator", (Role.MODERATOR, platform), first_name="Мария", last_name="Модераторова"),
        regional=f.user("regional", (Role.REGIONAL_COORDINATOR, platform), first_name="Роман", last_name="Регионов"),
        coordinator_a=f.user("coord_a", (Role.COORDINATOR, org_a), first_name="Анна", last_name="Координаторова"),
        executor_a=f.user("exec_a", (Role.EXECUTOR, org_a), first_name="Иван", last_name="Исполнителев"),
        executor_a2=f.user("exec_a2", (Role.EXECUTOR, org_a), first_name="Пётр", last_name="Помощников"),
        head_a=f.user("head_a", (Role.HEAD, org_a), first_name="Галина", last_name="Главная"),
        coordinator_b=f.user("coord_b", (Role.COORDINATOR, org_b), first_name="Борис", last_name="Транспортов"),
        executor_b=f.user("exec_b", (Role.EXECUTOR, org_b), first_name="Виктор", last_name="Вагонов"),
        head_b=f.user("head_b", (Role.HEAD, org_b), first_name="Дмитрий", last_name="Депов"),
    )
