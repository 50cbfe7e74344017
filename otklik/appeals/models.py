"""The appeal «обращение / сообщение», its append-only event log and deadline breaches."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from otklik.appeals.lifecycle import OPEN_STATES, Action, Regime, State


class Channel(models.TextChoices):
    PORTAL = "portal", _("portal")
    API = "api", _("API")
    OPEN311 = "open311", _("Open311")
    WIDGET = "widget", _("widget")
    SOCIAL = "social", _("social network")
    EMAIL = "email", _("e-mail")
    PAPER = "paper", _("paper")
    RECEPTION = "reception", _("personal reception")


class Stage(models.TextChoices):
    """Stage of work a deadline belongs to (stage budgets and breaches)."""

    REGISTRATION = "registration", _("registration")
    MODERATION = "moderation", _("moderation")
    COORDINATION = "coordination", _("coordination")
    EXECUTION = "execution", _("execution")
    APPROVAL = "approval", _("approval")
    PUBLICATION = "publication", _("publication")
    ANSWER = "answer", _("answer (whole term)")
    RESOLUTION = "resolution", _("problem resolution (promised date)")


def _new_token() -> str:
    return secrets.token_urlsafe(24)


OPEN_Q = Q(state__in=sorted(str(s) for s in OPEN_STATES))
# The states of the moderators' queues (appeals/selectors.QUEUES: moderation, social).
MODERATED_STATES = (State.MODERATION.value, State.RECEIVED.value)
# What the staff queues' conditions read besides the state and the term (appeals/selectors.QUEUES).
QUEUE_COLUMNS = ["warn_at", "executor_alarm_at", "proposed_until", "redirect_count", "regime", "significant"]


class Appeal(models.Model):
    """An appeal or message from a citizen, or a public social-network post."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    regime = models.CharField(_("regime"), max_length=8, choices=Regime.choices, default=Regime.POS)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.PORTAL)
    state = models.CharField(_("state"), max_length=24, choices=State.choices, default=State.RECEIVED)

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("applicant account"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="appeals",
    )
    applicant_name = models.CharField(_("applicant"), max_length=255, blank=True)
    applicant_email = models.EmailField(_("applicant's e-mail"), blank=True)
    applicant_phone = models.CharField(_("applicant's phone"), max_length=64, blank=True)
    applicant_address = models.CharField(_("applicant's postal address"), max_length=500, blank=True)
    social_author = models.CharField(_("social network author"), max_length=255, blank=True)
    social_url = models.URLField(_("link to the post"), max_length=1000, blank=True)
    access_token = models.CharField(_("tracking secret"), max_length=64, default=_new_token, editable=False)
    intake_key = models.CharField(_("idempotency key"), max_length=200, null=True, blank=True, unique=True)
    # Who sent the key (an API key, a staff user, the portal form): a key is only ever answered to
    # the client that made it.
    intake_client = models.CharField(_("idempotency key's client"), max_length=64, blank=True, default="")

    text = models.TextField(_("text"))
    address = models.CharField(_("address"), max_length=500, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    territory = models.ForeignKey(
        "registry.Territory", verbose_name=_("territory"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="appeals",
    )
    category = models.ForeignKey(
        "registry.Category", verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="appeals",
    )
    organization = models.ForeignKey(
        "registry.Organization", verbose_name=_("organisation"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="appeals",
    )
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("coordinator"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="coordinated_appeals",
    )
    executor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("executor"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="executed_appeals",
    )
    significant = models.BooleanField(_("socially significant"), default=False)
    high_importance = models.BooleanField(_("high importance"), default=False)
    duplicate_of = models.ForeignKey(
        "self", verbose_name=_("duplicate of"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="duplicates",
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("parent appeal"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="children",
    )

    draft_answer = models.TextField(_("draft answer"), blank=True)
    answer_text = models.TextField(_("answer"), blank=True)
    intermediate_text = models.TextField(_("intermediate answer"), blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.TextField(_("comment on the rating"), blank=True)
    reconsideration_count = models.PositiveSmallIntegerField(_("reconsiderations"), default=0)
    redirect_count = models.PositiveSmallIntegerField(_("redirects"), default=0)
    extension_days = models.PositiveSmallIntegerField(_("extension, days"), default=0)

    # Time is data: every deadline is a stored, indexed column computed by appeals/deadlines.py.
    received_at = models.DateTimeField(_("received at"), db_index=True)
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    state_changed_at = models.DateTimeField(_("state changed at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    term_started_at = models.DateTimeField(_("current term started at"), null=True, blank=True)
    due_at = models.DateTimeField(_("answer due"), null=True, blank=True)
    warn_at = models.DateTimeField(_("warn about the answer deadline at"), null=True, blank=True)
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, blank=True)
    stage_due_at = models.DateTimeField(_("stage due"), null=True, blank=True)
    redirect_due_at = models.DateTimeField(_("redirect allowed until"), null=True, blank=True)
    postponed_at = models.DateTimeField(_("postponed at"), null=True, blank=True)
    postponed_until = models.DateField(_("postponed until"), null=True, blank=True)
    executor_alarm_at = models.DateTimeField(_("needs an executor from"), null=True, blank=True)
    # The current consideration (registration, or the last reconsideration): a breach of the answer
    # term recorded since then makes any answer of this consideration late.
    consideration_started_at = models.DateTimeField(_("current consideration started at"), null=True, blank=True)
    # A postponement is a decision: the executor proposes, the coordinator (or head) confirms.
    proposed_until = models.DateField(_("proposed postponement until"), null=True, blank=True)
    proposed_reason = models.TextField(_("reason of the proposed postponement"), blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("postponement proposed by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    proposed_at = models.DateTimeField(_("postponement proposed at"), null=True, blank=True)
    # Problem-resolution term (seed 004 §4): the date by which an answer promises the work done.
    draft_resolution_on = models.DateField(_("promised resolution date in the draft"), null=True, blank=True)
    resolution_on = models.DateField(_("problem to be solved by"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("problem resolution due"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("problem solved at"), null=True, blank=True)
    # Markers the sweeper sets when it has acted; cleared when the matching deadline moves.
    warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    overdue_marked_at = models.DateTimeField(null=True, blank=True, editable=False)
    stage_overdue_marked_at = models.DateTimeField(null=True, blank=True, editable=False)
    executor_alarm_marked_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_overdue_marked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The hash of the last event (appeals/chain.py): removing the newest events breaks the chain too.
    last_event_hash = models.CharField(max_length=64, blank=True, default="", editable=False)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-received_at", "-id"]
        indexes = [
            # The staff queues' lists and counts (appeals/selectors.py): the columns the queues' conditions
            # read are included, so the side menu's counts are read from the index alone (PostgreSQL).
            models.Index(fields=["organization", "state", "due_at"], include=QUEUE_COLUMNS,
                         name="appeal_org_state_due"),
            models.Index(fields=["executor", "state", "due_at"], include=[*QUEUE_COLUMNS, "organization"],
                         name="appeal_executor_state_due"),
            # With the organisation: «overdue by organisation» groups the region's open appeals from it.
            models.Index(fields=["state", "due_at"], include=[*QUEUE_COLUMNS, "organization"], name="appeal_state_due"),
            # The region-wide queue lists every open appeal by deadline.
            models.Index(fields=["due_at", "id"], condition=OPEN_Q, name="appeal_open_due"),
            # The moderators' queues, newest or oldest first: walking the whole received_at index for the few
            # thousand appeals in moderation read 900,000 rows at a million appeals.
            models.Index(fields=["received_at", "id"], condition=Q(state__in=MODERATED_STATES),
                         name="appeal_moderation_received"),
            models.Index(fields=["category", "received_at"], name="appeal_category_received"),
            models.Index(fields=["territory", "received_at"], name="appeal_territory_received"),
            # Sweeper claims (appeals/sweeps.py): only the rows the sweeper may still act on are indexed, and
            # its claim's condition is the index's own (services.deadline_claim), so an idle sweep reads
            # nothing it would then skip.
            models.Index(fields=["due_at"], condition=Q(overdue_marked_at__isnull=True) & OPEN_Q,
                         name="appeal_sweep_overdue"),
            models.Index(fields=["warn_at"], condition=Q(warned_at__isnull=True) & OPEN_Q,
                         name="appeal_sweep_warn"),
            # A stage whose deadline is the whole term's is covered by the overall breach.
            models.Index(fields=["stage_due_at"],
                         condition=Q(stage_overdue_marked_at__isnull=True) & OPEN_Q
                         & (Q(due_at__isnull=True) | Q(stage_due_at__lt=F("due_at"))),
                         name="appeal_sweep_stage"),
            models.Index(fields=["executor_alarm_at"],
                         condition=Q(executor_alarm_marked_at__isnull=True, state=State.POSTPONED.value),
                         name="appeal_sweep_executor"),
            models.Index(fields=["resolution_due_at"],
                         condition=Q(resolution_overdue_marked_at__isnull=True, resolved_at__isnull=True),
                         name="appeal_sweep_resolution"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class AppealEvent(models.Model):
    """Append-only record of one action on an appeal. Reports are computed from these rows."""

    # PROTECT: an appeal with a history is never deleted with it (the log is append-only).
    appeal = models.ForeignKey(Appeal, verbose_name=_("appeal"), on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(_("time"))
    action = models.CharField(_("action"), max_length=24, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    role = models.CharField(_("acting role"), max_length=32)
    acting_for = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("acting for"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    organization = models.ForeignKey(
        "registry.Organization", verbose_name=_("organisation"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    from_state = models.CharField(_("from state"), max_length=24, choices=State.choices)
    to_state = models.CharField(_("to state"), max_length=24, choices=State.choices)
    reason = models.TextField(_("reason"), blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    hash = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("appeal event")
        verbose_name_plural = _("appeal events")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["appeal", "at"], name="event_appeal_at"),
            models.Index(fields=["action", "at"], name="event_action_at"),
            models.Index(fields=["organization", "at"], name="event_org_at"),
        ]

    def __str__(self) -> str:
        states = dict(State.choices)
        change = f"{states.get(self.from_state, '')} → {states.get(self.to_state, '')}" if self.from_state else ""
        return f"{self.appeal_id}: {dict(Action.choices).get(self.action, self.action)} {change}".strip()


class DeadlineBreach(models.Model):
    """A missed deadline «нарушение срока», with who held the appeal at that moment."""

    appeal = models.ForeignKey(Appeal, verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="breaches")
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    due_at = models.DateTimeField(_("was due"))
    detected_at = models.DateTimeField(_("detected at"))
    organization = models.ForeignKey(
        "registry.Organization", verbose_name=_("organisation"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="breaches",
    )
    executor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("executor"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("coordinator"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    state = models.CharField(_("state"), max_length=24, choices=State.choices)
    # A missed stage budget is a warning inside the organisation, not a breach of the acts (they fix
    # the answer term only), unless the region counts stage budgets as breaches.
    internal = models.BooleanField(_("internal (a missed stage budget)"), default=False)

    class Meta:
        verbose_name = _("deadline breach")
        verbose_name_plural = _("deadline breaches")
        ordering = ["-detected_at"]
        constraints = [
            models.UniqueConstraint(fields=["appeal", "stage", "due_at"], name="breach_once"),
        ]

    def __str__(self) -> str:
        return f"{self.appeal} {self.stage} {self.due_at:%d.%m.%Y}"


class NumberSequence(models.Model):
    """Per-year counter for human-readable appeal numbers."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class PersonalDataAccess(models.Model):
    """One opening of an applicant's personal data by an official (152-FZ): who, when, which appeal and
    where (the workspace card, the API, an export). The region's privacy officer reads these rows; nobody
    edits them, and an appeal or a person with openings recorded is not deleted."""

    class Where(models.TextChoices):
        CARD = "card", _("the appeal card")
        API = "api", _("the API")
        EXPORT = "export", _("an export")

    at = models.DateTimeField(_("time"), db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("official"), on_delete=models.PROTECT,
                             related_name="+")
    role = models.CharField(_("acting role"), max_length=32, blank=True)
    appeal = models.ForeignKey(Appeal, verbose_name=_("appeal"), on_delete=models.PROTECT,
                               related_name="personal_data_accesses")
    where = models.CharField(_("where"), max_length=16, choices=Where.choices)

    class Meta:
        verbose_name = _("opening of personal data")
        verbose_name_plural = _("openings of personal data")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["appeal", "at"], name="pd_access_appeal_at"),
            models.Index(fields=["user", "at"], name="pd_access_user_at"),
        ]

    def __str__(self) -> str:
        return f"{self.appeal_id}: {self.user_id} {self.at:%d.%m.%Y %H:%M}"
