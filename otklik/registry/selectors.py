"""Reads of reference data. Reference data is public inside the staff workspace, so these are not
scoped by organisation; the registry-health view itself is limited to region-wide roles."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from otklik.accounts.models import Role
from otklik.core.calendar import WorkingCalendar
from otklik.registry.models import (
    CalendarOverride,
    Category,
    Official,
    Organization,
    RegionSettings,
    RoutingRule,
    Territory,
)


def region_settings() -> RegionSettings:
    found = RegionSettings.objects.order_by("pk").first()
    if found is None:
        found, _ = RegionSettings.objects.get_or_create(pk=1)
    return found


def region_calendar(settings_row: RegionSettings | None = None) -> WorkingCalendar:
    row = settings_row or region_settings()
    overrides = list(CalendarOverride.objects.values_list("day", "kind"))
    return WorkingCalendar.build(
        days_off=[day for day, kind in overrides if kind == CalendarOverride.Kind.DAY_OFF],
        working_days=[day for day, kind in overrides if kind == CalendarOverride.Kind.WORKING_DAY],
        workday_start=row.workday_start,
        workday_end=row.workday_end,
    )


def route_organization(*, category: Category, territory: Territory | None) -> Organization | None:
    """The organisation that handles ``category`` on ``territory``.

    Tries the territory, then each parent territory up to the region, then a rule without a
    territory; then the same for the parent category.
    """
    territories: list[Territory | None] = [*(territory.ancestors_and_self() if territory else []), None]
    node: Category | None = category
    while node is not None:
        rules = {
            rule.territory_id: rule
            for rule in RoutingRule.objects.filter(category=node).select_related("organization")
        }
        for candidate in territories:
            rule = rules.get(candidate.pk if candidate else None)
            if rule is not None and rule.organization.is_active:
                return rule.organization
        node = node.parent
    return None


@dataclass(frozen=True)
class RegistryProblem:
    organization: Organization
    problems: list[str]


def registry_health(*, now: dt.datetime | None = None) -> list[RegistryProblem]:
    """Organisations with no responsible official, no stand-in, no executor, or stale data."""
    from django.utils.translation import gettext as _

    now = now or timezone.now()
    stale_before = now - dt.timedelta(days=region_settings().registry_confirmation_days)
    organizations: QuerySet[Organization] = Organization.objects.filter(is_active=True).annotate(
        responsible_count=Count("officials", filter=Q(officials__kind=Official.Kind.RESPONSIBLE), distinct=True),
        stand_in_count=Count("officials", filter=Q(officials__kind=Official.Kind.STAND_IN), distinct=True),
        executor_count=Count("memberships", filter=Q(memberships__role=Role.EXECUTOR), distinct=True),
    )
    result = []
    for org in organizations.order_by("name"):
        problems = []
        if not org.responsible_count:  # type: ignore[attr-defined]
            problems.append(_("no responsible official"))
        if not org.stand_in_count:  # type: ignore[attr-defined]
            problems.append(_("no stand-in of the responsible official"))
        if not org.executor_count:  # type: ignore[attr-defined]
            problems.append(_("no executor"))
        if org.data_confirmed_at is None or org.data_confirmed_at < stale_before:
            problems.append(_("data not confirmed"))
        if problems:
            result.append(RegistryProblem(organization=org, problems=problems))
    return result
