"""Small builders for test data (plain functions: fewer moving parts than a factory library)."""

from __future__ import annotations

import itertools
from typing import Any

from otklik.accounts.models import Membership, User
from otklik.registry.models import Category, Organization, RoutingRule, Territory

_seq = itertools.count(1)


def territory(name: str | None = None, parent: Territory | None = None, kind: str = "municipal_district") -> Territory:
    return Territory.objects.create(name=name or f"Территория {next(_seq)}", kind=kind, parent=parent)


def organization(name: str | None = None, **fields: Any) -> Organization:
    fields.setdefault("kind", Organization.Kind.LOCAL_GOVERNMENT)
    return Organization.objects.create(name=name or f"Организация {next(_seq)}", **fields)


def user(username: str | None = None, *roles: tuple[str, Organization], **fields: Any) -> User:
    person = User.objects.create_user(username=username or f"user{next(_seq)}", password="secret-pass-1",
                                      email=fields.pop("email", f"u{next(_seq)}@example.org"), **fields)
    for role, org in roles:
        Membership.objects.create(user=person, organization=org, role=role)
    return person


def category(name: str | None = None, *, days: int = 30, parent: Category | None = None, **fields: Any) -> Category:
    return Category.objects.create(name=name or f"Категория {next(_seq)}", code=f"c{next(_seq)}",
                                   answer_days=days, parent=parent, **fields)


def route(cat: Category, org: Organization, terr: Territory | None = None) -> RoutingRule:
    return RoutingRule.objects.create(category=cat, organization=org, territory=terr)
