"""Public participation «общественное участие» (seed 004 §1.3, seed 002 §4): discussions of draft
documents, participatory-budget votes, polls and public hearings, run by an organisation's authorised
person «уполномоченный».

Secrecy of the vote is a property of the schema, not of the code that reads it: ``Participation`` says
*who* took part, ``Ballot`` says *what* was chosen, and nothing joins them — no foreign key, no time,
random primary keys, and the ballot box is shuffled on every insert (services.ballot_cast), so even the
physical order of rows says nothing. See docs/participation.md for what remains and why.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from otklik.participation.lifecycle import Action, State


class Kind(models.TextChoices):
    DISCUSSION = "discussion", _("discussion of a draft document")
    BUDGET = "budget", _("participatory budget vote")
    POLL = "poll", _("poll")
    HEARING = "hearing", _("public hearing")


class BudgetRule(models.TextChoices):
    CHOOSE_K = "choose_k", _("choose up to K projects")
    KNAPSACK = "knapsack", _("choose projects within the budget")
    APPROVAL = "approval", _("approve any number of projects")


class ParticipationSettings(models.Model):
    """The region's rules for participation; one row (the registry's settings are not changed for it)."""

    approval_required = models.BooleanField(
        _("events need the regional coordinator's approval before publication"), default=True)
    results_days = models.PositiveSmallIntegerField(
        _("results are due this many working days after the end"), default=10)
    start_grace_hours = models.PositiveSmallIntegerField(
        _("an event not published this many hours after its start is late to start"), default=0)
    finish_grace_hours = models.PositiveSmallIntegerField(
        _("an event still open this many hours after its end is late to finish"), default=1)

    class Meta:
        verbose_name = _("participation settings")
        verbose_name_plural = _("participation settings")

    def __str__(self) -> str:
        return str(_("Participation settings"))


class Event(models.Model):
    """Event «мероприятие»: a discussion, a vote, a poll or a hearing, with its audience and schedule."""

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    organization = models.ForeignKey(
        "registry.Organization", verbose_name=_("organisation"), on_delete=models.PROTECT,
        related_name="participation_events")
    topic = models.ForeignKey("registry.Topic", verbose_name=_("topic"), on_delete=models.PROTECT,
                              related_name="+")
    territories = models.ManyToManyField("registry.Territory", verbose_name=_("territories"), blank=True,
                                         related_name="+")
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    results_due_on = models.DateField(_("results due on"))
    state = models.CharField(_("state"), max_length=24, choices=State.choices, default=State.DRAFT, db_index=True)
    # Budget votes.
    rule = models.CharField(_("voting rule"), max_length=16, choices=BudgetRule.choices, blank=True)
    max_choices = models.PositiveSmallIntegerField(_("at most this many projects"), null=True, blank=True)
    budget = models.PositiveBigIntegerField(_("budget, roubles"), null=True, blank=True)
    ballot_changeable = models.BooleanField(_("a ballot may be changed until the end"), default=False)
    # Discussions and hearings.
    document_name = models.CharField(_("document"), max_length=255, blank=True)
    hearing_place = models.CharField(_("place of the hearing"), max_length=500, blank=True)
    # Results, frozen when published.
    results = models.JSONField(_("results"), default=dict, blank=True)
    results_text = models.TextField(_("summary of the results"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    results_published_at = models.DateTimeField(_("results published at"), null=True, blank=True)
    participants = models.PositiveIntegerField(_("participants"), default=0)
    # Set once the notices are made; the periodic control re-sends what a failed task left undone.
    announced = models.BooleanField(_("citizens told about the event"), default=False)
    results_announced = models.BooleanField(_("participants told about the results"), default=False)

    class Meta:
        verbose_name = _("participation event")
        verbose_name_plural = _("participation events")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["state", "ends_at"]), models.Index(fields=["organization", "state"])]

    def __str__(self) -> str:
        return self.title


class EventEntry(models.Model):
    """Append-only journal of one action on an event (who, in which role, when, states, details).
    A ballot's content never goes here: only that a person took part."""

    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.PROTECT, related_name="journal")
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    role = models.CharField(_("acting role"), max_length=32)
    action = models.CharField(_("action"), max_length=24, choices=Action.choices)
    from_state = models.CharField(_("from state"), max_length=24, choices=State.choices)
    to_state = models.CharField(_("to state"), max_length=24, choices=State.choices)
    payload = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("participation journal entry")
        verbose_name_plural = _("participation journal")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.event_id} {self.action} {self.at:%d.%m.%Y %H:%M}"


class Paragraph(models.Model):
    """A numbered paragraph of the draft document under discussion, with the organiser's summary."""

    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="paragraphs")
    number = models.PositiveIntegerField(_("number"))
    text = models.TextField(_("text"))
    summary = models.TextField(_("what was taken into account"), blank=True)

    class Meta:
        verbose_name = _("paragraph")
        verbose_name_plural = _("paragraphs")
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["event", "number"], name="paragraph_unique_number")]

    def __str__(self) -> str:
        return f"{self.number}. {self.text[:60]}"


class Comment(models.Model):
    """A citizen's comment on a paragraph; public once the moderator accepts it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting moderation")
        ACCEPTED = "accepted", _("published")
        REJECTED = "rejected", _("rejected")

    paragraph = models.ForeignKey(Paragraph, verbose_name=_("paragraph"), on_delete=models.CASCADE,
                                  related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.CASCADE,
                               related_name="+")
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    moderation_reason = models.CharField(_("reason of the moderator"), max_length=500, blank=True)
    answer = models.TextField(_("organiser's answer"), blank=True)
    supports = models.PositiveIntegerField(_("supports"), default=0)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class CommentSupport(models.Model):
    comment = models.ForeignKey(Comment, verbose_name=_("comment"), on_delete=models.CASCADE,
                                related_name="support_rows")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("participant"), on_delete=models.CASCADE,
                               related_name="+")

    class Meta:
        verbose_name = _("support of a comment")
        verbose_name_plural = _("supports of comments")
        constraints = [models.UniqueConstraint(fields=["comment", "person"], name="support_once")]

    def __str__(self) -> str:
        return f"{self.comment_id}"


class Project(models.Model):
    """A project on the budget ballot."""

    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="projects")
    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    cost = models.PositiveBigIntegerField(_("cost, roubles"))
    territory = models.ForeignKey("registry.Territory", verbose_name=_("territory"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    photo = models.ImageField(_("photo"), upload_to="participation/", blank=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    """A poll question; ``show_if`` makes it conditional on an earlier answer."""

    class Type(models.TextChoices):
        SINGLE = "single", _("single choice")
        MULTIPLE = "multiple", _("multiple choice")
        SCALE = "scale", _("scale")
        TEXT = "text", _("free text")

    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="questions")
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.CharField(_("question"), max_length=500)
    type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    required = models.BooleanField(_("answer required"), default=True)
    scale_min = models.SmallIntegerField(_("scale from"), default=1)
    scale_max = models.SmallIntegerField(_("scale to"), default=5)
    show_if_question = models.ForeignKey("self", verbose_name=_("shown when the answer to"), null=True,
                                         blank=True, on_delete=models.CASCADE, related_name="+")
    show_if_option = models.ForeignKey("Option", verbose_name=_("is"), null=True, blank=True,
                                       on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number}. {self.text}"

    @property
    def scale_range(self) -> range:
        return range(self.scale_min, self.scale_max + 1)


class Option(models.Model):
    question = models.ForeignKey(Question, verbose_name=_("question"), on_delete=models.CASCADE,
                                 related_name="options")
    text = models.CharField(_("option"), max_length=255)

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text


class Participation(models.Model):
    """Who took part «кто проголосовал»: one row per person and event, nothing about the choice.
    The date (not the time) is kept for turnout by day; the primary key is random."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("participant"), on_delete=models.PROTECT,
                               related_name="+")
    on = models.DateField(_("date"))

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [models.UniqueConstraint(fields=["event", "person"], name="one_person_one_ballot")]

    def __str__(self) -> str:
        return f"{self.event_id}"


class Ballot(models.Model):
    """What was chosen «бюллетень»: no person, no time, a random key. ``event_id`` is a plain number, not
    a foreign key, so that no relation from the event leads to ballots in admin or ORM joins by habit.
    ``token`` is set only where a ballot may be changed: HMAC(server secret, person, event)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event_id = models.PositiveIntegerField(_("event"), db_index=True)
    choices = models.JSONField(_("choices"))
    token = models.CharField(_("secret ballot token"), max_length=64, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        indexes = [models.Index(fields=["event_id", "id"], name="ballot_event_id")]

    def __str__(self) -> str:
        return str(self.pk)


class CitizenProfile(models.Model):
    """A citizen's territory and year of birth: who is in an event's audience and gets its notices."""

    person = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("participant"), on_delete=models.CASCADE,
                                  related_name="participation_profile")
    territory = models.ForeignKey("registry.Territory", verbose_name=_("territory"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    notify = models.BooleanField(_("tell me about new events in my territory"), default=True)

    class Meta:
        verbose_name = _("participant profile")
        verbose_name_plural = _("participant profiles")

    def __str__(self) -> str:
        return str(self.person_id)


class Lateness(models.Model):
    """An event late to start, to finish or to publish its results (seed 004 §4): the disciplinary
    register shows these and the monthly report counts them."""

    class Stage(models.TextChoices):
        START = "start", _("late to start")
        FINISH = "finish", _("late to finish")
        RESULTS = "results", _("late to publish the results")

    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.PROTECT, related_name="lateness")
    organization = models.ForeignKey("registry.Organization", verbose_name=_("organisation"),
                                     on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    due_at = models.DateTimeField(_("was due"))
    detected_at = models.DateTimeField(_("detected"), db_index=True)
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("responsible"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("late participation event")
        verbose_name_plural = _("late participation events")
        ordering = ["-detected_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["event", "stage"], name="lateness_once_per_stage")]

    def __str__(self) -> str:
        return f"{self.event_id} {self.stage}"
