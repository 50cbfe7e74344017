"""Escalations: socially significant messages and spikes of social activity, reported within a day
(seed 001 §11, seed 002 §12). Written only by services.py; every write leaves an EscalationEvent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def _default_roles() -> list[str]:
    return ["regional_coordinator"]


class EscalationSettings(models.Model):
    """The region's numbers for escalations (one row): the report deadline, who hears, how sensitive."""

    report_hours = models.PositiveSmallIntegerField(
        _("report due, hours from detection"), default=24,
        help_text=_("Seed 002 §12: the report is due within one day of detection."))
    recipient_roles = models.JSONField(
        _("roles notified besides the regional coordinator"), default=_default_roles, blank=True,
        help_text=_("Role codes, e.g. head, coordinator: holders in the organisations of the escalation's appeals "
                    "(region-wide roles: everyone holding them)."))
    min_count = models.PositiveSmallIntegerField(_("spike: at least this many messages in 24 hours"), default=5)
    min_ratio = models.FloatField(_("spike: at least this many times the usual"), default=2.5)
    alpha = models.FloatField(_("spike: the chance of such a count by accident below"), default=1e-5)
    warmup_days = models.PositiveSmallIntegerField(_("spike: days of history before spikes are sought"), default=14)
    window_hours = models.PositiveSmallIntegerField(
        _("an escalation absorbs new messages for this many hours after the event was last going on"), default=24)
    cell_degrees = models.FloatField(_("map cell size, degrees"), default=0.02)
    detector_start = models.DateField(_("detection history starts on"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("escalation settings")
        verbose_name_plural = _("escalation settings")

    def __str__(self) -> str:
        return str(_("Escalation settings"))


class SignalPhrase(models.Model):
    """A phrase of the significance lexicon («нет света», «пожар»); matched on lemmas, negation handled."""

    phrase = models.CharField(_("phrase"), max_length=200, unique=True)
    group = models.CharField(_("signal group"), max_length=64, blank=True,
                             help_text=_("Messages of one group at one place join one escalation (e.g. water)."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("signal phrase")
        verbose_name_plural = _("signal phrases")
        ordering = ["group", "phrase"]

    def __str__(self) -> str:
        return self.phrase


class CategorySignificance(models.Model):
    """A category whose every message is socially significant (opens an escalation at once)."""

    category = models.OneToOneField("registry.Category", verbose_name=_("category"), on_delete=models.CASCADE,
                                    related_name="significance")
    significant = models.BooleanField(_("socially significant"), default=True)
    note = models.CharField(_("why"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("significant category")
        verbose_name_plural = _("significant categories")

    def __str__(self) -> str:
        return str(self.category)


class Escalation(models.Model):
    class Kind(models.TextChoices):
        SIGNIFICANT = "significant", _("socially significant message")
        SPIKE = "spike", _("spike of social activity")

    class State(models.TextChoices):
        OPEN = "open", _("open")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        REPORTED = "reported", _("reported")
        CLOSED = "closed", _("closed")

    class Outcome(models.TextChoices):
        RESOLVED = "resolved", _("the problem is solved")
        IN_HAND = "in_hand", _("handed to the responsible bodies, under control")
        NOT_CONFIRMED = "not_confirmed", _("not confirmed")
        FALSE_ALARM = "false_alarm", _("false alarm")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.OPEN)
    problem = models.CharField(_("problem key"), max_length=255, blank=True, editable=False)
    places = models.JSONField(_("place keys"), default=list, blank=True, editable=False)
    category = models.ForeignKey("registry.Category", verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    territory = models.ForeignKey("registry.Territory", verbose_name=_("territory"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    territories = models.ManyToManyField("registry.Territory", verbose_name=_("territories"), blank=True,
                                         related_name="+")
    signal = models.CharField(_("signal"), max_length=500, blank=True)
    opened_at = models.DateTimeField(_("detected at"), db_index=True)
    first_appeal_at = models.DateTimeField(_("first message at"))
    last_appeal_at = models.DateTimeField(_("last message at"))
    hot_at = models.DateTimeField(_("last going on at"))
    due_at = models.DateTimeField(_("report due"))
    count = models.PositiveIntegerField(_("messages in 24 hours at detection"), default=0)
    expected = models.FloatField(_("usual messages in 24 hours"), default=0)
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("recipients"), blank=True,
                                        related_name="escalations")
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    report_text = models.TextField(_("report"), blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    report_pdf = models.FileField(_("report (PDF)"), upload_to="escalations/", blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(_("outcome, in words"), blank=True)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["state", "hot_at"], name="escalation_state_hot")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} № {self.pk}"

    @property
    def report_late(self) -> bool:
        return self.reported_at is not None and self.reported_at > self.due_at


class EscalationAppeal(models.Model):
    escalation = models.ForeignKey(Escalation, verbose_name=_("escalation"), on_delete=models.CASCADE,
                                   related_name="links")
    appeal = models.ForeignKey("appeals.Appeal", verbose_name=_("appeal"), on_delete=models.CASCADE,
                               related_name="escalation_links")
    added_at = models.DateTimeField(_("added at"))

    class Meta:
        verbose_name = _("appeal of an escalation")
        verbose_name_plural = _("appeals of escalations")
        constraints = [models.UniqueConstraint(fields=["escalation", "appeal"], name="escalation_appeal_unique")]

    def __str__(self) -> str:
        return f"{self.escalation_id} — {self.appeal_id}"


class EscalationEvent(models.Model):
    """Append-only journal: who did what to an escalation, and when."""

    class Action(models.TextChoices):
        OPEN = "open", _("opened")
        ABSORB = "absorb", _("messages joined")
        ACKNOWLEDGE = "acknowledge", _("acknowledged")
        DRAFT = "draft", _("report edited")
        REPORT = "report", _("report sent")
        CLOSE = "close", _("closed")
        NOTIFY = "notify", _("recipients notified")

    escalation = models.ForeignKey(Escalation, verbose_name=_("escalation"), on_delete=models.PROTECT,
                                   related_name="events")
    at = models.DateTimeField(_("time"))
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("who"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    payload = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("escalation event")
        verbose_name_plural = _("escalation events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%d.%m.%Y %H:%M}"


class DetectorCounter(models.Model):
    """The live detector's rolling state of one (problem, place) key (detector.KeyState as JSON)."""

    key = models.CharField(_("key"), max_length=500, unique=True)
    state = models.JSONField(_("state"), default=dict)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("detector counter")
        verbose_name_plural = _("detector counters")

    def __str__(self) -> str:
        return self.key


class DetectedAppeal(models.Model):
    """An appeal already fed to the detector: a retried or repeated task never counts it twice."""

    appeal = models.OneToOneField("appeals.Appeal", verbose_name=_("appeal"), on_delete=models.CASCADE,
                                  related_name="+")
    at = models.DateTimeField(_("fed at"))

    class Meta:
        verbose_name = _("appeal fed to the detector")
        verbose_name_plural = _("appeals fed to the detector")

    def __str__(self) -> str:
        return str(self.appeal_id)
