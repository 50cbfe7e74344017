"""Reports: rollups kept up to date from the event log, frozen monthly and quarterly reports, the
disciplinary register, the SSTU.RF export, background jobs with progress.

Rollups are derived data: dimension ids are plain integers (0 = none) rather than foreign keys, so
a unique key can hold "no organisation" (NULLs are never equal in a unique index) and deleting
reference data never cascades into history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from otklik.appeals.lifecycle import Regime


class RollupCursor(models.Model):
    """How far the rollup processor has read the append-only logs. One row per log."""

    name = models.CharField(max_length=32, primary_key=True)
    last_id = models.BigIntegerField(default=0)
    # When the processor first met a hole in the ids just after last_id: a transaction that took an
    # id may still be committing. A hole older than the wait is a rollback and is stepped over.
    gap_seen_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_id}"


class AppealFact(models.Model):
    """What the rollup processor knows of one appeal after the events it has folded so far."""

    appeal_id = models.BigIntegerField(primary_key=True)
    organization_id = models.IntegerField(default=0)
    category_id = models.IntegerField(default=0)
    territory_id = models.IntegerField(default=0)
    channel = models.CharField(max_length=16)
    regime = models.CharField(max_length=8)
    state = models.CharField(max_length=24)
    received_at = models.DateTimeField()
    term_started_at = models.DateTimeField(null=True)
    first_reply_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.appeal_id} {self.state}"


COUNTERS = (
    "submitted",  # new appeals (organisation 0: not routed yet)
    "received",  # arrivals at an organisation: accepted, routed or redirected to it
    "answered",
    "answered_on_time",
    "answered_late",
    "answer_seconds",  # sum of times to answer, for the average
    "postponed",
    "extended",
    "redirected",  # left the organisation: redirected, returned to moderation
    "transferred",  # 59-FZ: forwarded outside the platform
    "rejected",
    "left_without_answer",
    "reconsidered",
    "closed",
    "open_delta",  # +1 when an appeal starts being held open here, -1 when it stops: sums give the backlog
    "rated",
    "rating_sum",
    "rated_low",
    "first_replies",  # social posts: the first reply (intermediate or final)
    "first_reply_seconds",
    "breaches",  # answer deadline missed
    "stage_breaches",  # a stage budget missed
)


class RollupCounters(models.Model):
    """The key and counters shared by the daily and the monthly rollup."""

    day = models.DateField()
    organization_id = models.IntegerField(default=0)
    category_id = models.IntegerField(default=0)
    territory_id = models.IntegerField(default=0)
    channel = models.CharField(max_length=16)
    regime = models.CharField(max_length=8)
    submitted = models.IntegerField(default=0)
    received = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    answered_on_time = models.IntegerField(default=0)
    answered_late = models.IntegerField(default=0)
    answer_seconds = models.BigIntegerField(default=0)
    postponed = models.IntegerField(default=0)
    extended = models.IntegerField(default=0)
    redirected = models.IntegerField(default=0)
    transferred = models.IntegerField(default=0)
    rejected = models.IntegerField(default=0)
    left_without_answer = models.IntegerField(default=0)
    reconsidered = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    open_delta = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    rating_sum = models.IntegerField(default=0)
    rated_low = models.IntegerField(default=0)
    first_replies = models.IntegerField(default=0)
    first_reply_seconds = models.BigIntegerField(default=0)
    breaches = models.IntegerField(default=0)
    stage_breaches = models.IntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.day} org {self.organization_id}"


class DailyRollup(RollupCounters):
    """Counters per local day × organisation × category × territory × channel × regime."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "organization_id", "category_id", "territory_id", "channel", "regime"],
                name="rollup_daily_key",
            )
        ]
        indexes = [models.Index(fields=["organization_id", "day"], name="rollup_daily_org_day")]


class MonthlyRollup(RollupCounters):
    """The same counters per month (``day`` is the month's first day): long periods read whole
    months here, several times fewer rows than the daily table, and only the edges from it."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "organization_id", "category_id", "territory_id", "channel", "regime"],
                name="rollup_monthly_key",
            )
        ]
        indexes = [models.Index(fields=["organization_id", "day"], name="rollup_monthly_org_day")]


class DurationRollup(models.Model):
    """Histogram of durations (time to answer, time to first reply) in fixed buckets, so a median
    for any filter is a cumulative sum over a few dozen buckets."""

    class Metric(models.TextChoices):
        ANSWER = "answer", _("time to answer")
        FIRST_REPLY = "first_reply", _("time to first reply")

    day = models.DateField()
    organization_id = models.IntegerField(default=0)
    category_id = models.IntegerField(default=0)
    territory_id = models.IntegerField(default=0)
    channel = models.CharField(max_length=16)
    regime = models.CharField(max_length=8)
    metric = models.CharField(max_length=16, choices=Metric.choices)
    bucket = models.SmallIntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "organization_id", "category_id", "territory_id", "channel", "regime", "metric",
                        "bucket"],
                name="rollup_duration_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.metric} {self.bucket}"


class ReportKind(models.TextChoices):
    MONTHLY = "monthly", _("monthly report")
    QUARTERLY_SOCIAL = "quarterly_social", _("quarterly report on messages from open sources")


class Report(models.Model):
    """A generated report: a frozen snapshot of figures and the files made from it. Later edits of
    appeals never change it; a new generation is a new row only when the old one is discarded."""

    kind = models.CharField(_("kind"), max_length=24, choices=ReportKind.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end (inclusive)"))
    # 0: the whole region; otherwise one organisation's report.
    organization_id = models.IntegerField(_("organisation"), default=0)
    organization_name = models.CharField(_("organisation"), max_length=500, blank=True)
    data = models.JSONField(_("figures"), default=dict)
    xlsx = models.BinaryField(_("XLSX file"), editable=False)
    pdf = models.BinaryField(_("PDF file"), editable=False)
    generated_at = models.DateTimeField(_("generated at"))
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("generated by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-period_start", "organization_id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "period_start", "organization_id"], name="report_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_start:%m.%Y} {self.organization_name}"


class ReportRecipient(models.Model):
    """Who gets reports by e-mail: a region-wide recipient (no organisation) gets the region's report,
    an organisation's recipient gets that organisation's report."""

    email = models.EmailField(_("e-mail"))
    organization = models.ForeignKey(
        "registry.Organization", verbose_name=_("organisation"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )
    kinds = models.JSONField(_("kinds of reports"), default=list, blank=True,
                             help_text=_("Empty: every kind."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("report recipient")
        verbose_name_plural = _("report recipients")
        constraints = [models.UniqueConstraint(fields=["email", "organization"], name="report_recipient_unique")]

    def __str__(self) -> str:
        return self.email


class ReportDelivery(models.Model):
    """One e-mail of one report to one address; unique, so a retried task never sends it twice. A worker
    holds it with a lease while it sends and marks it sent only after the send."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="deliveries")
    email = models.EmailField()
    sent_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "email"], name="report_delivery_once")]

    def __str__(self) -> str:
        return f"{self.report_id} → {self.email}"


class Job(models.Model):
    """A background report job and its progress, shown while it runs."""

    class Kind(models.TextChoices):
        REPORT = "report", _("report generation")
        SSTU_EXPORT = "sstu_export", _("SSTU.RF export")
        ROLLUP = "rollup", _("rollup update")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    params = models.JSONField(_("parameters"), default=dict)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress, %"), default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("report job")
        verbose_name_plural = _("report jobs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.status}"


class Measure(models.TextChoices):
    REPRIMAND = "reprimand", _("reprimand")
    REMARK = "remark", _("remark")
    BONUS_LOSS = "bonus_loss", _("loss of bonus payments")
    MEETING = "meeting", _("meeting held")
    OTHER = "other", _("other measure")
    NONE_DUE = "none_due", _("no measure due")


class DisciplinaryDecision(models.Model):
    """The measure taken for a deadline breach «мера дисциплинарной ответственности» (seed 004 §4): the
    head of the breach's organisation records it for their organisation, the regional coordinator for
    any. Append-only: a changed decision is a new row; the latest row per breach and person stands."""

    class DecidedAs(models.TextChoices):
        HEAD = "head", _("head of the organisation")
        REGIONAL_COORDINATOR = "regional_coordinator", _("regional coordinator")

    breach = models.ForeignKey(
        "appeals.DeadlineBreach", verbose_name=_("deadline breach"), on_delete=models.CASCADE,
        related_name="decisions",
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="disciplinary_decisions",
    )
    measure = models.CharField(_("measure"), max_length=16, choices=Measure.choices)
    note = models.TextField(_("note"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT, related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), db_index=True)
    decided_as = models.CharField(_("decided as"), max_length=32, choices=DecidedAs.choices,
                                  default=DecidedAs.REGIONAL_COORDINATOR)

    class Meta:
        verbose_name = _("disciplinary decision")
        verbose_name_plural = _("disciplinary register")
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"{self.breach_id} {self.measure}"


class SstuResult(models.Model):
    """The result of consideration of a 59-FZ appeal, recorded by the head for SSTU.RF reporting.
    The lifecycle knows "answered"; SSTU wants to know whether it was explained, supported or not."""

    class Result(models.TextChoices):
        EXPLAINED = "explained", _("explained")
        SUPPORTED = "supported", _("supported")
        NOT_SUPPORTED = "not_supported", _("not supported")

    appeal = models.OneToOneField(
        "appeals.Appeal", verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="sstu_result",
        limit_choices_to={"regime": Regime.FZ59},
    )
    result = models.CharField(_("result of consideration"), max_length=16, choices=Result.choices)
    actions_taken = models.BooleanField(_("measures taken"), default=False)
    attachment_name = models.CharField(_("answer file name"), max_length=255, blank=True)
    attachment = models.BinaryField(_("answer file"), null=True, blank=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("SSTU result of consideration")
        verbose_name_plural = _("SSTU results of consideration")

    def __str__(self) -> str:
        return f"{self.appeal_id} {self.result}"


class SstuSettings(models.Model):
    """Where and how SSTU.RF uploads go; one row, edited in admin."""

    connector_url = models.URLField(_("connector URL"), blank=True,
                                    help_text=_("For example http://host/IPCP/HandlingReportPlugin/Api/Import"))
    timeout_seconds = models.PositiveSmallIntegerField(_("connector timeout, seconds"), default=30)
    part_size_bytes = models.PositiveIntegerField(_("largest ZIP part, bytes"), default=50_000_000)

    class Meta:
        verbose_name = _("SSTU.RF settings")
        verbose_name_plural = _("SSTU.RF settings")

    def __str__(self) -> str:
        return self.connector_url or "SSTU"


class SstuExport(models.Model):
    """One export run: the ZIP parts it made, the appeals it refused and what the connector said."""

    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end (inclusive)"))
    organization_id = models.IntegerField(_("organisation"), default=0)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    exported = models.PositiveIntegerField(_("exported"), default=0)
    refused = models.PositiveIntegerField(_("refused by validation"), default=0)
    errors = models.JSONField(_("validation errors"), default=list, blank=True)
    pushed = models.PositiveIntegerField(_("accepted by the connector"), default=0)
    push_errors = models.JSONField(_("connector errors"), default=list, blank=True)

    class Meta:
        verbose_name = _("SSTU.RF export")
        verbose_name_plural = _("SSTU.RF exports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"SSTU {self.period_start:%m.%Y} #{self.pk}"


class SstuExportPart(models.Model):
    export = models.ForeignKey(SstuExport, on_delete=models.CASCADE, related_name="parts")
    number = models.PositiveSmallIntegerField()
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    files = models.PositiveIntegerField()

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["export", "number"], name="sstu_part_once")]

    def __str__(self) -> str:
        return f"{self.export_id}/{self.number:03d}"


class SstuExportState(models.Model):
    """The last status of an appeal that reached SSTU.RF, so monitoring sees what is not exported yet."""

    appeal = models.OneToOneField("appeals.Appeal", on_delete=models.CASCADE, related_name="sstu_export_state")
    status = models.CharField(max_length=24)
    exported_at = models.DateTimeField()
    export = models.ForeignKey(SstuExport, null=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"{self.appeal_id} {self.status}"
