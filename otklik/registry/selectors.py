"""Reads of reference data. Reference data is public inside the staff workspace, so these are not
scoped by organisation; the registry's health is read only for region-wide roles
(``registry_health_for``), and an organisation's officials only by those who enter them
(``officials_organization``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from otklik.accounts.models import Role, User
from otklik.accounts.permissions import capacities, has_region_wide_view
from otklik.core import versions
from otklik.core.calendar import WorkingCalendar
from otklik.registry.models import (
    DUTY_KINDS,
    SSTU_KINDS,
    CalendarOverride,
    Category,
    Official,
    Organization,
    RegionSettings,
    RegistryChange,
    RoutingRule,
    Territory,
)


def region_settings() -> RegionSettings:
    found = RegionSettings.objects.order_by("pk").first()
    if found is None:
        from otklik.registry.services import region_settings_create_default

        found = region_settings_create_default()
    return found


def map_view() -> dict[str, Any]:
    """Tiles and the start view of every map: the region's centre and zoom from its settings
    (admin, «Настройки региона»), else OTKLIK_MAP_LAT / OTKLIK_MAP_LON / OTKLIK_MAP_ZOOM."""
    from django.conf import settings

    region = region_settings()
    lat, lon, zoom = settings.PORTAL_MAP_CENTER
    if region.map_centre_lat is not None and region.map_centre_lon is not None:
        lat, lon, zoom = region.map_centre_lat, region.map_centre_lon, region.map_zoom or zoom
    return {"tiles": settings.PORTAL_MAP_TILE_URL, "attribution": settings.PORTAL_MAP_ATTRIBUTION,
            "lat": lat, "lon": lon, "zoom": zoom, "region": region.name}


# What a process keeps from the registry between requests (categories, territories, the region's terms
# and calendar) is valid while this version stands; registry/signals.py bumps it with every change.
REGISTRY_VERSION = "registry"


def registry_snapshot() -> versions.Snapshot:
    return versions.snapshot(REGISTRY_VERSION)


def region_cached() -> tuple[RegionSettings, WorkingCalendar]:
    """The region's settings and working calendar as this process last read them, checked against the
    registry's version (one query instead of two and the calendar's construction). Read-only: a write
    goes through ``region_settings()``."""

    def build() -> tuple[RegionSettings, WorkingCalendar]:
        row = region_settings()
        return row, region_calendar(row)

    return registry_snapshot().get("region", build)


def region_calendar(settings_row: RegionSettings | None = None) -> WorkingCalendar:
    row = settings_row or region_settings()
    overrides = list(CalendarOverride.objects.values_list("day", "kind"))
    return WorkingCalendar.build(
        days_off=[day for day, kind in overrides if kind == CalendarOverride.Kind.DAY_OFF],
        working_days=[day for day, kind in overrides if kind == CalendarOverride.Kind.WORKING_DAY],
        workday_start=row.workday_start,
        workday_end=row.workday_end,
    )


def category_tree() -> list[tuple[int, str, int]]:
    """Every category as (id, name, depth), parents first and each level sorted by name: the order a
    person reads a classifier in, for filters that show the tree."""
    children: dict[int | None, list[Category]] = {}
    for category in Category.objects.only("pk", "name", "parent_id").order_by("name"):
        children.setdefault(category.parent_id, []).append(category)
    rows: list[tuple[int, str, int]] = []
    stack = [(category, 0) for category in reversed(children.get(None, []))]
    while stack:
        category, depth = stack.pop()
        rows.append((category.pk, category.name, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(category.pk, [])))
    return rows


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


def _missing_duty(kind: str) -> str:
    from django.utils.translation import gettext as _

    messages: dict[str, str] = {
        Official.Kind.RESPONSIBLE: _("no responsible official"),
        Official.Kind.STAND_IN: _("no stand-in of the responsible official"),
        Official.Kind.EXECUTOR_STAND_IN: _("no stand-in of the executors"),
        Official.Kind.AUTHORISED: _("no authorised person for public votes"),
        Official.Kind.AUTHORISED_STAND_IN: _("no stand-in of the authorised person"),
    }
    return messages[kind]


def registry_health(*, now: dt.datetime | None = None) -> list[RegistryProblem]:
    """Active organisations that lack a person the acts ask for (seed 002 §4: the responsible official
    and stand-in, executors and their stand-in, the authorised person and stand-in), or whose data
    have not been confirmed within the region's period."""
    from django.utils.translation import gettext as _

    now = now or timezone.now()
    row = region_settings()
    stale_before = now - dt.timedelta(days=row.registry_confirmation_days)
    organizations: QuerySet[Organization] = Organization.objects.filter(is_active=True).annotate(
        executor_count=Count("memberships", filter=Q(memberships__role=Role.EXECUTOR), distinct=True),
    )
    named: dict[int, set[str]] = {}
    for org_id, kind in Official.objects.filter(kind__in=DUTY_KINDS).exclude(full_name="").values_list(
            "organization_id", "kind"):
        named.setdefault(org_id, set()).add(kind)
    result = []
    for org in organizations.order_by("name"):
        kinds = named.get(org.pk, set())
        problems = [_missing_duty(kind) for kind in DUTY_KINDS[:2] if kind not in kinds]
        if not org.executor_count:  # type: ignore[attr-defined]
            problems.append(_("no executor"))
        problems += [_missing_duty(kind) for kind in DUTY_KINDS[2:] if kind not in kinds]
        if org.data_confirmed_at is None or org.data_confirmed_at < stale_before:
            problems.append(_("data not confirmed in the last %(days)d days") % {
                "days": row.registry_confirmation_days})
        if problems:
            result.append(RegistryProblem(organization=org, problems=problems))
    return result


@dataclass(frozen=True)
class LateChange:
    change: RegistryChange
    entered_on: dt.date
    days_late: int  # days past the region's term


def late_registry_changes(*, now: dt.datetime | None = None) -> list[LateChange]:
    """Changes of officials and contacts entered later than the region's term after they happened
    (seed 002 §5: «не позднее 3-х дней»; calendar days), among those entered within the region's
    confirmation period."""
    now = now or timezone.now()
    row = region_settings()
    since = now - dt.timedelta(days=row.registry_confirmation_days)
    changes = (
        RegistryChange.objects.filter(at__gte=since, happened_on__isnull=False, entity__in=("official", "organization"),
                                      action__in=("create", "update", "delete"))
        .exclude(entity="organization", action="create")  # a new organisation is not a change of its data
        .select_related("organization", "actor").order_by("-at", "-id")
    )
    late = []
    for change in changes:
        assert change.happened_on is not None
        entered_on = timezone.localdate(change.at)
        overdue = (entered_on - change.happened_on).days - row.registry_change_days
        if overdue > 0:
            late.append(LateChange(change=change, entered_on=entered_on, days_late=overdue))
    return late


@dataclass(frozen=True)
class RegistryHealth:
    rows: list[RegistryProblem]
    late: list[LateChange]


def registry_health_for(user: User, *, now: dt.datetime | None = None) -> RegistryHealth | None:
    """The registry's health page (what is missing, what was entered late), read for region-wide
    roles only; None for anyone else (the page answers 403)."""
    if not has_region_wide_view(user):
        return None
    return RegistryHealth(rows=registry_health(now=now), late=late_registry_changes(now=now))


def sstu_officials(organization_ids: list[int] | None = None) -> dict[int, list[Official]]:
    """The persons authorised for the SSTU.RF section, per organisation (seed 000 §1.1)."""
    queryset = Official.objects.filter(kind__in=SSTU_KINDS)
    if organization_ids is not None:
        queryset = queryset.filter(organization_id__in=organization_ids)
    order: dict[str, int] = {kind: index for index, kind in enumerate(SSTU_KINDS)}
    result: dict[int, list[Official]] = {}
    for official in sorted(queryset, key=lambda o: (o.organization_id, order[o.kind])):
        result.setdefault(official.organization_id, []).append(official)
    return result


def may_edit_officials(user: User, organization: Organization) -> bool:
    """Who enters an organisation's officials and contacts: the registry's keepers (staff and
    region-wide roles) and the organisation's head, who answers for them (seed 002 §4–5)."""
    if user.is_staff or user.is_superuser:
        return True
    return any(cap.region_wide or (cap.role == Role.HEAD and cap.organization_id == organization.pk)
               for cap in capacities(user))


def officials_organization(user: User, organization_id: int) -> Organization | None:
    """The organisation whose officials and contacts ``user`` enters; None where there is no such
    organisation (a 404), PermissionDenied where there is but the user may not enter them (a 403: the
    registry itself is no secret inside the workspace)."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is not None and not may_edit_officials(user, organization):
        raise PermissionDenied
    return organization


def organization_officials(organization: Organization) -> dict[str, Official]:
    return {official.kind: official for official in organization.officials.all()}


def organization_changes(organization: Organization, *, limit: int = 50) -> list[RegistryChange]:
    return list(RegistryChange.objects.filter(organization=organization).select_related("actor")
                .order_by("-at", "-id")[:limit])
