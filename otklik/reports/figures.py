"""The figures of a monthly (doc 004) or quarterly (doc 003) report, computed from the rollups and
the breach log. The result is plain JSON: it is frozen into Report.data and every file of the
report (web page, XLSX, PDF) is made from it alone."""

from __future__ import annotations

import datetime as dt
import importlib
from collections import defaultdict
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from otklik.appeals.models import Appeal, DeadlineBreach
from otklik.registry.models import Organization
from otklik.reports import aggregates as agg
from otklik.reports.models import DisciplinaryDecision, DurationRollup, Measure, ReportKind

# Columns of the per-organisation tables, in order. The labels are in report_labels() (gettext).
MESSAGE_COLUMNS = ("received", "answered", "answered_on_time", "answered_late", "postponed", "in_progress",
                   "redirected", "closed_without_answer", "breaches")
SOCIAL_COLUMNS = ("received", "answered", "answered_on_time", "answered_late", "postponed", "in_progress",
                  "first_replies", "avg_first_reply_hours", "breaches")
PARTICIPATION_COLUMNS = ("discussions", "votes", "polls", "held_on_time", "held_late")
BREACH_LIST_LIMIT = 5000


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    low = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return low, high


def _org_rows(start: dt.date, end: dt.date, regimes: tuple[str, ...], org_ids: frozenset[int] | None,
              columns: tuple[str, ...]) -> tuple[dict[int, dict[str, Any]], dict[str, Any]]:
    piece = agg.Slice(date_from=start, date_to=end, organization_ids=org_ids, regimes=regimes)
    rows: dict[int, dict[str, Any]] = defaultdict(lambda: dict.fromkeys(columns, 0))
    for row in agg.sums(piece, group_by=("organization_id",)):
        out = rows[row["organization_id"]]
        out["received"] = row["received"]
        out["answered"] = row["answered"]
        out["answered_on_time"] = row["answered_on_time"]
        out["answered_late"] = row["answered_late"]
        out["postponed"] = row["postponed"]
        out["breaches"] = row["breaches"]
        if "redirected" in out:
            out["redirected"] = row["redirected"] + row["transferred"]
        if "closed_without_answer" in out:
            out["closed_without_answer"] = row["rejected"] + row["left_without_answer"]
        if "first_replies" in out:
            out["first_replies"] = row["first_replies"]
            out["_first_reply_seconds"] = row["first_reply_seconds"]
    for org_id, open_count in agg.backlog(piece, group_by=("organization_id",)).items():
        if open_count:
            rows[org_id]["in_progress"] = open_count
    total: dict[str, Any] = dict.fromkeys(columns, 0)
    for row in rows.values():
        for name in columns:
            if name != "avg_first_reply_hours":
                total[name] += row[name]
    if "avg_first_reply_hours" in columns:
        seconds_total = 0
        for row in rows.values():
            seconds = row.pop("_first_reply_seconds", 0)
            seconds_total += seconds
            row["avg_first_reply_hours"] = agg.hours(seconds, row["first_replies"]) or 0
        total["avg_first_reply_hours"] = agg.hours(seconds_total, total["first_replies"]) or 0
        total["median_first_reply_hours"] = agg.median_hours(
            agg.histogram(piece, DurationRollup.Metric.FIRST_REPLY)) or 0
    return {org: row for org, row in rows.items() if any(row.values())}, total


def _participation(start: dt.date, end: dt.date, org_ids: frozenset[int] | None) -> dict[str, Any]:
    """Discussions, votes and polls: the participation module reports here once it exists
    (``otklik.participation.reports.monthly_counts(start, end, org_ids)`` → {org_id: {column: n}})."""
    try:
        module = importlib.import_module("otklik.participation.reports")
    except ImportError:
        return {"available": False, "rows": {}, "total": dict.fromkeys(PARTICIPATION_COLUMNS, 0)}
    counts: dict[int, dict[str, int]] = module.monthly_counts(start, end, org_ids)
    total = dict.fromkeys(PARTICIPATION_COLUMNS, 0)
    rows = {}
    for org_id, values in counts.items():
        row = {name: int(values.get(name, 0)) for name in PARTICIPATION_COLUMNS}
        rows[org_id] = row
        for name in PARTICIPATION_COLUMNS:
            total[name] += row[name]
    return {"available": True, "rows": rows, "total": total}


def _resolutions(start: dt.date, end: dt.date, org_ids: frozenset[int] | None) -> dict[str, int]:
    """Problems whose promised resolution date (seed 004 §4) falls in the period: solved by that date,
    solved later or not solved after it passed, and still pending."""
    low, high = _bounds(start, end)
    queryset = Appeal.objects.filter(resolution_due_at__gte=low, resolution_due_at__lt=high)
    if org_ids is not None:
        queryset = queryset.filter(organization_id__in=sorted(org_ids))
    now = timezone.now()
    on_time = queryset.filter(resolved_at__lte=F("resolution_due_at")).count()
    late = queryset.filter(Q(resolved_at__gt=F("resolution_due_at"))
                           | Q(resolved_at__isnull=True, resolution_due_at__lt=now)).count()
    pending = queryset.filter(resolved_at__isnull=True, resolution_due_at__gte=now).count()
    return {"resolved_on_time": on_time, "resolved_late": late, "resolution_pending": pending}


def _breaches(start: dt.date, end: dt.date, org_ids: frozenset[int] | None) -> tuple[list[dict[str, Any]], int]:
    low, high = _bounds(start, end)
    queryset = DeadlineBreach.objects.filter(detected_at__gte=low, detected_at__lt=high, internal=False)
    if org_ids is not None:
        queryset = queryset.filter(organization_id__in=sorted(org_ids))
    count = queryset.count()
    latest: dict[int, list[str]] = defaultdict(list)
    rows = list(
        queryset.select_related("appeal", "organization", "executor", "coordinator")
        .order_by("detected_at", "id")[:BREACH_LIST_LIMIT]
    )
    decisions = DisciplinaryDecision.objects.filter(breach_id__in=[row.pk for row in rows]).select_related("person")
    seen: set[tuple[int, int | None]] = set()
    for decision in decisions.order_by("-decided_at", "-id"):
        key = (decision.breach_id, decision.person_id)
        if key in seen:
            continue
        seen.add(key)
        who = decision.person.display_name if decision.person else ""
        latest[decision.breach_id].append(f"{Measure(decision.measure).label}{': ' + who if who else ''}")
    result = [
        {
            "appeal": row.appeal.number,
            "organization": str(row.organization) if row.organization else "",
            "stage": row.get_stage_display(),
            "due_at": timezone.localtime(row.due_at).strftime("%d.%m.%Y %H:%M"),
            "detected_at": timezone.localtime(row.detected_at).strftime("%d.%m.%Y %H:%M"),
            "executor": row.executor.display_name if row.executor else "",
            "coordinator": row.coordinator.display_name if row.coordinator else "",
            "decision": "; ".join(str(item) for item in latest.get(row.pk, [])),
        }
        for row in rows
    ]
    return result, count


def measures_applied(start: dt.date, end: dt.date, org_ids: frozenset[int] | None) -> list[dict[str, Any]]:
    """Measures decided in the period that still stand (a later decision on the same breach and person
    replaces an earlier one), excluding "no measure due"."""
    low, high = _bounds(start, end)
    queryset = DisciplinaryDecision.objects.filter(decided_at__lt=high).select_related(
        "breach__appeal", "breach__organization", "person", "decided_by")
    if org_ids is not None:
        queryset = queryset.filter(breach__organization_id__in=sorted(org_ids))
    queryset = queryset.filter(
        breach_id__in=DisciplinaryDecision.objects.filter(decided_at__gte=low, decided_at__lt=high).values("breach_id")
    )
    standing: dict[tuple[int, int | None], DisciplinaryDecision] = {}
    for decision in queryset.order_by("decided_at", "id"):
        standing[(decision.breach_id, decision.person_id)] = decision
    result = []
    for decision in sorted(standing.values(), key=lambda d: (d.decided_at, d.pk)):
        if decision.measure == Measure.NONE_DUE or not low <= decision.decided_at < high:
            continue
        result.append({
            "organization_id": decision.breach.organization_id or 0,
            "organization": str(decision.breach.organization) if decision.breach.organization else "",
            "appeal": decision.breach.appeal.number,
            "person": decision.person.display_name if decision.person else "",
            "measure": str(Measure(decision.measure).label),
            "note": decision.note,
            "decided_at": timezone.localtime(decision.decided_at).strftime("%d.%m.%Y"),
            "decided_by": decision.decided_by.display_name,
        })
    return result


def report_figures(kind: str, start: dt.date, end: dt.date, organization_id: int = 0) -> dict[str, Any]:
    """Every figure of one report, as JSON-ready data."""
    org_ids = frozenset({organization_id}) if organization_id else None
    sections: dict[str, Any] = {}
    all_orgs: set[int] = set()
    plan: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [("social", agg.SOCIAL_REGIMES, SOCIAL_COLUMNS)]
    if kind == ReportKind.MONTHLY:
        plan.insert(0, ("messages", agg.MESSAGE_REGIMES, MESSAGE_COLUMNS))
    for name, regimes, columns in plan:
        rows, total = _org_rows(start, end, regimes, org_ids, columns)
        sections[name] = {"columns": list(columns), "rows": rows, "total": total}
        all_orgs |= rows.keys()
    if kind == ReportKind.MONTHLY:
        participation = _participation(start, end, org_ids)
        sections["participation"] = {"columns": list(PARTICIPATION_COLUMNS), **participation}
        all_orgs |= participation["rows"].keys()
    measures = measures_applied(start, end, org_ids)
    breaches, breach_count = _breaches(start, end, org_ids)
    resolutions = _resolutions(start, end, org_ids)
    org_names = agg.names(Organization, all_orgs | {m["organization_id"] for m in measures})
    measures_by_org: dict[int, int] = defaultdict(int)
    for measure in measures:
        measures_by_org[measure["organization_id"]] += 1

    def named(rows: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
        ordered = sorted(rows.items(), key=lambda item: (item[0] == 0, org_names.get(item[0], "")))
        return [{"organization_id": org, "organization": org_names.get(org, ""), **row} for org, row in ordered]

    for section in sections.values():
        section["rows"] = named(section["rows"])
    summary_piece = agg.Slice(date_from=start, date_to=end, organization_ids=org_ids,
                              regimes=agg.SOCIAL_REGIMES if kind == ReportKind.QUARTERLY_SOCIAL else None)
    summary_totals = agg.totals(summary_piece, counters=("submitted", "answered", "answer_seconds", "rated",
                                                        "rating_sum"))
    return {
        "kind": kind,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "organization_id": organization_id,
        "organization": org_names.get(organization_id, "") if organization_id else "",
        "sections": sections,
        "summary": {
            "submitted": summary_totals["submitted"],
            "avg_answer_hours": agg.hours(summary_totals["answer_seconds"], summary_totals["answered"]),
            "median_answer_hours": agg.median_hours(agg.histogram(summary_piece, DurationRollup.Metric.ANSWER)),
            "avg_rating": round(summary_totals["rating_sum"] / summary_totals["rated"], 2)
            if summary_totals["rated"] else None,
            "breaches": breach_count,
            "measures_applied": len(measures),
            "measures_by_organization": {str(org): n for org, n in measures_by_org.items()},
            **resolutions,
        },
        "breaches": breaches,
        "breaches_listed": len(breaches),
        "measures": measures,
    }
