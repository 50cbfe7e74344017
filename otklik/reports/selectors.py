"""Every read of reports that a user's roles scope.

Region-wide roles (moderator, regional coordinator, administrator) see the whole region; the head
and the coordinator of an organisation see that organisation's figures and reports; nobody else
sees reports.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.models import Role, User
from otklik.accounts.permissions import capacities
from otklik.appeals.lifecycle import OPEN_STATES, Regime
from otklik.appeals.models import Appeal, Channel, DeadlineBreach
from otklik.core.replica import replica_reads
from otklik.registry.models import Category, Organization, Territory
from otklik.registry.selectors import category_tree
from otklik.reports import aggregates as agg
from otklik.reports.models import (
    DisciplinaryDecision,
    DurationRollup,
    Job,
    Report,
    SstuExport,
    SstuExportPart,
    SstuResult,
)

ORGANIZATION_REPORT_ROLES = frozenset({Role.HEAD, Role.COORDINATOR})
DEFAULT_MIN_VOLUME = 10


@dataclass(frozen=True)
class ReportScope:
    region_wide: bool
    organization_ids: frozenset[int]

    @property
    def allowed(self) -> bool:
        return self.region_wide or bool(self.organization_ids)

    def sees(self, organization_id: int) -> bool:
        return self.region_wide or organization_id in self.organization_ids

    def restrict(self, organization_id: int | None) -> frozenset[int] | None:
        """The organisations a query may read: None is "all" (region-wide without a choice)."""
        if organization_id:
            return frozenset({organization_id}) if self.sees(organization_id) else frozenset()
        return None if self.region_wide else self.organization_ids


def report_scope(user: User, *, at: dt.datetime | None = None) -> ReportScope:
    caps = capacities(user, at=at)
    return ReportScope(
        region_wide=any(cap.region_wide for cap in caps),
        organization_ids=frozenset(cap.organization_id for cap in caps if cap.role in ORGANIZATION_REPORT_ROLES),
    )


def may_decide_breaches(user: User) -> bool:
    """The regional coordinator records measures for breaches in every organisation."""
    return any(cap.role == Role.REGIONAL_COORDINATOR for cap in capacities(user))


def measure_role(user: User, organization_id: int | None) -> str | None:
    """In which capacity ``user`` may record a measure for a breach in ``organization_id`` (seed 004 §4):
    the organisation's head (own role or as a stand-in) for their organisation, the regional coordinator
    for all; None when they may not."""
    caps = capacities(user)
    if organization_id and any(cap.role == Role.HEAD and cap.organization_id == organization_id for cap in caps):
        return Role.HEAD
    if any(cap.role == Role.REGIONAL_COORDINATOR for cap in caps):
        return Role.REGIONAL_COORDINATOR
    return None


# --- dashboards -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardFilters:
    date_from: dt.date
    date_to: dt.date
    organization_id: int | None = None
    territory_id: int | None = None
    category_id: int | None = None
    regime: str | None = None
    min_volume: int = DEFAULT_MIN_VOLUME


# The dashboard reads rollups by day; beyond three years a query is an attack or a mistake, not a question
# (the quarterly and yearly reports are separate documents).
MAX_DASHBOARD_DAYS = 3 * 366


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    today = today or timezone.localdate()
    return today - dt.timedelta(days=29), today


def _granularity(date_from: dt.date, date_to: dt.date) -> str:
    days = agg.days_of(date_from, date_to)
    return "day" if days <= 45 else "week" if days <= 200 else "month"


def _period_label(day: dt.date, granularity: str) -> tuple[dt.date, str]:
    if granularity == "day":
        return day, day.strftime("%d.%m")
    if granularity == "week":
        monday = day - dt.timedelta(days=day.weekday())
        return monday, monday.strftime("%d.%m")
    first = day.replace(day=1)
    return first, first.strftime("%m.%Y")


BREAKDOWN_COUNTERS = ("answered", "answered_on_time", "answered_late", "answer_seconds", "postponed", "breaches")


def _breakdown(piece: agg.Slice, dim: str, volume: str,
               labels: Callable[[list[Any]], dict[Any, str]]) -> list[dict[str, Any]]:
    rows = agg.sums(piece, group_by=(dim,), counters=(volume, *BREAKDOWN_COUNTERS))
    names = labels([row[dim] for row in rows])
    out = [
        {
            "id": row[dim],
            "name": names.get(row[dim]) or _("not set"),
            "received": row[volume],
            "answered": row["answered"],
            "on_time": row["answered_on_time"],
            "late": row["answered_late"],
            "on_time_share": agg.ratio(row["answered_on_time"], row["answered"]),
            "avg_answer_hours": agg.hours(row["answer_seconds"], row["answered"]),
            "postponed": row["postponed"],
            "breaches": row["breaches"],
        }
        for row in rows
        if row[volume] or row["answered"] or row["postponed"] or row["breaches"]
    ]
    out.sort(key=lambda item: (-item["received"], item["name"]))
    return out


def _overdue_now(scope_orgs: frozenset[int] | None, filters: DashboardFilters, now: dt.datetime) -> dict[int, int]:
    """Open appeals past their deadline now, per organisation: a live figure, read through the
    (state, due_at) index over open appeals only."""
    queryset = Appeal.objects.filter(state__in=sorted(OPEN_STATES), due_at__lt=now)
    if scope_orgs is not None:
        queryset = queryset.filter(organization_id__in=sorted(scope_orgs))
    if filters.territory_id:
        queryset = queryset.filter(territory_id__in=agg._descendants(Territory, filters.territory_id))
    if filters.category_id:
        queryset = queryset.filter(category_id__in=agg._descendants(Category, filters.category_id))
    if filters.regime:
        queryset = queryset.filter(regime=filters.regime)
    return {row["organization_id"] or 0: row["n"]
            for row in queryset.values("organization_id").annotate(n=Count("id")).order_by()}


def dashboard(user: User, filters: DashboardFilters, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Every figure of the dashboard for what the user may see, computed from the rollups. What the user
    may see is read on the primary (a role just taken away counts at once); the figures on the read
    replica when there is one: they may be seconds behind, as a dashboard may."""
    now = now or timezone.now()
    orgs = report_scope(user, at=now).restrict(filters.organization_id)
    with replica_reads():
        return _dashboard_figures(orgs, filters, now)


def _dashboard_figures(orgs: frozenset[int] | None, filters: DashboardFilters, now: dt.datetime) -> dict[str, Any]:
    regimes = [filters.regime] if filters.regime else None
    piece = agg.Slice(date_from=filters.date_from, date_to=filters.date_to, organization_ids=orgs,
                      territory_id=filters.territory_id, category_id=filters.category_id, regimes=regimes)
    # Region-wide without a chosen organisation, volume is what citizens sent; otherwise it is what
    # reached the organisations (messages are not routed at submission).
    volume = "submitted" if orgs is None else "received"
    total = agg.totals(piece)
    overdue = _overdue_now(orgs, filters, now)
    open_now = agg.backlog(agg.Slice(date_to=timezone.localdate(now), organization_ids=orgs,
                                     territory_id=filters.territory_id, category_id=filters.category_id,
                                     regimes=regimes))[()]

    granularity = _granularity(filters.date_from, filters.date_to)
    series: dict[dt.date, dict[str, Any]] = {}
    day = filters.date_from
    while day <= filters.date_to:  # every period, empty ones too, so the time axis is even
        start, label = _period_label(day, granularity)
        series.setdefault(start, {"period": label, "received": 0, "answered": 0, "late": 0})
        day += dt.timedelta(days=1)
    for row in agg.sums(piece, group_by=("day",), counters=(volume, "answered", "answered_late"),
                        daily=granularity != "month"):
        start, label = _period_label(row["day"], granularity)
        item = series.setdefault(start, {"period": label, "received": 0, "answered": 0, "late": 0})
        item["received"] += row[volume]
        item["answered"] += row["answered"]
        item["late"] += row["answered_late"]

    social_piece = agg.Slice(date_from=filters.date_from, date_to=filters.date_to, organization_ids=orgs,
                             territory_id=filters.territory_id, category_id=filters.category_id,
                             regimes=[Regime.SOCIAL])
    social = agg.totals(social_piece, counters=(volume, "answered", "first_replies", "first_reply_seconds"))

    by_org = _breakdown(piece, "organization_id", "received", lambda ids: agg.names(Organization, ids))
    for row in by_org:
        row["overdue_now"] = overdue.get(row["id"], 0)
        if not row["id"]:
            row["name"] = _("Not routed yet (moderation)")
    ranked = [row for row in by_org if row["id"] and row["answered"] >= filters.min_volume]
    ranked.sort(key=lambda r: (-(r["on_time_share"] or 0), r["avg_answer_hours"] or 0, r["name"]))
    for place, row in enumerate(ranked, start=1):
        row["place"] = place
    unranked = [row for row in by_org if row["id"] and row["answered"] < filters.min_volume]

    channels = {c.value: str(c.label) for c in Channel}
    regime_names = {r.value: str(r.label) for r in Regime}
    return {
        "filters": filters,
        "granularity": granularity,
        "totals": {
            "received": total[volume],
            "answered": total["answered"],
            "on_time": total["answered_on_time"],
            "late": total["answered_late"],
            "on_time_share": agg.ratio(total["answered_on_time"], total["answered"]),
            "postponed": total["postponed"],
            "extended": total["extended"],
            "redirected": total["redirected"],
            "breaches": total["breaches"] + total["stage_breaches"],
            "overdue_now": sum(overdue.values()),
            "open_now": open_now,
            "avg_answer_hours": agg.hours(total["answer_seconds"], total["answered"]),
            "median_answer_hours": agg.median_hours(agg.histogram(piece, DurationRollup.Metric.ANSWER)),
            "rated": total["rated"],
            "avg_rating": round(total["rating_sum"] / total["rated"], 2) if total["rated"] else None,
            "low_rating_share": agg.ratio(total["rated_low"], total["rated"]),
        },
        "social": {
            "received": social[volume],
            "answered": social["answered"],
            "answered_share": agg.ratio(social["answered"], social[volume]),
            "first_replies": social["first_replies"],
            "avg_first_reply_hours": agg.hours(social["first_reply_seconds"], social["first_replies"]),
            "median_first_reply_hours": agg.median_hours(agg.histogram(social_piece,
                                                                       DurationRollup.Metric.FIRST_REPLY)),
        },
        "series": [series[key] for key in sorted(series)],
        "by_category": _breakdown(piece, "category_id", volume, lambda ids: agg.names(Category, ids)),
        "by_territory": _breakdown(piece, "territory_id", volume, lambda ids: agg.names(Territory, ids)),
        "by_channel": _breakdown(piece, "channel", volume, lambda ids: channels),
        "by_regime": _breakdown(piece, "regime", volume, lambda ids: regime_names),
        "by_organization": by_org,
        "ranking": {"min_volume": filters.min_volume, "ranked": ranked, "unranked": unranked},
    }


def filter_choices(user: User) -> dict[str, Any]:
    scope = report_scope(user)
    organizations = Organization.objects.filter(is_active=True).order_by("name")
    if not scope.region_wide:
        organizations = organizations.filter(pk__in=sorted(scope.organization_ids))
    return {
        "organizations": list(organizations.values_list("pk", "name")),
        "territories": list(Territory.objects.order_by("name").values_list("pk", "name")),
        # The tree, a parent before its children (choosing a parent counts its children too).
        "categories": [(pk, "\u00a0\u00a0" * depth + ("— " if depth else "") + name)
                       for pk, name, depth in category_tree()],
        "regimes": [(r.value, r.label) for r in Regime],
    }


# --- frozen reports, jobs, register, exports ---------------------------------------------------------


def visible_reports(user: User) -> QuerySet[Report]:
    scope = report_scope(user)
    queryset = Report.objects.defer("xlsx", "pdf", "data")
    if scope.region_wide:
        return queryset
    return queryset.filter(organization_id__in=sorted(scope.organization_ids))


def report_for_user(user: User, report_id: int) -> Report | None:
    scope = report_scope(user)
    report = Report.objects.filter(pk=report_id).first()
    if report is None or not (scope.region_wide or report.organization_id in scope.organization_ids):
        return None
    return report


def visible_jobs(user: User) -> QuerySet[Job]:
    queryset = Job.objects.all()
    if report_scope(user).region_wide:
        return queryset
    return queryset.filter(requested_by=user)


def visible_breaches(user: User, *, organization_id: int | None = None, undecided: bool = False,
                     date_from: dt.date | None = None, date_to: dt.date | None = None) -> QuerySet[DeadlineBreach]:
    scope = report_scope(user)
    orgs = scope.restrict(organization_id)
    # A missed stage budget is internal: a warning, not a breach of the register (issue 9, point 4).
    queryset = DeadlineBreach.objects.filter(internal=False).select_related(
        "appeal", "organization", "executor", "coordinator")
    if orgs is not None:
        queryset = queryset.filter(organization_id__in=sorted(orgs))
    tz = timezone.get_current_timezone()
    if date_from:
        queryset = queryset.filter(detected_at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=tz))
    if date_to:
        queryset = queryset.filter(detected_at__lt=dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min,
                                                                        tzinfo=tz))
    if undecided:
        queryset = queryset.filter(decisions__isnull=True)
    return queryset.order_by("-detected_at", "-id")


def decisions_by_breach(breach_ids: list[int]) -> dict[int, list[DisciplinaryDecision]]:
    """Every decision per breach, newest first (the register shows the history, not only the last)."""
    result: dict[int, list[DisciplinaryDecision]] = defaultdict(list)
    for decision in DisciplinaryDecision.objects.filter(breach_id__in=breach_ids).select_related(
            "person", "decided_by").order_by("-decided_at", "-id"):
        result[decision.breach_id].append(decision)
    return result


def visible_exports(user: User) -> QuerySet[SstuExport]:
    scope = report_scope(user)
    queryset = SstuExport.objects.all()
    if scope.region_wide:
        return queryset
    return queryset.filter(organization_id__in=sorted(scope.organization_ids))


def export_parts(exports: list[SstuExport]) -> dict[int, list[SstuExportPart]]:
    """The parts of exports read through ``visible_exports``, by export, without their files."""
    parts: dict[int, list[SstuExportPart]] = {}
    for part in SstuExportPart.objects.filter(export__in=exports).defer("content"):
        parts.setdefault(part.export_id, []).append(part)
    return parts


def visible_export_part(user: User, export_id: int, number: int) -> tuple[SstuExport, SstuExportPart] | None:
    """One part of an export the user may read, with its file."""
    export = visible_exports(user).filter(pk=export_id).first()
    part = SstuExportPart.objects.filter(export=export, number=number).first() if export else None
    return (export, part) if export is not None and part is not None else None


def sstu_result_of(appeal: Appeal) -> SstuResult | None:
    """The result recorded for an appeal read through ``fz59_appeals``."""
    return SstuResult.objects.filter(appeal=appeal).first()


def fz59_appeals(user: User) -> QuerySet[Appeal]:
    scope = report_scope(user)
    queryset = Appeal.objects.filter(regime=Regime.FZ59)
    if scope.region_wide:
        return queryset
    return queryset.filter(Q(organization_id__in=sorted(scope.organization_ids)))


def sstu_authorised_persons(user: User) -> list[dict[str, Any]]:
    """Per organisation the user's reports cover, the persons authorised for the SSTU.RF section
    «Результаты рассмотрения обращений» kept in the registry (seed 000 §1.1), and the duties nobody holds."""
    from otklik.registry.models import SSTU_KINDS, Official
    from otklik.registry.selectors import sstu_officials

    scope = report_scope(user)
    organizations = Organization.objects.filter(is_active=True).order_by("name")
    if not scope.region_wide:
        organizations = organizations.filter(pk__in=sorted(scope.organization_ids))
    orgs = list(organizations.values_list("pk", "name", "sstu_department_guid"))
    persons = sstu_officials([pk for pk, _name, _guid in orgs])
    labels = dict(Official.Kind.choices)
    rows = []
    for pk, name, guid in orgs:
        named = persons.get(pk, [])
        held = {official.kind for official in named}
        rows.append({
            "organization_id": pk, "organization": name, "sstu_department_guid": guid,
            "persons": [{"kind": official.kind, "kind_label": str(labels[official.kind]),
                         "full_name": official.full_name, "position": official.position, "phone": official.phone,
                         "email": official.email} for official in named],
            "missing": [str(labels[kind]) for kind in SSTU_KINDS if kind not in held],
        })
    return rows
