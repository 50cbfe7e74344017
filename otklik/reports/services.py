"""Every write of the reports domain: frozen reports and their delivery, jobs and their progress,
the disciplinary register, SSTU results and exports. Each records who acted and when."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.models import Membership, Role, User
from otklik.accounts.permissions import capacities
from otklik.appeals.lifecycle import Action, Regime, State
from otklik.appeals.models import Appeal, AppealEvent, DeadlineBreach, PersonalDataAccess
from otklik.appeals.services import AppealError, personal_data_access_record
from otklik.core.replica import REPLICA, replica_reads, replica_usable
from otklik.registry.models import Organization
from otklik.reports import aggregates as agg
from otklik.reports import documents, sstu
from otklik.reports.figures import report_figures
from otklik.reports.models import (
    COUNTERS,
    AppealFact,
    DailyRollup,
    DisciplinaryDecision,
    DurationRollup,
    Job,
    Measure,
    MonthlyRollup,
    Report,
    ReportDelivery,
    ReportKind,
    ReportRecipient,
    RollupCursor,
    SstuExport,
    SstuExportPart,
    SstuExportState,
    SstuResult,
    SstuSettings,
)
from otklik.reports.rollup import rollup_update
from otklik.reports.selectors import ReportScope, measure_role, report_scope, visible_breaches

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_DELIVERY_ATTEMPTS = 5
# Considered statuses the head may record a result for.
RESULT_STATES = frozenset({State.ANSWERED, State.CLOSED})


class ReportError(AppealError):
    """A refused reports action; the API answers it like any AppealError."""


def _fail(code: str, message: str, *, field: str | None = None, status: int = 400) -> ReportError:
    return ReportError(code, message, field=field, status=status)


def _period(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    return agg.quarter_of(day) if kind == ReportKind.QUARTERLY_SOCIAL else agg.month_of(day)


def _check_may_report(user: User | None, organization_id: int) -> None:
    if user is None:
        return
    scope = report_scope(user)
    if not (scope.region_wide or (organization_id and organization_id in scope.organization_ids)):
        raise _fail("forbidden", _("You may not make this report."), status=403)


# --- frozen reports ---------------------------------------------------------------------------------


def report_generate(*, kind: str, day: dt.date, organization_id: int = 0, user: User | None = None,
                    now: dt.datetime | None = None, replace: bool = False) -> Report:
    """Freeze the report of the period that contains ``day``. A report that exists is returned as
    it is: it was sent, and later edits of appeals must not change it. ``replace`` (an explicit
    regeneration by a region-wide user) discards it and freezes the figures again."""
    if kind not in ReportKind.values:
        raise _fail("invalid_kind", _("Unknown kind of report."), field="kind")
    _check_may_report(user, organization_id)
    if organization_id and not Organization.objects.filter(pk=organization_id).exists():
        raise _fail("not_found", _("Organisation not found."), field="organization", status=404)
    now = now or timezone.now()
    start, end = _period(kind, day)
    if end >= timezone.localdate(now):
        # A frozen report of a period still running would stand in for the real one later.
        raise _fail("period_not_over", _("The period is not over yet: its report is made after it ends; "
                                         "the dashboard shows the figures so far."), field="period")
    existing = Report.objects.filter(kind=kind, period_start=start, organization_id=organization_id).first()
    if existing is not None and not replace:
        return existing
    if replace and user is not None and not report_scope(user).region_wide:
        raise _fail("forbidden", _("Only the region's coordinators may make a report again."), status=403)
    data = _frozen_figures(kind, start, end, organization_id)
    data["generated_at"] = timezone.localtime(now).strftime("%d.%m.%Y %H:%M")
    xlsx = documents.render_xlsx(data)
    pdf = documents.render_pdf(data)
    with transaction.atomic():
        if existing is not None:
            existing.delete()
        try:
            with transaction.atomic():  # a savepoint: the transaction stays usable after a conflict
                report = Report.objects.create(
                    kind=kind, period_start=start, period_end=end, organization_id=organization_id,
                    organization_name=data["organization"], data=data, xlsx=xlsx, pdf=pdf, generated_at=now,
                    generated_by=user,
                )
        except IntegrityError:  # another worker froze it first: theirs stands
            found = Report.objects.filter(kind=kind, period_start=start, organization_id=organization_id).first()
            if found is None:
                raise
            return found
        transaction.on_commit(lambda: _enqueue_delivery(report.pk))
    return report


def _frozen_figures(kind: str, start: dt.date, end: dt.date, organization_id: int) -> dict[str, Any]:
    """The report's figures, from the read replica once it has folded the logs as far as the primary
    has. A frozen report is sent and kept as it is, and its job has just brought the rollups up to date
    on the primary: a replica a few seconds behind would leave that fold out of it for good."""
    if replica_usable() and _replica_has_folded(wait=REPLICA_CATCH_UP_SECONDS):
        with replica_reads():
            return report_figures(kind, start, end, organization_id)
    return report_figures(kind, start, end, organization_id)


# How long a frozen report waits for the replica to catch up before it reads the primary instead.
REPLICA_CATCH_UP_SECONDS = 5.0


def _replica_has_folded(*, wait: float) -> bool:
    target = dict(RollupCursor.objects.using(DEFAULT_DB_ALIAS).values_list("name", "last_id"))
    deadline = time.monotonic() + wait
    while True:
        there = dict(RollupCursor.objects.using(REPLICA).values_list("name", "last_id"))
        if all(there.get(name, 0) >= last_id for name, last_id in target.items()):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


def _enqueue_delivery(report_id: int) -> None:
    from otklik.reports.tasks import deliver_report

    deliver_report.enqueue(report_id)


def report_recipients(report: Report) -> list[str]:
    queryset = ReportRecipient.objects.filter(is_active=True)
    queryset = queryset.filter(organization_id=report.organization_id) if report.organization_id else \
        queryset.filter(organization__isnull=True)
    return sorted({r.email for r in queryset if not r.kinds or report.kind in r.kinds})


def _report_message_id(delivery: ReportDelivery) -> str:
    """The same for every attempt at one delivery: a repeated send of one that did arrive is recognised."""
    domain = settings.SITE_URL.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "otklik"
    return f"<report-delivery-{delivery.pk}@{domain}>"


def report_deliver(*, report_id: int, now: dt.datetime | None = None) -> int:
    """E-mail the report to its recipients; each address once, whatever the retries. A delivery is
    claimed with a lease and marked sent only after the send: a worker killed mid-send leaves the
    lease to run out and the next run sends it again, with the same Message-ID."""
    now = now or timezone.now()
    lease = dt.timedelta(seconds=settings.NOTICE_LEASE_SECONDS)
    report = Report.objects.get(pk=report_id)
    sent = 0
    for email in report_recipients(report):
        delivery, _created = ReportDelivery.objects.get_or_create(report=report, email=email)
        free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
        claimed = ReportDelivery.objects.filter(
            free, pk=delivery.pk, sent_at__isnull=True, attempts__lt=MAX_DELIVERY_ATTEMPTS
        ).update(claimed_until=now + lease, attempts=F("attempts") + 1)
        if not claimed:
            continue
        title = documents.report_title(report.data)
        message = EmailMessage(
            subject=title,
            body=_("The report is attached in two formats: a spreadsheet and a PDF document."),
            from_email=settings.DEFAULT_FROM_EMAIL, to=[email], headers={"Message-ID": _report_message_id(delivery)},
        )
        stem = f"report-{report.kind}-{report.period_start:%Y-%m}-{report.organization_id or 'region'}"
        message.attach(f"{stem}.xlsx", bytes(report.xlsx), XLSX_TYPE)
        message.attach(f"{stem}.pdf", bytes(report.pdf), "application/pdf")
        try:
            message.send()
        except Exception as exc:
            ReportDelivery.objects.filter(pk=delivery.pk).update(claimed_until=None, last_error=str(exc)[:2000])
            raise
        ReportDelivery.objects.filter(pk=delivery.pk).update(sent_at=timezone.now(), claimed_until=None,
                                                              last_error="")
        sent += 1
    return sent


def reports_with_undelivered(*, now: dt.datetime | None = None, days: int = 7) -> list[int]:
    """Recent reports some recipient has not received yet: their task was lost, failed or its worker
    died. The periodic retry delivers them again."""
    now = now or timezone.now()
    recent = Report.objects.filter(generated_at__gte=now - dt.timedelta(days=days))
    due: list[int] = []
    for report in recent.only("pk", "kind", "organization_id"):
        done = set(ReportDelivery.objects.filter(report=report).filter(
            Q(sent_at__isnull=False) | Q(attempts__gte=MAX_DELIVERY_ATTEMPTS) | Q(claimed_until__gte=now)
        ).values_list("email", flat=True))
        if set(report_recipients(report)) - done:
            due.append(report.pk)
    return due


def reports_generate_due(*, now: dt.datetime | None = None) -> list[Report]:
    """After a month ends: the region's report and one per organisation with activity (by the 3rd,
    doc 004); after a quarter ends: the report on messages from open sources (doc 003). Idempotent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    last_month_day = today.replace(day=1) - dt.timedelta(days=1)
    plan = [(ReportKind.MONTHLY.value, last_month_day)]
    quarter_start, _end = agg.quarter_of(today)
    if today.month == quarter_start.month:  # the first month of a quarter: the previous quarter is over
        plan.append((ReportKind.QUARTERLY_SOCIAL.value, quarter_start - dt.timedelta(days=1)))
    rollup_update()
    made = []
    for kind, day in plan:
        region = report_generate(kind=kind, day=day, now=now)
        made.append(region)
        org_ids = {row["organization_id"] for section in region.data["sections"].values()
                   for row in section["rows"] if row["organization_id"]}
        org_ids |= set(ReportRecipient.objects.filter(is_active=True, organization__isnull=False)
                       .values_list("organization_id", flat=True))
        for org_id in sorted(org_ids):
            made.append(report_generate(kind=kind, day=day, organization_id=org_id, now=now))
    return made


# --- jobs ---------------------------------------------------------------------------------------------


def job_create(*, kind: str, params: dict[str, Any], user: User | None, now: dt.datetime | None = None) -> Job:
    job = Job.objects.create(kind=kind, params=params, requested_by=user, created_at=now or timezone.now())
    from otklik.reports import tasks

    runner = {Job.Kind.REPORT: tasks.run_report_job, Job.Kind.SSTU_EXPORT: tasks.run_sstu_export_job,
              Job.Kind.ROLLUP: tasks.run_rollup_job}[Job.Kind(kind)]
    transaction.on_commit(lambda: runner.enqueue(job.pk))
    return job


def job_progress(job_id: int, progress: int, message: str = "") -> None:
    # A plain UPDATE outside the job's own work, so the page that polls sees it at once.
    Job.objects.filter(pk=job_id).update(status=Job.Status.RUNNING, progress=max(0, min(progress, 100)),
                                         message=message[:500])


def job_finish(job_id: int, *, result: dict[str, Any] | None = None, error: str = "") -> None:
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.FAILED if error else Job.Status.DONE, progress=100 if not error else F("progress"),
        message=error[:500], result=result or {}, finished_at=timezone.now(),
    )


def report_request(*, user: User, kind: str, day: dt.date, organization_id: int = 0, replace: bool = False) -> Job:
    """Ask for a report in the background; the job page shows its progress."""
    if kind not in ReportKind.values:
        raise _fail("invalid_kind", _("Unknown kind of report."), field="kind")
    _check_may_report(user, organization_id)
    return job_create(kind=Job.Kind.REPORT, user=user, params={
        "kind": kind, "day": day.isoformat(), "organization_id": organization_id, "replace": replace})


# --- the disciplinary register --------------------------------------------------------------------------


def breach_people(breach: DeadlineBreach) -> list[User]:
    """Who held the appeal when the deadline was missed: its executor and coordinator, and the heads
    of the organisation (they approve answers and answer for the organisation)."""
    ids = {pk for pk in (breach.executor_id, breach.coordinator_id) if pk}
    if breach.organization_id:
        ids |= set(Membership.objects.filter(organization_id=breach.organization_id, role=Role.HEAD)
                   .values_list("user_id", flat=True))
    return list(User.objects.filter(pk__in=ids).order_by("last_name", "first_name", "username"))


def breach_decide(*, breach_id: int, user: User, measure: str, person_id: int | None = None, note: str = "",
                  now: dt.datetime | None = None) -> DisciplinaryDecision:
    """Record the measure taken for a breach (seed 004 §4): a measure for a person who held the appeal,
    a meeting for the organisation, or that no measure is due. The head of the breach's organisation
    records it for their organisation, the regional coordinator for every organisation."""
    if not visible_breaches(user).filter(pk=breach_id).exists():
        raise _fail("not_found", _("Deadline breach not found."), status=404)
    if measure not in Measure.values:
        raise _fail("measure_required", _("Choose a measure or say that none is due."), field="measure")
    note = (note or "").strip()
    if "\x00" in note:
        raise _fail("invalid_text", _("The text contains a forbidden character."), field="note")
    with transaction.atomic():
        breach = DeadlineBreach.objects.select_for_update().filter(pk=breach_id, internal=False).first()
        if breach is None:
            raise _fail("not_found", _("Deadline breach not found."), status=404)
        decided_as = measure_role(user, breach.organization_id)
        if decided_as is None:
            raise _fail("forbidden", _("The head of the organisation records the measures for its breaches; the "
                                       "regional coordinator for every organisation."), status=403)
        person = None
        if person_id is not None:
            person = next((p for p in breach_people(breach) if p.pk == person_id), None)
            if person is None:
                raise _fail("not_a_holder", _("This person did not hold the appeal."), field="person")
        elif measure in (Measure.REPRIMAND, Measure.REMARK, Measure.BONUS_LOSS):
            raise _fail("person_required", _("Choose the person the measure applies to."), field="person")
        if measure == Measure.OTHER and not note:
            raise _fail("note_required", _("Describe the measure."), field="note")
        return DisciplinaryDecision.objects.create(
            breach=breach, person=person, measure=measure, note=note, decided_by=user,
            decided_at=now or timezone.now(), decided_as=decided_as,
        )


# --- SSTU.RF --------------------------------------------------------------------------------------------


def sstu_result_record(*, appeal_id: int, user: User, result: str, actions_taken: bool = False,
                       attachment_name: str = "", attachment: bytes | None = None,
                       now: dt.datetime | None = None) -> SstuResult:
    """The head records how a 59-FZ appeal was considered (explained, supported, not supported)."""
    if result not in SstuResult.Result.values:
        raise _fail("result_required", _("Choose the result of consideration."), field="result")
    if attachment is not None and len(attachment) >= sstu.MAX_ATTACHMENT_BYTES:
        raise _fail("attachment_too_large", _("The answer file must be under 10,000,000 bytes."), field="attachment")
    now = now or timezone.now()
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().filter(pk=appeal_id).first()
        if appeal is None:
            raise _fail("not_found", _("Appeal not found."), status=404)
        caps = capacities(user, at=now)
        is_head = any(cap.role == Role.HEAD and cap.organization_id == appeal.organization_id for cap in caps)
        if not (is_head or any(cap.role == Role.REGIONAL_COORDINATOR for cap in caps)):
            raise _fail("forbidden", _("Only the head of the organisation records the result."), status=403)
        if appeal.regime != Regime.FZ59:
            raise _fail("not_fz59", _("Results are reported to SSTU.RF only for appeals under 59-FZ."))
        if appeal.state not in RESULT_STATES:
            raise _fail("not_answered", _("Record the result once the appeal is answered."))
        row, _created = SstuResult.objects.update_or_create(appeal=appeal, defaults={
            "result": result,
            "actions_taken": bool(actions_taken) and result == SstuResult.Result.SUPPORTED,
            "recorded_by": user,
            "recorded_at": now,
        })
        if attachment is not None:
            row.attachment = attachment
            row.attachment_name = attachment_name or f"answer-{appeal.number}"
            row.save(update_fields=["attachment", "attachment_name"])
        return row


def sstu_export_request(*, user: User, day: dt.date, organization_id: int = 0, push: bool = False) -> Job:
    scope = report_scope(user)
    if not (scope.region_wide or (organization_id and organization_id in scope.organization_ids)):
        raise _fail("forbidden", _("You may not export this organisation's appeals."), status=403)
    return job_create(kind=Job.Kind.SSTU_EXPORT, user=user, params={
        "day": day.isoformat(), "organization_id": organization_id, "push": push})


def sstu_export_run(*, day: dt.date, organization_id: int = 0, user: User | None = None, push: bool = False,
                    now: dt.datetime | None = None, progress: Any = None) -> SstuExport:
    """Export every 59-FZ appeal received by the end of the month of ``day`` whose current status
    has not reached SSTU.RF; refused appeals are listed with their errors and stay pending."""
    now = now or timezone.now()
    start, end = agg.month_of(day)
    settings_row = sstu.sstu_settings()
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=timezone.get_current_timezone())
    queryset = Appeal.objects.filter(received_at__lt=until)
    if organization_id:
        # The organisation reports what it holds and what it redirected to another one of the platform.
        redirected = AppealEvent.objects.filter(action=Action.REDIRECT,
                                                payload__from_organization_id=organization_id).values("appeal_id")
        queryset = queryset.filter(Q(organization_id=organization_id) | Q(pk__in=redirected))
    appeals = sstu.pending(queryset).select_related("organization", "category__classifier_code").order_by("id")
    total = appeals.count()

    def step(done: int) -> None:
        if progress is not None and total:
            message = _("Checked %(done)s of %(total)s appeals") % {"done": done, "total": total}
            progress(int(80 * done / total), message)

    outcome = sstu.build_export(appeals.iterator(chunk_size=1000), part_limit=settings_row.part_size_bytes,
                                keep_requests=push, progress=step, organization_id=organization_id)
    pushed, push_errors = 0, []
    if push:
        if not settings_row.connector_url:
            push_errors = [{"appeal_id": None, "error": _("The connector URL is not set.")}]
        else:
            pushed, push_errors = sstu.push(settings_row.connector_url, outcome.requests,
                                            timeout=settings_row.timeout_seconds)
    with transaction.atomic():
        export = SstuExport.objects.create(
            period_start=start, period_end=end, organization_id=organization_id, created_at=now, created_by=user,
            exported=len(outcome.exported) + len(outcome.forwarded), refused=len(outcome.errors),
            errors=outcome.errors, pushed=pushed,
            push_errors=push_errors,
        )
        SstuExportPart.objects.bulk_create([
            SstuExportPart(export=export, number=number, content=content, size=len(content), files=files)
            for number, (content, files) in enumerate(outcome.parts, start=1)
        ])
        failed_push = {item["appeal_id"] for item in push_errors}
        done = [(appeal_id, status) for appeal_id, status in outcome.exported
                if not push or appeal_id not in failed_push]
        SstuExportState.objects.filter(appeal_id__in=[appeal_id for appeal_id, _status in done]).delete()
        SstuExportState.objects.bulk_create([
            SstuExportState(appeal_id=appeal_id, status=status, exported_at=now, export=export)
            for appeal_id, status in done
        ], batch_size=1000)
    return export


def sstu_part_downloaded(*, user: User, export: SstuExport) -> None:
    """A part of an SSTU.RF export carries applicants' names and addresses: downloading it opens their data,
    recorded for the privacy officer for each appeal the export carried."""
    appeals = list(Appeal.objects.filter(sstu_export_state__export=export).only("id", "organization_id"))
    personal_data_access_record(user=user, appeals=appeals, where=PersonalDataAccess.Where.EXPORT)


def sstu_monitoring(*, user: User, day: dt.date) -> list[dict[str, Any]]:
    """Per organisation, the 59-FZ appeals whose status changed in the month: how many reached
    SSTU.RF and how many did not yet (doc 000: monthly monitoring)."""
    scope = report_scope(user)
    with replica_reads():  # counts of a report: the replica may be seconds behind
        return _sstu_monitoring_rows(scope, day)


def _sstu_monitoring_rows(scope: ReportScope, day: dt.date) -> list[dict[str, Any]]:
    start, end = agg.month_of(day)
    tz = timezone.get_current_timezone()
    low = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    base = Appeal.objects.filter(regime=Regime.FZ59, state_changed_at__gte=low, state_changed_at__lt=high)
    if not scope.region_wide:
        base = base.filter(organization_id__in=sorted(scope.organization_ids))
    totals = {row["organization_id"]: row["n"] for row in base.values("organization_id").annotate(n=Count("id"))
              .order_by()}
    waiting = {row["organization_id"]: row["n"] for row in sstu.pending(base).values("organization_id")
               .annotate(n=Count("id")).order_by()}
    no_guid = set(Organization.objects.filter(pk__in=[k for k in totals if k]).filter(
        Q(sstu_department_guid="")).values_list("pk", flat=True))
    names = agg.names(Organization, totals)
    rows = [
        {"organization_id": org or 0, "organization": names.get(org or 0, "") or _("Not routed yet (moderation)"),
         "total": n, "pending": waiting.get(org, 0), "exported": n - waiting.get(org, 0),
         "no_guid": (org in no_guid)}
        for org, n in totals.items()
    ]
    rows.sort(key=lambda row: (-row["pending"], row["organization"]))
    return rows


def sstu_settings_create_default() -> SstuSettings:
    """The one row of SSTU.RF connection settings, made on first use."""
    row, _created = SstuSettings.objects.get_or_create(pk=1)
    return row


# --- rollups ------------------------------------------------------------------------------------------
# The rollups (AppealFact, DailyRollup, MonthlyRollup, DurationRollup and their cursors) are derived
# tables, folded by ``reports.rollup`` from the append-only logs (AppealEvent, DeadlineBreach), which
# are the events. Their writes record no event of their own: that would log the log, and
# ``rollup_rebuild`` makes the same tables again from the logs at any time. A whole batch of log rows
# is written at once, in the fold's transaction.

DAILY_KEY = ("day", "organization_id", "category_id", "territory_id", "channel", "regime")
FACT_FIELDS = ("organization_id", "category_id", "territory_id", "channel", "regime", "state", "received_at",
               "term_started_at", "first_reply_at")


def _upsert(table: str, key_cols: Sequence[str], cols: Sequence[str], rows: Iterable[Sequence[Any]],
            *, add: bool, chunk: int = 400) -> None:
    """INSERT … ON CONFLICT DO UPDATE (PostgreSQL and SQLite alike): counters are added to the stored
    ones, or (add=False) replace them."""
    all_cols = [*key_cols, *cols]
    qn = connection.ops.quote_name
    if add:
        updates = ", ".join(f"{qn(c)} = {qn(table)}.{qn(c)} + excluded.{qn(c)}" for c in cols)
    else:
        updates = ", ".join(f"{qn(c)} = excluded.{qn(c)}" for c in cols)
    head = (f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in all_cols)}) VALUES ")
    tail = f" ON CONFLICT ({', '.join(qn(c) for c in key_cols)}) DO UPDATE SET {updates}"
    placeholder = "(" + ", ".join(["%s"] * len(all_cols)) + ")"
    batch: list[Sequence[Any]] = []

    def flush() -> None:
        if not batch:
            return
        params = [value for row in batch for value in row]
        with connection.cursor() as cursor:
            cursor.execute(head + ", ".join([placeholder] * len(batch)) + tail, params)
        batch.clear()

    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            flush()
    flush()


def rollup_cursor_lock(*, name: str) -> RollupCursor:
    """The cursor of one log, locked for the batch: two processors serialise on it."""
    RollupCursor.objects.get_or_create(name=name)
    return RollupCursor.objects.select_for_update().get(name=name)


def rollup_apply(
    *, cursor: RollupCursor, daily: Mapping[tuple[Any, ...], Mapping[str, int]],
    durations: Mapping[tuple[Any, ...], int], facts: Iterable[AppealFact] = (),
) -> None:
    """Add a folded batch to the rollups: counter changes by (day, organisation, category, territory,
    channel, regime) — the month's row gets the same —, duration buckets, the appeals' facts as they
    now stand, and the cursor moved past the batch (all in the caller's transaction)."""
    adapt_day = connection.ops.adapt_datefield_value
    if daily:
        monthly: dict[tuple[Any, ...], dict[str, int]] = {}
        for key, counters in daily.items():
            into = monthly.setdefault((key[0].replace(day=1), *key[1:]), {})
            for name, value in counters.items():
                into[name] = into.get(name, 0) + value
        for model, rows in ((DailyRollup, daily), (MonthlyRollup, monthly)):
            _upsert(
                model._meta.db_table, DAILY_KEY, COUNTERS,
                ([adapt_day(key[0]), *key[1:], *(counters.get(name, 0) for name in COUNTERS)]
                 for key, counters in rows.items() if any(counters.values())),
                add=True,
            )
    if durations:
        _upsert(
            DurationRollup._meta.db_table, (*DAILY_KEY, "metric", "bucket"), ("count",),
            ([adapt_day(key[0]), *key[1:], count] for key, count in durations.items()),
            add=True,
        )
    adapt_moment = connection.ops.adapt_datetimefield_value
    fact_rows = []
    for fact in facts:
        values: list[Any] = [fact.appeal_id]
        for name in FACT_FIELDS:
            value = getattr(fact, name)
            values.append(adapt_moment(value) if isinstance(value, dt.datetime) else value)
        fact_rows.append(values)
    if fact_rows:
        _upsert(AppealFact._meta.db_table, ("appeal_id",), FACT_FIELDS, fact_rows, add=False, chunk=300)
    cursor.save()


def rollup_clear() -> None:
    """Throw the rollups and their cursors away, before folding the whole history again."""
    with transaction.atomic():
        DailyRollup.objects.all().delete()
        MonthlyRollup.objects.all().delete()
        DurationRollup.objects.all().delete()
        AppealFact.objects.all().delete()
        RollupCursor.objects.all().delete()
