"""Every write of public participation. Each public function is one action: it locks the event, checks
the transition table and the actor's capacity, applies the guard, saves and records an EventEntry.
Notices are enqueued after commit."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.accounts.permissions import find_capacity, is_staff_account
from otklik.appeals.services import AppealError
from otklik.participation import ballots as rules
from otklik.participation.documents import paragraphs_from_file, split_text
from otklik.participation.lifecycle import CITIZEN, SYSTEM, Action, State, Transition, transition_for
from otklik.participation.models import (
    Ballot,
    BudgetRule,
    CitizenProfile,
    Comment,
    CommentSupport,
    Event,
    EventEntry,
    Kind,
    Lateness,
    Option,
    Paragraph,
    Participation,
    ParticipationSettings,
    Project,
    Question,
)
from otklik.registry.models import Organization, Territory, Topic
from otklik.registry.selectors import region_calendar


class ParticipationError(AppealError):
    """A refused action: a machine code, a Russian message and the field at fault (the API's shape)."""


def _fail(code: str, message: str, *, field: str | None = None, status: int = 400) -> ParticipationError:
    return ParticipationError(code, message, field=field, status=status)


def _refused(exc: rules.BallotRefused) -> ParticipationError:
    return ParticipationError(exc.code, exc.message, field=exc.field)


def participation_settings_create_default() -> ParticipationSettings:
    with transaction.atomic():
        return ParticipationSettings.objects.create()


def _settings() -> ParticipationSettings:
    return ParticipationSettings.objects.order_by("pk").first() or participation_settings_create_default()


@dataclass
class Actor:
    user: User | None
    role: str


def _record(event: Event, actor: Actor, action: Action, from_state: str, payload: dict[str, Any] | None = None,
            *, at: dt.datetime | None = None) -> EventEntry:
    return EventEntry.objects.create(event=event, at=at or timezone.now(), actor=actor.user, role=actor.role,
                                     action=action, from_state=from_state, to_state=event.state,
                                     payload=payload or {})


def _authorize(event: Event, row: Transition, user: User | None, *, system: bool) -> Actor:
    if system:
        if SYSTEM not in row.roles:
            raise _fail("forbidden", _("This action cannot be performed automatically."), status=403)
        return Actor(None, SYSTEM)
    if user is None or not user.is_authenticated:
        raise _fail("not_authenticated", _("Sign in to perform this action."), status=401)
    cap = find_capacity(user, row.roles - {SYSTEM, CITIZEN}, event.organization_id)
    if cap is None:
        raise _fail("forbidden", _("Your role does not allow this action on this event."), status=403)
    return Actor(user, cap.role)


def _locked(event_id: int) -> Event:
    event = Event.objects.select_for_update().filter(pk=event_id).first()
    if event is None:
        raise _fail("not_found", _("No such event."), status=404)
    return event


def _perform(event_id: int, action: Action, body: Callable[[Event, Actor], dict[str, Any] | None] | None = None,
             *, user: User | None = None, system: bool = False) -> Event:
    with transaction.atomic():
        event = _locked(event_id)
        row = transition_for(event.state, action)
        if row is None:
            raise _fail("wrong_state", _("This cannot be done while the event is «%(state)s».")
                        % {"state": event.get_state_display()}, status=409)
        actor = _authorize(event, row, user, system=system)
        now = timezone.now()
        if row.guard == "no_approval" and _settings().approval_required:
            raise _fail("approval_required", _("The region requires the regional coordinator's approval: send "
                                               "the event for approval."), status=409)
        if row.guard == "ended" and now < event.ends_at:
            raise _fail("not_ended", _("The event ends on %(end)s; it can be finished after that.")
                        % {"end": timezone.localtime(event.ends_at).strftime("%d.%m.%Y %H:%M")}, status=409)
        from_state = event.state
        payload = body(event, actor) if body else None
        event.state = row.target
        event.save()
        _record(event, actor, action, from_state, payload, at=now)
    return event


# --- creating and editing ----------------------------------------------------------------------------


def _territories(ids: Iterable[int]) -> list[Territory]:
    wanted = sorted(set(ids))
    found = list(Territory.objects.filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise _fail("unknown_territory", _("Choose territories from the list."), field="territories")
    return found


def _check_fields(fields: dict[str, Any]) -> None:
    if fields["ends_at"] <= fields["starts_at"]:
        raise _fail("bad_schedule", _("The event must end after it starts."), field="ends_at")
    if fields["results_due_on"] < timezone.localdate(fields["ends_at"]):
        raise _fail("bad_schedule", _("Results cannot be due before the event ends."), field="results_due_on")
    if fields["kind"] == Kind.BUDGET:
        if fields.get("rule") not in BudgetRule.values:
            raise _fail("rule_required", _("Choose the voting rule."), field="rule")
        if not fields.get("budget"):
            raise _fail("budget_required", _("Enter the budget of the vote."), field="budget")
        if fields["rule"] == BudgetRule.CHOOSE_K and not fields.get("max_choices"):
            raise _fail("k_required", _("Enter how many projects a voter may choose."), field="max_choices")
    if fields.get("min_age") is not None and not 14 <= fields["min_age"] <= 100:
        raise _fail("bad_age", _("Enter an age from 14 to 100."), field="min_age")


EDITABLE = ("title", "description", "topic_id", "min_age", "starts_at", "ends_at", "results_due_on", "rule",
            "max_choices", "budget", "ballot_changeable", "hearing_place")


def default_results_due(ends_at: dt.datetime) -> dt.date:
    return region_calendar().add_working_days(ends_at, _settings().results_days).date()


def event_create(*, user: User, organization_id: int, kind: str, title: str, topic_id: int,
                 starts_at: dt.datetime, ends_at: dt.datetime, results_due_on: dt.date | None = None,
                 description: str = "", territory_ids: Iterable[int] = (), min_age: int | None = None,
                 rule: str = "", max_choices: int | None = None, budget: int | None = None,
                 ballot_changeable: bool = False, hearing_place: str = "") -> Event:
    if kind not in Kind.values:
        raise _fail("bad_kind", _("Choose the kind of event."), field="kind")
    if not title.strip():
        raise _fail("title_required", _("Enter the title."), field="title")
    organization = Organization.objects.filter(pk=organization_id, is_active=True).first()
    if organization is None:
        raise _fail("unknown_organization", _("Choose an organisation."), field="organization")
    if find_capacity(user, {"authorised"}, organization.pk) is None:
        raise _fail("forbidden", _("Only the organisation's authorised person runs its discussions, votes and "
                                   "polls."), status=403)
    if not Topic.objects.filter(pk=topic_id, is_active=True).exists():
        raise _fail("unknown_topic", _("Choose a topic from the region's list."), field="topic")
    fields: dict[str, Any] = {
        "kind": kind, "title": title.strip(), "description": description, "topic_id": topic_id,
        "starts_at": starts_at, "ends_at": ends_at,
        "results_due_on": results_due_on or default_results_due(ends_at), "min_age": min_age,
        "rule": rule if kind == Kind.BUDGET else "", "max_choices": max_choices, "budget": budget,
        "ballot_changeable": ballot_changeable, "hearing_place": hearing_place,
    }
    _check_fields(fields)
    with transaction.atomic():
        event = Event.objects.create(organization=organization, created_by=user, created_at=timezone.now(),
                                     **fields)
        event.territories.set(_territories(territory_ids))
        _record(event, Actor(user, "authorised"), Action.CREATE, State.DRAFT,
                {"kind": kind, "title": event.title})
    return event


def event_edit(*, user: User, event_id: int, territory_ids: Iterable[int] | None = None, **changes: Any) -> Event:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")

    def body(event: Event, actor: Actor) -> dict[str, Any]:
        fields = {name: getattr(event, name) for name in EDITABLE} | {"kind": event.kind} | changes
        if "ends_at" in changes and "results_due_on" not in changes:
            fields["results_due_on"] = default_results_due(fields["ends_at"])
        _check_fields(fields)
        for name in EDITABLE:
            setattr(event, name, fields[name])
        if territory_ids is not None:
            event.territories.set(_territories(territory_ids))
        return {"changed": sorted(changes) + (["territories"] if territory_ids is not None else [])}

    return _perform(event_id, Action.EDIT, body, user=user)


def event_set_document(*, user: User, event_id: int, text: str = "", upload: UploadedFile | None = None) -> Event:
    """The draft under discussion, split into numbered paragraphs (replaces any earlier text)."""

    def body(event: Event, actor: Actor) -> dict[str, Any]:
        if event.kind not in (Kind.DISCUSSION, Kind.HEARING):
            raise _fail("wrong_kind", _("Only a discussion or a hearing has a document."))
        try:
            if upload is not None:
                parts = paragraphs_from_file(upload.name or "", upload.read())
                event.document_name = (upload.name or "")[:255]
            else:
                parts = split_text(text)
                event.document_name = ""
        except rules.BallotRefused as exc:
            raise _refused(exc) from None
        if not parts:
            raise _fail("document_empty", _("Paste the text of the document or upload a file."), field="document")
        Paragraph.objects.filter(event=event).delete()
        Paragraph.objects.bulk_create(Paragraph(event=event, number=n, text=t) for n, t in enumerate(parts, 1))
        return {"paragraphs": len(parts), "document": event.document_name}

    return _perform(event_id, Action.EDIT, body, user=user)


def project_add(*, user: User, event_id: int, title: str, cost: int, description: str = "",
                territory_id: int | None = None, photo: UploadedFile | None = None) -> Project:
    created: list[Project] = []

    def body(event: Event, actor: Actor) -> dict[str, Any]:
        if event.kind != Kind.BUDGET:
            raise _fail("wrong_kind", _("Only a budget vote has projects."))
        if not title.strip():
            raise _fail("title_required", _("Enter the title."), field="title")
        if cost <= 0:
            raise _fail("bad_cost", _("Enter the cost in roubles, more than zero."), field="cost")
        if event.budget and cost > event.budget:
            raise _fail("bad_cost", _("The project costs more than the whole budget."), field="cost")
        project = Project(event=event, title=title.strip(), cost=cost, description=description,
                          territory_id=territory_id)
        if photo is not None:
            project.photo.save(photo.name or "photo.jpg", photo, save=False)
        project.save()
        created.append(project)
        return {"project": project.pk, "title": project.title, "cost": cost}

    _perform(event_id, Action.EDIT, body, user=user)
    return created[0]


def question_add(*, user: User, event_id: int, text: str, type: str, options: Iterable[str] = (),
                 required: bool = True, scale_min: int = 1, scale_max: int = 5,
                 show_if_question_id: int | None = None, show_if_option_id: int | None = None) -> Question:
    created: list[Question] = []

    def body(event: Event, actor: Actor) -> dict[str, Any]:
        if event.kind != Kind.POLL:
            raise _fail("wrong_kind", _("Only a poll has questions."))
        if type not in Question.Type.values:
            raise _fail("bad_type", _("Choose the type of the question."), field="type")
        if not text.strip():
            raise _fail("text_required", _("Enter the question."), field="text")
        labels = [o.strip() for o in options if o.strip()]
        if type in (Question.Type.SINGLE, Question.Type.MULTIPLE) and len(labels) < 2:
            raise _fail("options_required", _("Give at least two options."), field="options")
        if type == Question.Type.SCALE and scale_max <= scale_min:
            raise _fail("bad_scale", _("The scale must go up."), field="scale_max")
        if show_if_question_id is not None:
            ok = show_if_option_id is not None and Option.objects.filter(
                pk=show_if_option_id, question_id=show_if_question_id, question__event=event).exists()
            if not ok:
                raise _fail("bad_condition", _("The condition must name an option of an earlier question."),
                            field="show_if")
        number = Question.objects.filter(event=event).count() + 1
        question = Question.objects.create(event=event, number=number, text=text.strip(), type=type,
                                           required=required, scale_min=scale_min, scale_max=scale_max,
                                           show_if_question_id=show_if_question_id,
                                           show_if_option_id=show_if_option_id)
        if type in (Question.Type.SINGLE, Question.Type.MULTIPLE):
            Option.objects.bulk_create(Option(question=question, text=label) for label in labels)
        created.append(question)
        return {"question": question.pk, "type": type}

    _perform(event_id, Action.EDIT, body, user=user)
    return created[0]


# --- the lifecycle -------------------------------------------------------------------------------------


def _ready(event: Event) -> None:
    if event.kind == Kind.DISCUSSION and not event.paragraphs.exists():
        raise _fail("no_document", _("Add the document under discussion first."), status=409)
    if event.kind == Kind.BUDGET and not event.projects.exists():
        raise _fail("no_projects", _("Add at least one project first."), status=409)
    if event.kind == Kind.POLL and not event.questions.exists():
        raise _fail("no_questions", _("Add at least one question first."), status=409)


def _published(event: Event, actor: Actor) -> dict[str, Any]:
    _ready(event)
    event.published_at = timezone.now()
    from otklik.participation.tasks import notify_new_event

    transaction.on_commit(lambda: notify_new_event.enqueue(event.pk))
    return {}


def event_submit(*, user: User, event_id: int) -> Event:
    def body(event: Event, actor: Actor) -> dict[str, Any]:
        _ready(event)
        return {}

    return _perform(event_id, Action.SUBMIT, body, user=user)


def event_approve(*, user: User, event_id: int) -> Event:
    return _perform(event_id, Action.APPROVE, _published, user=user)


def event_return(*, user: User, event_id: int, reason: str) -> Event:
    if not reason.strip():
        raise _fail("reason_required", _("Say what must be changed."), field="reason")
    return _perform(event_id, Action.RETURN, lambda event, actor: {"reason": reason.strip()}, user=user)


def event_publish(*, user: User, event_id: int) -> Event:
    return _perform(event_id, Action.PUBLISH, _published, user=user)


def event_finish(*, user: User, event_id: int) -> Event:
    def body(event: Event, actor: Actor) -> dict[str, Any]:
        event.finished_at = timezone.now()
        event.participants = Participation.objects.filter(event_id=event.pk).count()
        return {"participants": event.participants}

    return _perform(event_id, Action.FINISH, body, user=user)


def event_publish_results(*, user: User, event_id: int, text: str = "") -> Event:
    """Freeze the count into ``Event.results`` (what the results page shows) and tell participants."""
    from otklik.participation.selectors import count_event

    def body(event: Event, actor: Actor) -> dict[str, Any]:
        event.results = count_event(event)
        event.results_text = text.strip()
        event.results_published_at = timezone.now()
        from otklik.participation.tasks import notify_results

        transaction.on_commit(lambda: notify_results.enqueue(event.pk))
        return {"ballots": event.results.get("ballots", 0)}

    return _perform(event_id, Action.PUBLISH_RESULTS, body, user=user)


# --- discussion ------------------------------------------------------------------------------------------


def _verified_citizen(user: User | None) -> User:
    """Only a verified citizen takes part: an active account with a confirmed e-mail (sign-up activates
    it only by the link) or an identity from the OIDC provider; never an official's account."""
    if user is None or not user.is_authenticated:
        raise _fail("not_authenticated", _("Sign in to take part."), status=401)
    if is_staff_account(user):
        raise _fail("staff_account", _("Officials take part from their own citizen account, not from the "
                                       "workspace account."), status=403)
    verified = user.is_active and (bool(user.email) or user.identities.exists())
    if not verified:
        raise _fail("not_verified", _("Only citizens with a confirmed e-mail or signed in through Gosuslugi "
                                      "take part."), status=403)
    return user


def _in_audience(event: Event, user: User) -> None:
    profile = CitizenProfile.objects.filter(person=user).select_related("territory").first()
    wanted = set(event.territories.values_list("pk", flat=True))
    if wanted:
        if profile is None or profile.territory is None:
            raise _fail("territory_required", _("This event is for residents of certain territories: choose "
                                                "your territory in the profile first."), status=403)
        if not {t.pk for t in profile.territory.ancestors_and_self()} & wanted:
            raise _fail("not_in_audience", _("This event is for residents of other territories."), status=403)
    if event.min_age:
        if profile is None or profile.birth_year is None:
            raise _fail("age_required", _("This event has an age limit: give your year of birth in the profile."),
                        status=403)
        if timezone.localdate().year - profile.birth_year < event.min_age:
            raise _fail("too_young", _("This event is for people aged %(age)d and over.")
                        % {"age": event.min_age}, status=403)


def _open(event: Event) -> None:
    now = timezone.now()
    if event.state != State.PUBLISHED or now < event.starts_at:
        raise _fail("not_open", _("The event has not started yet."), status=409)
    if now >= event.ends_at:
        raise _fail("closed", _("The event has ended: taking part is no longer possible."), status=409)


def comment_add(*, user: User, paragraph_id: int, text: str) -> Comment:
    citizen = _verified_citizen(user)
    text = text.strip()
    if not text:
        raise _fail("text_required", _("Write the comment."), field="text")
    if len(text) > 4000:
        raise _fail("text_too_long", _("A comment is at most 4000 characters."), field="text")
    paragraph = Paragraph.objects.filter(pk=paragraph_id).select_related("event").first()
    if paragraph is None:
        raise _fail("not_found", _("No such paragraph."), status=404)
    with transaction.atomic():
        event = _locked(paragraph.event_id)
        _open(event)
        _in_audience(event, citizen)
        comment = Comment.objects.create(paragraph=paragraph, author=citizen, text=text, created_at=timezone.now())
        _record(event, Actor(citizen, CITIZEN), Action.COMMENT, event.state,
                {"comment": comment.pk, "paragraph": paragraph.number})
    return comment


def comment_support(*, user: User, comment_id: int) -> Comment:
    citizen = _verified_citizen(user)
    comment = Comment.objects.filter(pk=comment_id, status=Comment.Status.ACCEPTED).select_related(
        "paragraph").first()
    if comment is None:
        raise _fail("not_found", _("No such comment."), status=404)
    if comment.author_id == citizen.pk:
        raise _fail("own_comment", _("You cannot support your own comment."), status=409)
    with transaction.atomic():
        event = _locked(comment.paragraph.event_id)
        _open(event)
        try:
            with transaction.atomic():
                CommentSupport.objects.create(comment=comment, person=citizen)
        except IntegrityError:
            raise _fail("already_supported", _("You already support this comment."), status=409) from None
        comment.supports = CommentSupport.objects.filter(comment=comment).count()
        comment.save(update_fields=["supports"])
    return comment


def comment_moderate(*, user: User, comment_id: int, accept: bool, reason: str = "") -> Comment:
    comment = Comment.objects.filter(pk=comment_id).select_related("paragraph").first()
    if comment is None:
        raise _fail("not_found", _("No such comment."), status=404)
    if not accept and not reason.strip():
        raise _fail("reason_required", _("Give the reason for rejecting the comment."), field="reason")

    def body(event: Event, actor: Actor) -> dict[str, Any]:
        comment.status = Comment.Status.ACCEPTED if accept else Comment.Status.REJECTED
        comment.moderation_reason = "" if accept else reason.strip()[:500]
        comment.save(update_fields=["status", "moderation_reason"])
        return {"comment": comment.pk, "status": comment.status, "reason": comment.moderation_reason}

    _perform(comment.paragraph.event_id, Action.MODERATE, body, user=user)
    return comment


def comment_answer(*, user: User, comment_id: int, answer: str) -> Comment:
    comment = Comment.objects.filter(pk=comment_id).select_related("paragraph").first()
    if comment is None:
        raise _fail("not_found", _("No such comment."), status=404)
    if not answer.strip():
        raise _fail("answer_required", _("Write the answer."), field="answer")

    def body(event: Event, actor: Actor) -> dict[str, Any]:
        comment.answer = answer.strip()
        comment.save(update_fields=["answer"])
        return {"comment": comment.pk}

    _perform(comment.paragraph.event_id, Action.ANSWER, body, user=user)
    return comment


def paragraph_summarise(*, user: User, paragraph_id: int, summary: str) -> Paragraph:
    paragraph = Paragraph.objects.filter(pk=paragraph_id).first()
    if paragraph is None:
        raise _fail("not_found", _("No such paragraph."), status=404)

    def body(event: Event, actor: Actor) -> dict[str, Any]:
        paragraph.summary = summary.strip()
        paragraph.save(update_fields=["summary"])
        return {"paragraph": paragraph.number}

    _perform(paragraph.event_id, Action.SUMMARISE, body, user=user)
    return paragraph


# --- ballots -----------------------------------------------------------------------------------------------


def ballot_token(person_id: int, event_id: int) -> str:
    """The per-person secret ballot token: only the server's secret turns a person into it."""
    key = hashlib.sha256(("otklik.participation.ballot|" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, f"{event_id}|{person_id}".encode(), hashlib.sha256).hexdigest()


def check_choices(event: Event, choices: dict[str, Any]) -> dict[str, Any]:
    try:
        if event.kind == Kind.BUDGET:
            projects = [rules.ProjectRow(p.pk, p.cost) for p in Project.objects.filter(event=event)]
            chosen = [int(x) for x in choices.get("projects", [])]
            return {"projects": rules.check_budget_ballot(rule=event.rule, budget=event.budget or 0,
                                                          max_choices=event.max_choices, projects=projects,
                                                          chosen=chosen)}
        if event.kind == Kind.POLL:
            questions = rules.question_rows(Question.objects.filter(event=event).prefetch_related("options"))
            return {"answers": rules.check_poll_ballot(questions, choices.get("answers", {}))}
    except (TypeError, ValueError):
        raise _fail("bad_ballot", _("The ballot is filled in wrongly.")) from None
    except rules.BallotRefused as exc:
        raise _refused(exc) from None
    raise _fail("no_ballot", _("This event has no ballot."))


def _shuffle_in(ballot_id: uuid.UUID, event_id: int) -> None:
    """One step of the inside-out Fisher–Yates shuffle: the new ballot swaps contents with a ballot picked
    at random among all of the event's (itself included), so the physical order of rows (SQLite's rowid,
    PostgreSQL's ctid) no longer follows the order people voted in, which Participation rows keep."""
    pivot = uuid.uuid4()
    base = Ballot.objects.select_for_update().filter(event_id=event_id).order_by("id")
    other = base.filter(id__gte=pivot).values("id", "choices", "token").first() or base.values(
        "id", "choices", "token").first()
    if other is None or other["id"] == ballot_id:
        return
    mine = Ballot.objects.select_for_update().filter(pk=ballot_id).values("choices", "token").get()
    Ballot.objects.filter(pk=other["id"]).update(choices=mine["choices"], token=None)
    Ballot.objects.filter(pk=ballot_id).update(choices=other["choices"], token=other["token"])
    if mine["token"] is not None:
        Ballot.objects.filter(pk=other["id"]).update(token=mine["token"])


def ballot_cast(*, user: User, event_id: int, choices: dict[str, Any]) -> bool:
    """Accept one ballot; True when it replaced the person's earlier ballot. A second ballot is refused
    unless the event lets ballots change until the end."""
    citizen = _verified_citizen(user)
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        raise _fail("not_found", _("No such event."), status=404)
    clean = check_choices(event, choices)
    with transaction.atomic():
        # No lock on the event: one person's ballot is guarded by Participation's unique key, and two
        # people's ballots never need to wait for each other except inside the shuffle.
        _open(event)
        _in_audience(event, citizen)
        token = ballot_token(citizen.pk, event.pk) if event.ballot_changeable else None
        today = timezone.localdate()
        try:
            with transaction.atomic():
                Participation.objects.create(event_id=event.pk, person=citizen, on=today)
        except IntegrityError:
            if not event.ballot_changeable:
                raise _fail("already_voted", _("You have already voted in this event; a ballot cannot be "
                                               "changed here."), status=409) from None
            changed = Ballot.objects.filter(event_id=event.pk, token=token).update(choices=clean)
            if not changed:
                raise _fail("ballot_lost", _("Your earlier ballot was not found; ask the organiser."),
                            status=409) from None
            _record(event, Actor(citizen, CITIZEN), Action.VOTE, event.state, {"replaced": True})
            return True
        ballot = Ballot.objects.create(event_id=event.pk, choices=clean, token=token)
        _shuffle_in(ballot.pk, event.pk)
        _record(event, Actor(citizen, CITIZEN), Action.VOTE, event.state)
    return False


def profile_save(*, user: User, territory_id: int | None, birth_year: int | None, notify: bool = True
                 ) -> CitizenProfile:
    citizen = _verified_citizen(user)
    if territory_id is not None and not Territory.objects.filter(pk=territory_id).exists():
        raise _fail("unknown_territory", _("Choose a territory from the list."), field="territory")
    this_year = timezone.localdate().year
    if birth_year is not None and not this_year - 120 <= birth_year <= this_year - 1:
        raise _fail("bad_year", _("Enter the year of birth, for example 1985."), field="birth_year")
    with transaction.atomic():
        profile, _created = CitizenProfile.objects.update_or_create(
            person=citizen, defaults={"territory_id": territory_id, "birth_year": birth_year, "notify": notify})
    return profile


# --- deadline control (seed 004 §4) ---------------------------------------------------------------------


def _end_of(day: dt.date) -> dt.datetime:
    return region_calendar().end_of_day(day)


def late_stage(event: Event, now: dt.datetime, rules_row: ParticipationSettings) -> list[tuple[str, dt.datetime]]:
    """The stages of ``event`` that are late at ``now``, with when each was due."""
    found: list[tuple[str, dt.datetime]] = []
    start_due = event.starts_at + dt.timedelta(hours=rules_row.start_grace_hours)
    if event.state in (State.DRAFT, State.MODERATION) and now > start_due:
        found.append((Lateness.Stage.START, start_due))
    finish_due = event.ends_at + dt.timedelta(hours=rules_row.finish_grace_hours)
    if event.state in (State.DRAFT, State.MODERATION, State.PUBLISHED) and now > finish_due:
        found.append((Lateness.Stage.FINISH, finish_due))
    results_due = _end_of(event.results_due_on)
    if event.state != State.RESULTS_PUBLISHED and now > results_due:
        found.append((Lateness.Stage.RESULTS, results_due))
    return found


def lateness_flag(*, event_id: int, stage: str, due_at: dt.datetime, now: dt.datetime) -> Lateness | None:
    """Record once that ``event_id`` is late at ``stage``; a second sweep finds it recorded."""
    with transaction.atomic():
        event = _locked(event_id)
        if Lateness.objects.filter(event=event, stage=stage).exists():
            return None
        responsible = event.created_by
        flag = Lateness.objects.create(event=event, organization_id=event.organization_id, stage=stage,
                                       due_at=due_at, detected_at=now, responsible=responsible)
        _record(event, Actor(None, SYSTEM), Action.FLAG_LATE, event.state,
                {"stage": stage, "due_at": due_at.isoformat()}, at=now)
        from otklik.participation.tasks import notify_late

        transaction.on_commit(lambda: notify_late.enqueue(flag.pk))
    return flag


def event_mark_announced(*, event_id: int, results: bool) -> None:
    """The notices of publication (or of results) are made; recorded so that they are made once."""
    with transaction.atomic():
        event = _locked(event_id)
        field = "results_announced" if results else "announced"
        if getattr(event, field):
            return
        setattr(event, field, True)
        event.save(update_fields=[field])
        _record(event, Actor(None, SYSTEM), Action.ANNOUNCE, event.state,
                {"announced": "results" if results else "event"})


def not_found_message() -> str:
    return _("No such event.")


def forbidden_message() -> str:
    return _("Your role does not allow this action on this event.")


def sign_in_message() -> str:
    return _("Sign in to take part.")
