"""JSON API of public participation (/api/participation/): public events and their results without
sign-in; a citizen's ballot with the session; organisers' actions and the auditor's recount for staff.
Errors are ParticipationError → {"code", "message", "field"} like every other router."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from otklik.accounts.models import User
from otklik.appeals.api import ErrorOut
from otklik.participation import selectors, services
from otklik.participation.lifecycle import State
from otklik.participation.models import Event, Kind
from otklik.participation.services import ParticipationError

router = Router(tags=["participation"])


class ProjectOut(Schema):
    id: int
    title: str
    description: str
    cost: int
    territory: str | None


class OptionOut(Schema):
    id: int
    text: str


class QuestionOut(Schema):
    id: int
    number: int
    text: str
    type: str
    required: bool
    scale_min: int
    scale_max: int
    options: list[OptionOut]
    show_if_question: int | None
    show_if_option: int | None


class EventItemOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    organization: str
    organization_id: int
    topic: str
    state: str
    state_label: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    results_due_on: dt.date


class ParticipationEventOut(EventItemOut):
    description: str
    territories: list[str]
    min_age: int | None
    rule: str
    max_choices: int | None
    budget: int | None
    ballot_changeable: bool
    paragraphs: list[dict[str, Any]]
    projects: list[ProjectOut]
    questions: list[QuestionOut]
    results: dict[str, Any] | None


class BallotIn(Schema):
    projects: list[int] | None = None
    answers: dict[str, Any] | None = None


class BallotOut(Schema):
    accepted: bool
    replaced: bool


class RecountOut(Schema):
    ballots: int
    participants: int
    ballots_match_participants: bool
    matches_published: bool
    count: dict[str, Any]


class ActionIn(Schema):
    reason: str = ""
    text: str = ""


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def _item(event: Event) -> dict[str, Any]:
    return {"id": event.pk, "kind": event.kind, "kind_label": event.get_kind_display(), "title": event.title,
            "organization": str(event.organization), "organization_id": event.organization_id,
            "topic": str(event.topic), "state": event.state, "state_label": event.get_state_display(),
            "starts_at": event.starts_at, "ends_at": event.ends_at, "results_due_on": event.results_due_on}


def _detail(event: Event) -> dict[str, Any]:
    paragraphs = []
    if event.kind in (Kind.DISCUSSION, Kind.HEARING):
        paragraphs = [{"id": p.pk, "number": p.number, "text": p.text, "summary": p.summary,
                       "comments": [{"id": c.pk, "text": c.text, "supports": c.supports, "answer": c.answer}
                                    for c in p.comments.all()]}
                      for p in selectors.public_paragraphs(event)]
    return {
        **_item(event), "description": event.description, "territories": [str(t) for t in event.territories.all()],
        "min_age": event.min_age, "rule": event.rule, "max_choices": event.max_choices, "budget": event.budget,
        "ballot_changeable": event.ballot_changeable, "paragraphs": paragraphs,
        "projects": [{"id": p.pk, "title": p.title, "description": p.description, "cost": p.cost,
                      "territory": str(p.territory) if p.territory else None} for p in selectors.projects(event)],
        "questions": [{"id": q.pk, "number": q.number, "text": q.text, "type": q.type, "required": q.required,
                       "scale_min": q.scale_min, "scale_max": q.scale_max,
                       "options": [{"id": o.pk, "text": o.text} for o in q.options.all()],
                       "show_if_question": q.show_if_question_id, "show_if_option": q.show_if_option_id}
                      for q in selectors.questions(event)],
        "results": event.results if event.state == State.RESULTS_PUBLISHED else None,
    }


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise ParticipationError("not_authenticated", services.sign_in_message(), status=401)
    return user


@router.get("/events", response=list[EventItemOut], auth=None, summary="Published events")
def event_list(request: HttpRequest, kind: str | None = None) -> list[dict[str, Any]]:
    return [_item(e) for e in selectors.public_events(kind=kind if kind in Kind.values else None)[:200]]


@router.get("/events/{event_id}", response={200: ParticipationEventOut, 404: ErrorOut}, auth=None, summary="One event")
def event_detail(request: HttpRequest, event_id: int) -> dict[str, Any]:
    event = selectors.public_event(event_id)
    if event is None:
        raise ParticipationError("not_found", services.not_found_message(), status=404)
    return _detail(event)


@router.post("/events/{event_id}/ballot", response={200: BallotOut, **ERRORS}, summary="Cast a ballot")
def ballot(request: HttpRequest, event_id: int, payload: BallotIn) -> dict[str, Any]:
    choices: dict[str, Any] = {}
    if payload.projects is not None:
        choices["projects"] = payload.projects
    if payload.answers is not None:
        choices["answers"] = payload.answers
    replaced = services.ballot_cast(user=_user(request), event_id=event_id, choices=choices)
    return {"accepted": True, "replaced": replaced}


@router.get("/manage/events", response={200: list[EventItemOut], 403: ErrorOut}, summary="Events of my organisations")
def manage_list(request: HttpRequest, state: str | None = None) -> list[dict[str, Any]]:
    user = _user(request)
    if not selectors.may_use_workspace(user):
        raise ParticipationError("forbidden", services.forbidden_message(), status=403)
    return [_item(e) for e in selectors.staff_events(user, state=state)[:500]]


def _staff_event(request: HttpRequest, event_id: int) -> tuple[User, Event]:
    user = _user(request)
    event = selectors.staff_event(user, event_id)
    if event is None:
        raise ParticipationError("not_found", services.not_found_message(), status=404)
    return user, event


ACTIONS = {
    "submit": lambda user, pk, body: services.event_submit(user=user, event_id=pk),
    "publish": lambda user, pk, body: services.event_publish(user=user, event_id=pk),
    "approve": lambda user, pk, body: services.event_approve(user=user, event_id=pk),
    "return": lambda user, pk, body: services.event_return(user=user, event_id=pk, reason=body.reason),
    "finish": lambda user, pk, body: services.event_finish(user=user, event_id=pk),
    "publish_results": lambda user, pk, body: services.event_publish_results(user=user, event_id=pk, text=body.text),
}


@router.post("/manage/events/{event_id}/do/{action}", response={200: EventItemOut, **ERRORS},
             summary="submit, publish, approve, return, finish or publish_results")
def manage_action(request: HttpRequest, event_id: int, action: str, payload: ActionIn) -> dict[str, Any]:
    user, event = _staff_event(request, event_id)
    if action not in ACTIONS:
        raise ParticipationError("unknown_action", services.not_found_message(), status=404)
    return _item(ACTIONS[action](user, event.pk, payload))


@router.get("/manage/events/{event_id}/recount", response={200: RecountOut, **ERRORS},
            summary="Recount from the stored ballots")
def recount(request: HttpRequest, event_id: int) -> dict[str, Any]:
    event = _staff_event(request, event_id)[1]
    result = selectors.recount(event)
    return {"ballots": result.ballots, "participants": result.participants,
            "ballots_match_participants": result.ballots_match_participants, "matches_published": result.matches,
            "count": result.fresh}
