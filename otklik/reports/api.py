"""JSON API of reports: dashboards, frozen reports and their files, background jobs, the
disciplinary register, SSTU.RF results, exports and monitoring. Reads go through selectors,
writes through services; refusals are ReportError, answered as {"code", "message", "field"}."""

import base64
import binascii
import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from otklik.accounts.models import User
from otklik.reports import selectors, services
from otklik.reports.models import Job, Measure, ReportKind
from otklik.reports.services import ReportError

router = Router(tags=["reports"])


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None


class JobOut(Schema):
    id: int
    kind: str
    status: str
    progress: int
    message: str
    result: dict[str, Any]
    created_at: dt.datetime
    finished_at: dt.datetime | None


class ReportItemOut(Schema):
    id: int
    kind: str
    period_start: dt.date
    period_end: dt.date
    organization_id: int
    organization_name: str
    generated_at: dt.datetime


class ReportIn(Schema):
    kind: str = ReportKind.MONTHLY
    day: dt.date
    organization_id: int = 0
    replace: bool = False


class DashboardQuery(Schema):
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    organization_id: int | None = None
    territory_id: int | None = None
    category_id: int | None = None
    regime: str | None = None
    min_volume: int = selectors.DEFAULT_MIN_VOLUME


class PersonOut(Schema):
    id: int
    name: str


class DecisionOut(Schema):
    id: int
    measure: str
    measure_label: str
    person: PersonOut | None
    note: str
    decided_by: PersonOut
    decided_at: dt.datetime
    decided_as: str
    decided_as_label: str


class BreachOut(Schema):
    id: int
    appeal_id: int
    appeal_number: str
    organization_id: int | None
    organization: str | None
    stage: str
    due_at: dt.datetime
    detected_at: dt.datetime
    people: list[PersonOut]
    decisions: list[DecisionOut]
    may_record: bool  # the caller may record a measure for it (its organisation's head, the regional coordinator)


class DecisionIn(Schema):
    measure: str
    person_id: int | None = None
    note: str = ""


class SstuResultIn(Schema):
    result: str
    actions_taken: bool = False
    attachment_name: str = ""
    attachment_base64: str | None = None


class SstuExportIn(Schema):
    day: dt.date
    organization_id: int = 0
    push: bool = False


class SstuPartOut(Schema):
    number: int
    size: int
    files: int


class SstuExportOut(Schema):
    id: int
    period_start: dt.date
    period_end: dt.date
    organization_id: int
    created_at: dt.datetime
    exported: int
    refused: int
    pushed: int
    errors: list[dict[str, Any]]
    push_errors: list[dict[str, Any]]
    parts: list[SstuPartOut]


class MonitoringOut(Schema):
    organization_id: int
    organization: str
    total: int
    exported: int
    pending: int
    no_guid: bool


class AuthorisedPersonOut(Schema):
    kind: str
    kind_label: str
    full_name: str
    position: str
    phone: str
    email: str


class SstuAuthorisedOut(Schema):
    organization_id: int
    organization: str
    sstu_department_guid: str
    persons: list[AuthorisedPersonOut]
    missing: list[str]


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if not selectors.report_scope(user).allowed:
        raise ReportError("forbidden", _("Reports are open to heads and coordinators of organisations and to the "
                                         "region's coordinators."), status=403)
    return user


def _person(user: User | None) -> dict[str, Any] | None:
    return {"id": user.pk, "name": user.display_name} if user is not None else None


def _job(job: Job) -> dict[str, Any]:
    return {"id": job.pk, "kind": job.kind, "status": job.status, "progress": job.progress, "message": job.message,
            "result": job.result, "created_at": job.created_at, "finished_at": job.finished_at}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "__dataclass_fields__"):
        return _jsonable(vars(value))
    return value


@router.get("/dashboard", response={200: dict[str, Any], 400: ErrorOut, 403: ErrorOut})
def dashboard(request: HttpRequest, query: Query[DashboardQuery]) -> dict[str, Any]:
    user = _user(request)
    default_from, default_to = selectors.default_period()
    date_from, date_to = query.date_from or default_from, query.date_to or default_to
    if date_from > date_to:
        raise ReportError("invalid_period", _("The period must start before it ends."), field="date_from")
    if (date_to - date_from).days >= selectors.MAX_DASHBOARD_DAYS:
        raise ReportError("period_too_long", _("The period may be at most three years."), field="date_from")
    filters = selectors.DashboardFilters(
        date_from=date_from, date_to=date_to, organization_id=query.organization_id,
        territory_id=query.territory_id, category_id=query.category_id, regime=query.regime,
        min_volume=max(query.min_volume, 0),
    )
    result: dict[str, Any] = _jsonable(selectors.dashboard(user, filters))
    return result


@router.get("/reports", response={200: list[ReportItemOut], 403: ErrorOut})
def reports(request: HttpRequest, kind: str | None = None,
            year: Annotated[int | None, Field(ge=1, le=9999)] = None) -> list[Any]:
    queryset = selectors.visible_reports(_user(request))
    if kind:
        queryset = queryset.filter(kind=kind)
    if year:
        queryset = queryset.filter(period_start__year=year)
    return list(queryset[:500])


@router.post("/reports", response={202: JobOut, 400: ErrorOut, 403: ErrorOut})
def request_report(request: HttpRequest, body: ReportIn) -> Status[dict[str, Any]]:
    job = services.report_request(user=_user(request), kind=body.kind, day=body.day,
                                  organization_id=body.organization_id, replace=body.replace)
    return Status(202, _job(job))


def _report(request: HttpRequest, report_id: int) -> Any:
    report = selectors.report_for_user(_user(request), report_id)
    if report is None:
        raise ReportError("not_found", _("Report not found."), status=404)
    return report


@router.get("/reports/{report_id}", response={200: dict[str, Any], 404: ErrorOut, 403: ErrorOut})
def report_detail(request: HttpRequest, report_id: int) -> dict[str, Any]:
    report = _report(request, report_id)
    return {"id": report.pk, "kind": report.kind, "generated_at": report.generated_at.isoformat(), "data": report.data}


@router.get("/reports/{report_id}/xlsx", response={404: ErrorOut, 403: ErrorOut})
def report_xlsx(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id)
    response = HttpResponse(bytes(report.xlsx), content_type=services.XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="report-{report.pk}.xlsx"'
    return response


@router.get("/reports/{report_id}/pdf", response={404: ErrorOut, 403: ErrorOut})
def report_pdf(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id)
    response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="report-{report.pk}.pdf"'
    return response


@router.get("/jobs/{job_id}", response={200: JobOut, 404: ErrorOut, 403: ErrorOut})
def job_detail(request: HttpRequest, job_id: int) -> dict[str, Any]:
    job = selectors.visible_jobs(_user(request)).filter(pk=job_id).first()
    if job is None:
        raise ReportError("not_found", _("Job not found."), status=404)
    return _job(job)


def _decision(decision: Any) -> dict[str, Any]:
    return {"id": decision.pk, "measure": decision.measure, "measure_label": str(Measure(decision.measure).label),
            "person": _person(decision.person), "note": decision.note, "decided_by": _person(decision.decided_by),
            "decided_at": decision.decided_at, "decided_as": decision.decided_as,
            "decided_as_label": str(decision.get_decided_as_display())}


@router.get("/breaches", response={200: list[BreachOut], 403: ErrorOut})
def breaches(request: HttpRequest, organization_id: int | None = None, undecided: bool = False,
             date_from: dt.date | None = None, date_to: dt.date | None = None,
             limit: Annotated[int, Field(ge=1, le=1000)] = 200,
             offset: Annotated[int, Field(ge=0, le=1_000_000)] = 0) -> list[dict[str, Any]]:
    user = _user(request)
    rows = list(selectors.visible_breaches(user, organization_id=organization_id, undecided=undecided,
                                           date_from=date_from, date_to=date_to)[offset:offset + min(limit, 1000)])
    decisions = selectors.decisions_by_breach([row.pk for row in rows])
    return [
        {"id": row.pk, "appeal_id": row.appeal_id, "appeal_number": row.appeal.number,
         "organization_id": row.organization_id, "organization": str(row.organization) if row.organization else None,
         "stage": row.stage, "due_at": row.due_at, "detected_at": row.detected_at,
         "people": [_person(person) for person in services.breach_people(row)],
         "decisions": [_decision(d) for d in decisions.get(row.pk, [])],
         "may_record": selectors.measure_role(user, row.organization_id) is not None}
        for row in rows
    ]


@router.post("/breaches/{breach_id}/decisions", response={201: DecisionOut, 400: ErrorOut, 403: ErrorOut,
                                                          404: ErrorOut})
def decide(request: HttpRequest, breach_id: int, body: DecisionIn) -> Status[dict[str, Any]]:
    decision = services.breach_decide(breach_id=breach_id, user=_user(request), measure=body.measure,
                                      person_id=body.person_id, note=body.note)
    return Status(201, _decision(decision))


@router.put("/sstu/results/{appeal_id}", response={200: dict[str, Any], 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def sstu_result(request: HttpRequest, appeal_id: int, body: SstuResultIn) -> dict[str, Any]:
    content = None
    if body.attachment_base64:
        try:
            content = base64.b64decode(body.attachment_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ReportError("invalid_attachment", _("The answer file is not valid base64."),
                              field="attachment_base64") from None
    row = services.sstu_result_record(appeal_id=appeal_id, user=_user(request), result=body.result,
                                      actions_taken=body.actions_taken, attachment_name=body.attachment_name,
                                      attachment=content)
    return {"appeal_id": row.appeal_id, "result": row.result, "actions_taken": row.actions_taken,
            "recorded_at": row.recorded_at.isoformat()}


@router.post("/sstu/exports", response={202: JobOut, 400: ErrorOut, 403: ErrorOut})
def sstu_export(request: HttpRequest, body: SstuExportIn) -> Status[dict[str, Any]]:
    job = services.sstu_export_request(user=_user(request), day=body.day, organization_id=body.organization_id,
                                       push=body.push)
    return Status(202, _job(job))


def _export(export: Any) -> dict[str, Any]:
    return {"id": export.pk, "period_start": export.period_start, "period_end": export.period_end,
            "organization_id": export.organization_id, "created_at": export.created_at, "exported": export.exported,
            "refused": export.refused, "pushed": export.pushed, "errors": export.errors,
            "push_errors": export.push_errors,
            "parts": list(export.parts.values("number", "size", "files"))}


@router.get("/sstu/exports", response={200: list[SstuExportOut], 403: ErrorOut})
def sstu_exports(request: HttpRequest) -> list[dict[str, Any]]:
    return [_export(export) for export in selectors.visible_exports(_user(request))[:100]]


@router.get("/sstu/exports/{export_id}", response={200: SstuExportOut, 403: ErrorOut, 404: ErrorOut})
def sstu_export_detail(request: HttpRequest, export_id: int) -> dict[str, Any]:
    export = selectors.visible_exports(_user(request)).filter(pk=export_id).first()
    if export is None:
        raise ReportError("not_found", _("Export not found."), status=404)
    return _export(export)


@router.get("/sstu/exports/{export_id}/parts/{number}", response={403: ErrorOut, 404: ErrorOut})
def sstu_part(request: HttpRequest, export_id: int, number: int) -> HttpResponse:
    found = selectors.visible_export_part(_user(request), export_id, number)
    if found is None:
        raise ReportError("not_found", _("Export not found."), status=404)
    export, part = found
    services.sstu_part_downloaded(user=_user(request), export=export)
    response = HttpResponse(bytes(part.content), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="sstu-{export_id}-{number:03d}.zip"'
    return response


@router.get("/sstu/monitoring", response={200: list[MonitoringOut], 403: ErrorOut})
def sstu_monitoring(request: HttpRequest, month: dt.date | None = None) -> list[dict[str, Any]]:
    day = month or timezone.localdate()
    return services.sstu_monitoring(user=_user(request), day=day)


@router.get("/sstu/authorised", response={200: list[SstuAuthorisedOut], 403: ErrorOut})
def sstu_authorised(request: HttpRequest) -> list[dict[str, Any]]:
    """The persons authorised for the SSTU.RF section per organisation, as the registry holds them."""
    return selectors.sstu_authorised_persons(_user(request))
