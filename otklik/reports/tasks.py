"""Background work of reports. Workers because reports read much and render files (seconds to
minutes), and e-mail is slow and may fail; the rollup update is periodic and idempotent, so a lost
or doubled run does no harm. When the periodic ones run is written in core/tasks.py."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.utils.translation import gettext as _
from django_tasks import task

from otklik.accounts.models import User
from otklik.reports import services
from otklik.reports.models import Job
from otklik.reports.rollup import rollup_update

log = logging.getLogger(__name__)


@task()
def update_rollups() -> None:
    rollup_update()


@task()
def generate_due_reports() -> None:
    # Runs several times in the first hours of every day: the first run after a month ends makes
    # the reports (well before the 3rd), the others find them made and do nothing.
    services.reports_generate_due()


@task()
def deliver_report(report_id: int) -> int:
    return services.report_deliver(report_id=report_id)


@task()
def retry_report_deliveries() -> int:
    """Deliver again what a lost task, a failed send or a killed worker left undelivered."""
    due = services.reports_with_undelivered()
    for report_id in due:
        deliver_report.enqueue(report_id)
    return len(due)


def _user(job: Job) -> User | None:
    return User.objects.filter(pk=job.requested_by_id).first() if job.requested_by_id else None


def _run(job_id: int, work: Any) -> dict[str, Any]:
    job = Job.objects.get(pk=job_id)
    services.job_progress(job_id, 1, _("Started"))
    try:
        result: dict[str, Any] = work(job)
    except Exception as exc:
        log.exception("report job %s failed", job_id)
        services.job_finish(job_id, error=str(getattr(exc, "message", exc)))
        raise
    services.job_finish(job_id, result=result)
    return result


@task()
def run_report_job(job_id: int) -> dict[str, Any]:
    def work(job: Job) -> dict[str, Any]:
        services.job_progress(job.pk, 10, _("Bringing the figures up to date"))
        rollup_update()
        services.job_progress(job.pk, 50, _("Computing the figures and making the files"))
        report = services.report_generate(
            kind=job.params["kind"], day=dt.date.fromisoformat(job.params["day"]),
            organization_id=job.params.get("organization_id") or 0, user=_user(job),
            replace=bool(job.params.get("replace")),
        )
        return {"report_id": report.pk}

    return _run(job_id, work)


@task()
def run_sstu_export_job(job_id: int) -> dict[str, Any]:
    def work(job: Job) -> dict[str, Any]:
        export = services.sstu_export_run(
            day=dt.date.fromisoformat(job.params["day"]), organization_id=job.params.get("organization_id") or 0,
            user=_user(job), push=bool(job.params.get("push")),
            progress=lambda percent, message: services.job_progress(job.pk, percent, message),
        )
        return {"export_id": export.pk, "exported": export.exported, "refused": export.refused}

    return _run(job_id, work)


@task()
def run_rollup_job(job_id: int) -> dict[str, Any]:
    def work(job: Job) -> dict[str, Any]:
        result = rollup_update(progress=lambda done: services.job_progress(
            job.pk, 50, _("%(n)s events folded") % {"n": done}))
        return {"events": result.events, "breaches": result.breaches}

    return _run(job_id, work)
