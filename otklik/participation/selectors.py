"""Reads of public participation. Citizens see events once published; staff see their organisations'
events (region-wide roles see all) — another organisation's staff get None, which pages turn into 404.
Ballots are read only to count them: no selector returns a ballot next to a person."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from otklik.accounts.models import Role, User
from otklik.accounts.permissions import capacities
from otklik.participation import ballots as rules
from otklik.participation.lifecycle import State
from otklik.participation.models import (
    Ballot,
    CitizenProfile,
    Comment,
    Event,
    EventEntry,
    Kind,
    Lateness,
    Paragraph,
    Participation,
    ParticipationSettings,
    Project,
    Question,
)
from otklik.registry.models import Organization, Territory

PUBLIC_STATES = (State.PUBLISHED, State.FINISHED, State.RESULTS_PUBLISHED)
# Who sees an organisation's events in the workspace and may recount them.
STAFF_ROLES = frozenset({Role.AUTHORISED, Role.HEAD, Role.COORDINATOR})


def participation_settings() -> ParticipationSettings:
    found = ParticipationSettings.objects.order_by("pk").first()
    if found is None:
        from otklik.participation.services import participation_settings_create_default

        found = participation_settings_create_default()
    return found


# --- citizens -------------------------------------------------------------------------------------------


def public_events(*, kind: str | None = None) -> QuerySet[Event]:
    queryset = Event.objects.filter(state__in=PUBLIC_STATES).select_related("organization", "topic")
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("-starts_at", "-id")


def public_event(event_id: int) -> Event | None:
    return public_events().filter(pk=event_id).prefetch_related("territories").first()


def public_paragraphs(event: Event) -> list[Paragraph]:
    accepted = Comment.objects.filter(status=Comment.Status.ACCEPTED).order_by("-supports", "created_at")
    return list(Paragraph.objects.filter(event=event).prefetch_related(Prefetch("comments", queryset=accepted)))


def my_pending_comments(user: User, event: Event) -> list[Comment]:
    if not user.is_authenticated:
        return []
    return list(Comment.objects.filter(paragraph__event=event, author=user).exclude(
        status=Comment.Status.ACCEPTED).select_related("paragraph"))


def projects(event: Event) -> list[Project]:
    return list(Project.objects.filter(event=event).select_related("territory"))


def questions(event: Event) -> list[Question]:
    return list(Question.objects.filter(event=event).prefetch_related("options"))


def has_taken_part(user: User, event: Event) -> bool:
    return user.is_authenticated and Participation.objects.filter(event_id=event.pk, person_id=user.pk).exists()


def my_ballot(user: User, event: Event) -> dict[str, Any] | None:
    """A citizen's own current ballot, where ballots may be changed (only the token finds it)."""
    if not (user.is_authenticated and event.ballot_changeable and has_taken_part(user, event)):
        return None
    from otklik.participation.services import ballot_token

    found = Ballot.objects.filter(event_id=event.pk, token=ballot_token(user.pk, event.pk)).values_list(
        "choices", flat=True).first()
    return found if isinstance(found, dict) else None


def profile(user: User) -> CitizenProfile | None:
    if not user.is_authenticated:
        return None
    return CitizenProfile.objects.filter(person=user).select_related("territory").first()


# --- counting ------------------------------------------------------------------------------------------


def _ballot_contents(event_id: int) -> Iterator[dict[str, Any]]:
    yield from Ballot.objects.filter(event_id=event_id).values_list("choices", flat=True).iterator(chunk_size=5000)


def count_event(event: Event) -> dict[str, Any]:
    """The count from the stored ballots alone (results, the auditor's recount)."""
    participants = Participation.objects.filter(event_id=event.pk).count()
    if event.kind == Kind.BUDGET:
        rows = [rules.ProjectRow(p.pk, p.cost, p.title) for p in Project.objects.filter(event=event)]
        result = rules.count_budget(budget=event.budget or 0, projects=rows, ballots=_ballot_contents(event.pk))
        return {"kind": event.kind, "rule": event.rule, "budget": event.budget, "ballots": result.ballots,
                "participants": participants, "votes": {str(k): v for k, v in result.votes.items()},
                "funded": result.funded, "spent": result.spent}
    if event.kind == Kind.POLL:
        rows_q = rules.question_rows(Question.objects.filter(event=event).prefetch_related("options"))
        poll = rules.count_poll(rows_q, _ballot_contents(event.pk))
        return {"kind": event.kind, "participants": participants, **poll}
    comments = Comment.objects.filter(paragraph__event=event)
    return {"kind": event.kind, "participants": participants, "ballots": 0,
            "comments": comments.filter(status=Comment.Status.ACCEPTED).count(),
            "rejected_comments": comments.filter(status=Comment.Status.REJECTED).count(),
            "commenters": comments.values("author_id").distinct().count()}


@dataclass
class Recount:
    event: Event
    fresh: dict[str, Any]
    published: dict[str, Any]
    ballots: int
    participants: int

    @property
    def matches(self) -> bool:
        keys = ("ballots", "votes", "funded", "questions")
        return all(self.fresh.get(k) == self.published.get(k) for k in keys) if self.published else True

    @property
    def ballots_match_participants(self) -> bool:
        return self.event.kind not in (Kind.BUDGET, Kind.POLL) or self.ballots == self.participants


def recount(event: Event) -> Recount:
    """Count again from the stored ballots and compare with the published results and with the number
    of people recorded as having voted (one ballot per person)."""
    fresh = count_event(event)
    return Recount(event=event, fresh=fresh, published=event.results or {}, ballots=fresh.get("ballots", 0),
                   participants=fresh["participants"])


# --- staff ---------------------------------------------------------------------------------------------


def _staff_orgs(user: User) -> frozenset[int] | None:
    """None for region-wide roles (every organisation), else the organisations the user works for."""
    caps = capacities(user)
    if any(cap.region_wide for cap in caps):
        return None
    return frozenset(cap.organization_id for cap in caps if cap.role in STAFF_ROLES)


def may_use_workspace(user: User) -> bool:
    """Any official opens the list (an executor sees it empty); events show only to the roles above."""
    return bool(capacities(user))


def staff_events(user: User, *, state: str | None = None) -> QuerySet[Event]:
    orgs = _staff_orgs(user)
    queryset = Event.objects.select_related("organization", "topic")
    if orgs is not None:
        queryset = queryset.filter(organization_id__in=sorted(orgs))
    if state:
        queryset = queryset.filter(state=state)
    return queryset.annotate(late_stages=Count("lateness", distinct=True)).order_by("-starts_at", "-id")


def territory_choices() -> QuerySet[Territory]:
    """Territories a budget project may be placed in: every one, by name."""
    return Territory.objects.order_by("name")


def staff_event(user: User, event_id: int) -> Event | None:
    return staff_events(user).filter(pk=event_id).prefetch_related("territories").first()


def organiser_organizations(user: User) -> list[Organization]:
    ids = {cap.organization_id for cap in capacities(user) if cap.role == Role.AUTHORISED}
    return list(Organization.objects.filter(pk__in=sorted(ids), is_active=True))


def comments_to_moderate(user: User, event: Event) -> list[Comment]:
    if staff_event(user, event.pk) is None:
        return []
    return list(Comment.objects.filter(paragraph__event=event).select_related("paragraph").order_by(
        "status", "created_at"))


def journal(user: User, event: Event) -> list[EventEntry]:
    if staff_event(user, event.pk) is None:
        return []
    return list(EventEntry.objects.filter(event=event).exclude(action="vote").select_related("actor").order_by(
        "-at", "-id")[:200])


def staff_paragraphs(user: User, event: Event) -> list[Paragraph]:
    if staff_event(user, event.pk) is None:
        return []
    return list(Paragraph.objects.filter(event=event).annotate(
        accepted=Count("comments", filter=Q(comments__status=Comment.Status.ACCEPTED))))


def visible_lateness(user: User, *, organization_id: int | None = None, date_from: dt.date | None = None,
                     date_to: dt.date | None = None) -> QuerySet[Lateness]:
    """Late participation events for the disciplinary register, scoped like the register itself."""
    orgs = _staff_orgs(user)
    queryset = Lateness.objects.select_related("event", "organization", "responsible")
    if orgs is not None:
        queryset = queryset.filter(organization_id__in=sorted(orgs))
    if organization_id:
        queryset = queryset.filter(organization_id=organization_id)
    tz = timezone.get_current_timezone()
    if date_from:
        queryset = queryset.filter(detected_at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=tz))
    if date_to:
        queryset = queryset.filter(detected_at__lt=dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min,
                                                                        tzinfo=tz))
    return queryset.order_by("-detected_at", "-id")


def due_for_control(now: dt.datetime) -> QuerySet[Event]:
    """Events that may be late at ``now``: not yet through to published results, past some date."""
    return Event.objects.exclude(state=State.RESULTS_PUBLISHED).filter(
        Q(starts_at__lt=now) | Q(results_due_on__lt=timezone.localdate(now)))


def unannounced_events() -> list[int]:
    return list(Event.objects.filter(state__in=PUBLIC_STATES, announced=False).values_list("pk", flat=True))


def unannounced_results() -> list[int]:
    return list(Event.objects.filter(state=State.RESULTS_PUBLISHED, results_announced=False).values_list(
        "pk", flat=True))


def audience(event: Event) -> QuerySet[User]:
    """Citizens who asked to hear of events in their territory and live in the event's territories
    (every such citizen when the event is for the whole region)."""
    people = User.objects.filter(participation_profile__notify=True, is_active=True).exclude(email="")
    wanted = list(event.territories.values_list("pk", flat=True))
    if wanted:
        people = people.filter(Q(participation_profile__territory_id__in=wanted)
                               | Q(participation_profile__territory__parent_id__in=wanted)
                               | Q(participation_profile__territory__parent__parent_id__in=wanted))
    return people.order_by("pk")


def participants(event: Event) -> QuerySet[User]:
    ids = Participation.objects.filter(event_id=event.pk).values("person_id")
    commenters = Comment.objects.filter(paragraph__event=event).values("author_id")
    return User.objects.filter(Q(pk__in=ids) | Q(pk__in=commenters), is_active=True).exclude(email="").order_by("pk")


def authorised_people(organization_id: int) -> QuerySet[User]:
    return User.objects.filter(memberships__organization_id=organization_id,
                               memberships__role=Role.AUTHORISED).distinct()
