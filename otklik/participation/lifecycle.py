"""The one transition table of a participation event: state × action → state, and who may do it.

Services go through ``transition_for``; nothing sets ``Event.state`` directly. Guards that depend on
data (the region requires approval, the end has come) live in services.py and are named here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import Role


class State(models.TextChoices):
    DRAFT = "draft", _("draft")
    MODERATION = "moderation", _("awaiting approval")
    PUBLISHED = "published", _("published")
    FINISHED = "finished", _("finished")
    RESULTS_PUBLISHED = "results_published", _("results published")


class Action(models.TextChoices):
    CREATE = "create", _("create")
    EDIT = "edit", _("edit")
    SUBMIT = "submit", _("send for approval")
    APPROVE = "approve", _("approve and publish")
    RETURN = "return", _("return for changes")
    PUBLISH = "publish", _("publish")
    FINISH = "finish", _("finish")
    PUBLISH_RESULTS = "publish_results", _("publish the results")
    MODERATE = "moderate", _("moderate a comment")
    ANSWER = "answer", _("answer a comment")
    SUMMARISE = "summarise", _("summarise a paragraph")
    FLAG_LATE = "flag_late", _("record a late stage")
    ANNOUNCE = "announce", _("send the notices")
    VOTE = "vote", _("cast a ballot")
    COMMENT = "comment", _("comment on a paragraph")


SYSTEM = "system"
CITIZEN = "citizen"

R = Role
ORGANISERS = (R.AUTHORISED,)
APPROVERS = (R.REGIONAL_COORDINATOR,)


@dataclass(frozen=True)
class Transition:
    action: Action
    source: State
    target: State
    roles: frozenset[str]
    # "no_approval": only where the region does not require the coordinator's approval;
    # "ended": only once the end of the event has come.
    guard: str = ""


def _t(action: Action, sources: tuple[State, ...], target: State | None, roles: tuple[str, ...],
       guard: str = "") -> list[Transition]:
    return [Transition(action, source, target or source, frozenset(roles), guard) for source in sources]


OPEN_FOR_COMMENTS = (State.PUBLISHED,)
PUBLIC = (State.PUBLISHED, State.FINISHED, State.RESULTS_PUBLISHED)

TABLE: dict[tuple[State, Action], Transition] = {
    (row.source, row.action): row
    for row in [
        *_t(Action.EDIT, (State.DRAFT,), None, ORGANISERS),
        *_t(Action.SUBMIT, (State.DRAFT,), State.MODERATION, ORGANISERS),
        *_t(Action.PUBLISH, (State.DRAFT,), State.PUBLISHED, ORGANISERS, guard="no_approval"),
        *_t(Action.APPROVE, (State.MODERATION,), State.PUBLISHED, APPROVERS),
        *_t(Action.RETURN, (State.MODERATION,), State.DRAFT, APPROVERS),
        *_t(Action.FINISH, (State.PUBLISHED,), State.FINISHED, ORGANISERS, guard="ended"),
        *_t(Action.PUBLISH_RESULTS, (State.FINISHED,), State.RESULTS_PUBLISHED, ORGANISERS),
        *_t(Action.MODERATE, (State.PUBLISHED, State.FINISHED), None, (R.MODERATOR, *ORGANISERS)),
        *_t(Action.ANSWER, (State.PUBLISHED, State.FINISHED), None, ORGANISERS),
        *_t(Action.SUMMARISE, (State.FINISHED,), None, ORGANISERS),
        *_t(Action.FLAG_LATE, tuple(State), None, (SYSTEM,)),
        *_t(Action.ANNOUNCE, PUBLIC, None, (SYSTEM,)),
        *_t(Action.VOTE, (State.PUBLISHED,), None, (CITIZEN,)),
        *_t(Action.COMMENT, (State.PUBLISHED,), None, (CITIZEN,)),
    ]
}


def transition_for(state: str, action: str) -> Transition | None:
    return TABLE.get((State(state), Action(action)))


def actions_from(state: str) -> list[Transition]:
    return [row for (source, _action), row in TABLE.items() if source == state]
