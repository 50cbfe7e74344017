"""Pages of reports: the dashboard, frozen reports, job progress, the disciplinary register and
SSTU.RF monitoring. Reads go through selectors, writes through services."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from otklik.accounts.models import User
from otklik.appeals.lifecycle import Regime
from otklik.appeals.models import Appeal
from otklik.escalations import selectors as escalation_selectors
from otklik.participation import selectors as participation_selectors
from otklik.reports import documents, selectors, services
from otklik.reports.forms import DashboardForm, DecisionForm, ReportRequestForm, SstuExportForm, SstuResultForm
from otklik.reports.models import Job, Report
from otklik.reports.services import ReportError


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not selectors.report_scope(user).allowed:
        raise PermissionDenied
    return user


CHART_JS = "chartjs/chart.umd.min.js"


@lru_cache(maxsize=1)
def _chart_js() -> bytes:
    # Chart.js comes from npm (package.json, installed by `make install`) and is found like any static file.
    found = finders.find(CHART_JS)
    if not found:
        raise Http404
    return Path(str(found)).read_bytes()


def chart_js(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_chart_js(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response


def _organizations(user: User) -> list[tuple[int, str]]:
    return selectors.filter_choices(user)["organizations"]


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    choices = selectors.filter_choices(user)
    default_from, default_to = selectors.default_period()
    form = DashboardForm(request.GET or None, choices=choices,
                         initial={"date_from": default_from, "date_to": default_to})
    data: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
    filters = selectors.DashboardFilters(
        date_from=data.get("date_from") or default_from, date_to=data.get("date_to") or default_to,
        organization_id=data.get("organization"), territory_id=data.get("territory"),
        category_id=data.get("category"), regime=data.get("regime") or None,
        min_volume=data["min_volume"] if data.get("min_volume") is not None else selectors.DEFAULT_MIN_VOLUME,
    )
    figures = selectors.dashboard(user, filters)
    charts = {
        "series": {"labels": [row["period"] for row in figures["series"]],
                   "received": [row["received"] for row in figures["series"]],
                   "answered": [row["answered"] for row in figures["series"]]},
        "categories": _chart_rows(figures["by_category"][:15]),
        "organizations": _chart_rows(figures["by_organization"][:20]),
        "territories": _chart_rows(figures["by_territory"][:15]),
        "channels": _chart_rows(figures["by_channel"]),
        "labels": {"received": _("Received"), "answered": _("Answered"), "on_time": _("On time"),
                   "late": _("Late")},
    }
    return render(request, "reports/dashboard.html", {
        "form": form, "figures": figures, "filters": filters, "charts": charts,
        "scope": selectors.report_scope(user), "nav": "dashboard",
    })


def _chart_rows(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {"labels": [row["name"] for row in rows], "received": [row["received"] for row in rows],
            "on_time": [row["on_time"] for row in rows], "late": [row["late"] for row in rows]}


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    scope = selectors.report_scope(user)
    form = ReportRequestForm(request.POST or None, organizations=_organizations(user), region_wide=scope.region_wide)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.report_request(
                user=user, kind=form.cleaned_data["kind"], day=form.cleaned_data["month"],
                organization_id=form.cleaned_data["organization"] or 0,
                replace=bool(form.cleaned_data.get("replace")),
            )
        except ReportError as exc:
            messages.error(request, exc.message)
        else:
            return redirect("reports:job", job_id=job.pk)
    page = Paginator(selectors.visible_reports(user), 50).get_page(request.GET.get("page"))
    return render(request, "reports/report_list.html", {"form": form, "page": page, "nav": "reports"})


def _report(request: HttpRequest, report_id: int) -> Report:
    report = selectors.report_for_user(_user(request), report_id)
    if report is None:
        raise Http404
    return report


@login_required
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id)
    return render(request, "reports/report_detail.html", {**documents.context(report.data), "report": report,
                                                          "nav": "reports"})


@login_required
def report_file(request: HttpRequest, report_id: int, fmt: str) -> HttpResponse:
    if fmt not in ("xlsx", "pdf"):
        raise Http404
    report = _report(request, report_id)
    stem = f"report-{report.kind}-{report.period_start:%Y-%m}-{report.organization_id or 'region'}"
    if fmt == "xlsx":
        response = HttpResponse(bytes(report.xlsx), content_type=services.XLSX_TYPE)
    else:
        response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


@login_required
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.visible_jobs(_user(request)).filter(pk=job_id).first()
    if job is None:
        raise Http404
    template = "reports/_job.html" if request.headers.get("HX-Request") else "reports/job.html"
    return render(request, template, {"job": job, "running": job.status in (Job.Status.QUEUED, Job.Status.RUNNING),
                                      "nav": "reports"})


@login_required
def breaches(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    month = _month(request.GET.get("month"))
    undecided = request.GET.get("undecided") == "1"
    organization_id = _int(request.GET.get("organization"))
    start, end = (None, None)
    if month:
        start = month
        end = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    queryset = selectors.visible_breaches(user, organization_id=organization_id, undecided=undecided,
                                          date_from=start, date_to=end)
    page = Paginator(queryset, 25).get_page(request.GET.get("page"))
    decisions = selectors.decisions_by_breach([row.pk for row in page])
    may_decide = selectors.may_decide_breaches(user)
    rows = []
    for breach in page:
        people = services.breach_people(breach)
        # The head records measures for their organisation's breaches, the regional coordinator for all.
        may_record = selectors.measure_role(user, breach.organization_id) is not None
        rows.append({
            "breach": breach, "people": people, "decisions": decisions.get(breach.pk, []),
            "form": DecisionForm(people=[(p.pk, p.display_name) for p in people], prefix=f"b{breach.pk}")
            if may_record else None,
        })
    # Late discussions, votes and polls (seed 004 §4) are breaches of the same register.
    late_events = list(participation_selectors.visible_lateness(user, organization_id=organization_id,
                                                                date_from=start, date_to=end)[:200])
    # Escalation reports sent after their one-day deadline (or not sent by it) are breaches too.
    late_escalations = list(escalation_selectors.late_reports(user, date_from=start, date_to=end)[:200])
    return render(request, "reports/breaches.html", {
        "rows": rows, "page": page, "late_events": late_events, "late_escalations": late_escalations,
        "may_decide": may_decide,
        "organizations": _organizations(user),
        "month": month.strftime("%Y-%m") if month else "", "undecided": undecided, "organization_id": organization_id,
        "nav": "breaches",
    })


@login_required
@require_POST
def breach_decide(request: HttpRequest, breach_id: int) -> HttpResponse:
    user = _user(request)
    breach = selectors.visible_breaches(user).filter(pk=breach_id).first()
    if breach is None:
        raise Http404
    people = services.breach_people(breach)
    form = DecisionForm(request.POST, people=[(p.pk, p.display_name) for p in people], prefix=f"b{breach_id}")
    if form.is_valid():
        try:
            services.breach_decide(breach_id=breach_id, user=user, measure=form.cleaned_data["measure"],
                                   person_id=form.cleaned_data["person"], note=form.cleaned_data["note"])
        except ReportError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The measure is recorded."))
    else:
        messages.error(request, _("Check the decision: %(errors)s") % {
            "errors": "; ".join(str(e) for errors in form.errors.values() for e in errors)})
    return redirect(request.POST.get("next") or "reports:breaches")


def _month(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(f"{value}-01") if value else None
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
def sstu(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    scope = selectors.report_scope(user)
    month = _month(request.GET.get("month")) or timezone.localdate().replace(day=1)
    form = SstuExportForm(request.POST or None, organizations=_organizations(user), region_wide=scope.region_wide,
                          initial={"month": month.strftime("%Y-%m")})
    if request.method == "POST" and form.is_valid():
        try:
            job = services.sstu_export_request(user=user, day=form.cleaned_data["month"],
                                               organization_id=form.cleaned_data["organization"] or 0,
                                               push=form.cleaned_data["push"])
        except ReportError as exc:
            messages.error(request, exc.message)
        else:
            return redirect("reports:job", job_id=job.pk)
    exports = list(selectors.visible_exports(user)[:20])
    parts = selectors.export_parts(exports)
    awaiting = (selectors.fz59_appeals(user).filter(state__in=sorted(services.RESULT_STATES),
                                                    sstu_result__isnull=True)
                .select_related("organization").order_by("-answered_at")[:50])
    return render(request, "reports/sstu.html", {
        "form": form, "month": month, "monitoring": services.sstu_monitoring(user=user, day=month),
        "exports": [(export, parts.get(export.pk, [])) for export in exports], "awaiting": awaiting,
        "authorised": selectors.sstu_authorised_persons(user), "nav": "sstu",
    })


@login_required
def sstu_part(request: HttpRequest, export_id: int, number: int) -> HttpResponse:
    found = selectors.visible_export_part(_user(request), export_id, number)
    if found is None:
        raise Http404
    export, part = found
    services.sstu_part_downloaded(user=_user(request), export=export)
    response = HttpResponse(bytes(part.content), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="sstu-{export_id}-{number:03d}.zip"'
    return response


@login_required
def sstu_result(request: HttpRequest, appeal_id: int) -> HttpResponse:
    user = _user(request)
    appeal: Appeal | None = selectors.fz59_appeals(user).filter(pk=appeal_id, regime=Regime.FZ59).select_related(
        "organization").first()
    if appeal is None:
        raise Http404
    current = selectors.sstu_result_of(appeal)
    initial = {"result": current.result, "actions_taken": current.actions_taken} if current else None
    form = SstuResultForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("attachment")
        try:
            services.sstu_result_record(
                appeal_id=appeal.pk, user=user, result=form.cleaned_data["result"],
                actions_taken=form.cleaned_data["actions_taken"],
                attachment_name=upload.name if upload else "", attachment=upload.read() if upload else None,
            )
        except ReportError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The result is recorded."))
            return redirect("reports:sstu")
    return render(request, "reports/sstu_result.html", {"form": form, "appeal": appeal, "current": current,
                                                        "nav": "sstu"})
