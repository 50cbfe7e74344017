"""Every staff read of appeals. The one place that decides who may see what.

- moderator, regional coordinator, administrator: the whole region;
- coordinator, head: every appeal of their organisations (own or, while standing in, the absent person's);
- executor: the appeals they execute, and those of the people they stand in for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from otklik.accounts.models import Role, User
from otklik.accounts.permissions import Capacity, capacities, find_capacity
from otklik.appeals.lifecycle import APPLICANT, OPEN_STATES, SYSTEM, Action, actions_from
from otklik.appeals.models import Appeal, AppealEvent

ORGANIZATION_WIDE_ROLES = frozenset({Role.COORDINATOR, Role.HEAD})


def _scope(caps: list[Capacity], user: User) -> Q | None:
    """A filter for the appeals these capacities see; None means the whole region."""
    if any(cap.region_wide for cap in caps):
        return None
    condition = Q(pk__in=[])
    org_ids = {cap.organization_id for cap in caps if cap.role in ORGANIZATION_WIDE_ROLES}
    if org_ids:
        condition |= Q(organization_id__in=org_ids)
    executor_pairs = {
        (cap.organization_id, cap.acting_for_id or user.pk) for cap in caps if cap.role == Role.EXECUTOR
    }
    for org_id, executor_id in executor_pairs:
        condition |= Q(organization_id=org_id, executor_id=executor_id)
    return condition


def visible_appeals(user: User, *, at: dt.datetime | None = None) -> QuerySet[Appeal]:
    caps = capacities(user, at=at)
    if not caps:
        return Appeal.objects.none()
    scope = _scope(caps, user)
    queryset = Appeal.objects.all()
    return queryset if scope is None else queryset.filter(scope)


@dataclass(frozen=True)
class AppealFilters:
    state: list[str] | None = None
    organization_id: int | None = None
    category_id: int | None = None
    territory_id: int | None = None
    regime: str | None = None
    executor_id: int | None = None
    overdue: bool | None = None
    due_before: dt.datetime | None = None
    text: str | None = None


def search_appeals(user: User, filters: AppealFilters, *, now: dt.datetime | None = None) -> QuerySet[Appeal]:
    now = now or timezone.now()
    queryset = visible_appeals(user, at=now)
    if filters.state:
        queryset = queryset.filter(state__in=filters.state)
    if filters.organization_id:
        queryset = queryset.filter(organization_id=filters.organization_id)
    if filters.category_id:
        queryset = queryset.filter(Q(category_id=filters.category_id) | Q(category__parent_id=filters.category_id))
    if filters.territory_id:
        queryset = queryset.filter(
            Q(territory_id=filters.territory_id) | Q(territory__parent_id=filters.territory_id)
        )
    if filters.regime:
        queryset = queryset.filter(regime=filters.regime)
    if filters.executor_id:
        queryset = queryset.filter(executor_id=filters.executor_id)
    if filters.overdue is True:
        queryset = queryset.filter(state__in=sorted(OPEN_STATES), due_at__lt=now)
    elif filters.overdue is False:
        queryset = queryset.exclude(state__in=sorted(OPEN_STATES), due_at__lt=now)
    if filters.due_before:
        queryset = queryset.filter(due_at__lte=filters.due_before)
    if filters.text:
        needle = filters.text.strip()
        queryset = queryset.filter(Q(number__iexact=needle) | Q(text__icontains=needle) | Q(address__icontains=needle))
    return queryset.select_related("category", "organization", "executor", "territory")


def appeal_for_user(user: User, appeal_id: int) -> Appeal | None:
    return (
        visible_appeals(user)
        .select_related("category", "category__parent", "organization", "executor", "coordinator", "territory")
        .filter(pk=appeal_id)
        .first()
    )


def appeal_history(appeal: Appeal) -> QuerySet[AppealEvent]:
    return appeal.events.select_related("actor", "acting_for", "organization").order_by("at", "id")


def allowed_actions(user: User, appeal: Appeal, *, at: dt.datetime | None = None) -> list[Action]:
    """Actions the user may offer on this appeal now (guards may still refuse particular input)."""
    result = []
    for row in actions_from(appeal.state, appeal.regime):
        staff_roles = row.roles - {SYSTEM, APPLICANT}
        cap = find_capacity(user, staff_roles, appeal.organization_id, at=at)
        if cap is None:
            continue
        if row.own_executor and cap.role == Role.EXECUTOR:
            own_ids = {user.pk} | {
                c.acting_for_id for c in capacities(user, at=at) if c.role == Role.EXECUTOR and c.acting_for_id
            }
            if appeal.executor_id not in own_ids:
                continue
        result.append(row.action)
    return result


def can_see_personal_data(user: User, appeal: Appeal) -> bool:
    """Applicant's contacts go only to those whose work needs them (152-FZ)."""
    roles = {Role.MODERATOR, Role.REGIONAL_COORDINATOR, Role.COORDINATOR, Role.HEAD, Role.EXECUTOR}
    if find_capacity(user, roles, appeal.organization_id) is None:
        return False
    return visible_appeals(user).filter(pk=appeal.pk).exists()
