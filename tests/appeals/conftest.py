from __future__ import annotations

from dataclasses import dataclass

import pytest

from otklik.accounts.models import Role, User
from otklik.registry.models import Category, Organization, Territory
from tests import factories as f


@dataclass
class World:
    org: Organization
    other_org: Organization
    territory: Territory
    category: Category
    accelerated: Category
    moderator: User
    coordinator: User
    executor: User
    other_executor: User
    head: User
    regional: User
    outsider: User


@pytest.fixture
def world(region) -> World:
    terr = f.territory("Город Тестовск", kind="city_district")
    org = f.organization("Администрация Тестовска")
    other = f.organization("Министерство транспорта")
    roads = f.category("Дороги", days=30)
    heating = f.category("Нет отопления", days=10, procedure="accelerated")
    f.route(roads, org, terr)
    f.route(heating, org)
    return World(
        org=org, other_org=other, territory=terr, category=roads, accelerated=heating,
        moderator=f.user("moderator", (Role.MODERATOR, other)),
        coordinator=f.user("coordinator", (Role.COORDINATOR, org)),
        executor=f.user("executor", (Role.EXECUTOR, org)),
        other_executor=f.user("executor2", (Role.EXECUTOR, org)),
        head=f.user("head", (Role.HEAD, org)),
        regional=f.user("regional", (Role.REGIONAL_COORDINATOR, other)),
        outsider=f.user("outsider", (Role.COORDINATOR, other), (Role.HEAD, other), (Role.EXECUTOR, other)),
    )
