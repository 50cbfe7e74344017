"""The permission model: who holds which role in which organisation at a given moment.

A user holds their own memberships and, while an absence lasts, the memberships of every person
they stand in for. Every action check and every scoped read starts here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from otklik.accounts.models import REGION_WIDE_ROLES, Absence, Membership, Role, User


@dataclass(frozen=True)
class Capacity:
    """One role the user may act in now: their own, or an absent colleague's (acting_for_id)."""

    role: str
    organization_id: int
    acting_for_id: int | None = None

    @property
    def region_wide(self) -> bool:
        return self.role in REGION_WIDE_ROLES


def is_staff_account(user: User) -> bool:
    """An official's or an administrator's account: it may never act in a citizen's name, and a
    citizen's sign-up or confirmation link never opens it."""
    return bool(user.is_staff or user.is_superuser or Membership.objects.filter(user_id=user.pk).exists())


def local_date(at: dt.datetime | None = None) -> dt.date:
    return timezone.localdate(at or timezone.now())


def capacities(user: User, *, at: dt.datetime | None = None) -> list[Capacity]:
    """All capacities of ``user`` at ``at`` (now by default); cached on the user object per day."""
    if not user.is_authenticated or not user.is_active:
        return []
    day = local_date(at)
    cache: dict[dt.date, list[Capacity]] = user.__dict__.setdefault("_otklik_capacities", {})
    if day in cache:
        return cache[day]
    result = [
        Capacity(role=role, organization_id=org_id)
        for role, org_id in Membership.objects.filter(user=user).values_list("role", "organization_id")
    ]
    covered = Absence.objects.filter(stand_in=user, starts_on__lte=day, ends_on__gte=day).values_list(
        "user_id", flat=True
    )
    for absent_id, role, org_id in Membership.objects.filter(user_id__in=list(covered)).values_list(
        "user_id", "role", "organization_id"
    ):
        result.append(Capacity(role=role, organization_id=org_id, acting_for_id=absent_id))
    cache[day] = result
    return result


def find_capacity(
    user: User, roles: Iterable[str], organization_id: int | None, *, at: dt.datetime | None = None
) -> Capacity | None:
    """The capacity in which ``user`` may act in one of ``roles`` for ``organization_id``.

    Own roles win over stand-in roles, so an event records "acting for" only when it is true.
    Region-wide roles (moderator, regional coordinator, administrator) match every organisation.
    """
    wanted = set(roles)
    matches = [
        cap
        for cap in capacities(user, at=at)
        if cap.role in wanted and (cap.region_wide or cap.organization_id == organization_id)
    ]
    if not matches:
        return None
    matches.sort(key=lambda cap: (cap.acting_for_id is not None, cap.region_wide))
    return matches[0]


def has_region_wide_view(user: User, *, at: dt.datetime | None = None) -> bool:
    return any(cap.region_wide for cap in capacities(user, at=at))


def reviews_personal_data(user: User) -> bool:
    """The region's privacy officer (a role in any organisation) and the superuser read who opened whose
    personal data (otklik/privacy)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or any(cap.role == Role.PRIVACY_OFFICER for cap in capacities(user))


def stand_in_for(user_id: int, *, at: dt.datetime | None = None) -> User | None:
    """Who receives ``user_id``'s work and notices today, if that person is absent."""
    day = local_date(at)
    absence = (
        Absence.objects.filter(user_id=user_id, starts_on__lte=day, ends_on__gte=day)
        .select_related("stand_in")
        .order_by("-starts_on")
        .first()
    )
    return absence.stand_in if absence else None
