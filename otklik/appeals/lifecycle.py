"""The one transition table of the appeal lifecycle: state × action → state, allowed roles, guard.

Views, the API and the sweeper all go through ``transition_for``; nothing sets ``state`` directly.
Guards live in services.py next to the data they check; the table names which actions need one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import Role


class Regime(models.TextChoices):
    POS = "pos", _("platform message")
    FZ59 = "fz59", _("appeal under 59-FZ")
    SOCIAL = "social", _("social network post")


class State(models.TextChoices):
    RECEIVED = "received", _("received")
    MODERATION = "moderation", _("moderation")
    COORDINATION = "coordination", _("coordination")
    EXECUTION = "execution", _("execution")
    POSTPONED = "postponed", _("postponed")
    APPROVAL = "approval", _("approval")
    APPROVED = "approved", _("approved, awaiting publication")
    ANSWERED = "answered", _("answered")
    CLOSED = "closed", _("closed")
    REJECTED = "rejected", _("rejected")
    LEFT_WITHOUT_ANSWER = "left_without_answer", _("left without an answer")
    TRANSFERRED = "transferred", _("transferred by competence")


OPEN_STATES = frozenset(
    {State.RECEIVED, State.MODERATION, State.COORDINATION, State.EXECUTION, State.POSTPONED,
     State.APPROVAL, State.APPROVED}
)


class Action(models.TextChoices):
    SUBMIT = "submit", _("submit")
    REGISTER = "register", _("register")
    ACCEPT = "accept", _("accept")
    REJECT = "reject", _("reject")
    RECLASSIFY = "reclassify", _("change category")
    ROUTE = "route", _("route to an organisation")
    REDIRECT = "redirect", _("redirect to another organisation")
    RETURN_TO_MODERATION = "return_to_moderation", _("return to moderation (not our competence)")
    ASSIGN = "assign", _("assign an executor")
    DRAFT = "draft", _("save a draft answer")
    INTERMEDIATE = "intermediate", _("intermediate answer")
    POSTPONE = "postpone", _("postpone")
    SEND_FOR_APPROVAL = "send_for_approval", _("send for approval")
    APPROVE = "approve", _("approve")
    RETURN_FOR_REWORK = "return_for_rework", _("return for rework")
    PUBLISH = "publish", _("publish the answer")
    RATE = "rate", _("rate the answer")
    RECONSIDER = "reconsider", _("reconsider")
    CLOSE = "close", _("close")
    EXTEND = "extend", _("extend the term")
    LEAVE_WITHOUT_ANSWER = "leave_without_answer", _("leave without an answer")
    TRANSFER = "transfer", _("transfer by competence")
    PROPOSE_POSTPONEMENT = "propose_postponement", _("propose a postponement")
    DECLINE_POSTPONEMENT = "decline_postponement", _("decline the proposed postponement")
    MARK_SIGNIFICANT = "mark_significant", _("mark as socially significant")
    CLEAR_SIGNIFICANT = "clear_significant", _("clear the socially significant mark")
    RESOLVE = "resolve", _("record that the problem is solved")
    COMMENT = "comment", _("add a comment")


# Pseudo-roles of actors that are not staff members of an organisation.
SYSTEM = "system"
APPLICANT = "applicant"

ALL_REGIMES = frozenset(Regime)
ONLY_FZ59 = frozenset({Regime.FZ59})


@dataclass(frozen=True)
class Transition:
    action: Action
    source: State
    target: State
    roles: frozenset[str]
    regimes: frozenset[str] = ALL_REGIMES
    # The actor must be the appeal's executor (or stand in for them), not just any executor.
    own_executor: bool = False


def _t(
    action: Action,
    sources: tuple[State, ...],
    target: State | None,
    roles: tuple[str, ...],
    **options: object,
) -> list[Transition]:
    """Rows for one action from several source states; target None means "stays where it is"."""
    return [
        Transition(action=action, source=source, target=target or source, roles=frozenset(roles), **options)  # type: ignore[arg-type]
        for source in sources
    ]


R = Role
WORKING = (State.EXECUTION, State.POSTPONED)
HELD = (State.COORDINATION, State.EXECUTION, State.POSTPONED)
MODERATORS = (R.MODERATOR, R.REGIONAL_COORDINATOR)
STAFF_FLAGGERS = (R.MODERATOR, R.COORDINATOR, R.HEAD, R.REGIONAL_COORDINATOR)
NOT_FZ59 = frozenset({Regime.POS, Regime.SOCIAL})

TABLE: dict[tuple[State, Action], Transition] = {
    (row.source, row.action): row
    for row in [
        *_t(Action.REGISTER, (State.RECEIVED,), State.MODERATION, (SYSTEM, *MODERATORS)),
        *_t(Action.ACCEPT, (State.MODERATION,), State.COORDINATION, (SYSTEM, *MODERATORS)),
        *_t(Action.ROUTE, (State.MODERATION, State.COORDINATION), State.COORDINATION, MODERATORS),
        # A 59-FZ appeal is never "rejected" like a platform message: only Art. 11 grounds end it.
        *_t(Action.REJECT, (State.MODERATION,), State.REJECTED, MODERATORS, regimes=NOT_FZ59),
        *_t(Action.RECLASSIFY, (State.MODERATION, State.COORDINATION), None, (*MODERATORS, R.COORDINATOR)),
        *_t(Action.REDIRECT, HELD, State.COORDINATION, (R.COORDINATOR, R.HEAD, R.REGIONAL_COORDINATOR)),
        *_t(Action.RETURN_TO_MODERATION, HELD, State.MODERATION, (R.COORDINATOR, R.HEAD, R.REGIONAL_COORDINATOR)),
        *_t(Action.ASSIGN, (State.COORDINATION, State.EXECUTION), State.EXECUTION,
            (R.COORDINATOR, R.REGIONAL_COORDINATOR)),
        *_t(Action.ASSIGN, (State.POSTPONED,), None, (R.COORDINATOR, R.REGIONAL_COORDINATOR)),
        *_t(Action.DRAFT, WORKING, None, (R.EXECUTOR,), own_executor=True),
        *_t(Action.INTERMEDIATE, WORKING, None, (R.EXECUTOR, R.COORDINATOR)),
        # Postponing moves a legal date: the executor proposes, the confirming role (region setting:
        # coordinator or head, checked by the service) decides; a coordinator may also decide at once.
        *_t(Action.PROPOSE_POSTPONEMENT, WORKING, None, (R.EXECUTOR, R.COORDINATOR), regimes=NOT_FZ59),
        *_t(Action.POSTPONE, WORKING, State.POSTPONED, (R.COORDINATOR, R.HEAD), regimes=NOT_FZ59),
        *_t(Action.DECLINE_POSTPONEMENT, WORKING, None, (R.COORDINATOR, R.HEAD), regimes=NOT_FZ59),
        *_t(Action.SEND_FOR_APPROVAL, WORKING, State.APPROVAL, (R.EXECUTOR,), own_executor=True),
        *_t(Action.APPROVE, (State.APPROVAL,), State.APPROVED, (R.HEAD,)),
        *_t(Action.RETURN_FOR_REWORK, (State.APPROVAL, State.APPROVED), State.EXECUTION, (R.HEAD,)),
        # The executor prepares and places the answer after approval (seed 001 §8, seed 002 §4).
        *_t(Action.PUBLISH, (State.APPROVED,), State.ANSWERED, (R.EXECUTOR, R.HEAD, R.COORDINATOR, *MODERATORS),
            own_executor=True),
        *_t(Action.RATE, (State.ANSWERED,), None, (APPLICANT,)),
        *_t(Action.RECONSIDER, (State.ANSWERED, State.CLOSED), State.EXECUTION, (SYSTEM, *MODERATORS)),
        *_t(Action.CLOSE, (State.ANSWERED,), State.CLOSED, (SYSTEM, *MODERATORS)),
        *_t(Action.EXTEND, (State.COORDINATION, *WORKING, State.APPROVAL), None, (R.HEAD,), regimes=ONLY_FZ59),
        *_t(Action.LEAVE_WITHOUT_ANSWER, (State.COORDINATION, *WORKING, State.APPROVAL), State.LEFT_WITHOUT_ANSWER,
            (R.HEAD,), regimes=ONLY_FZ59),
        *_t(Action.LEAVE_WITHOUT_ANSWER, (State.MODERATION,), State.LEFT_WITHOUT_ANSWER, MODERATORS,
            regimes=ONLY_FZ59),
        *_t(Action.TRANSFER, HELD, State.TRANSFERRED, (R.COORDINATOR, R.HEAD), regimes=ONLY_FZ59),
        # Socially significant (seed 001 §11, seed 002 §12): staff set and clear it on any open appeal.
        *_t(Action.MARK_SIGNIFICANT, tuple(sorted(OPEN_STATES)), None, STAFF_FLAGGERS),
        *_t(Action.CLEAR_SIGNIFICANT, tuple(sorted(OPEN_STATES)), None, STAFF_FLAGGERS),
        # The promised work is done (seed 004 §4); it may come after the answer.
        *_t(Action.RESOLVE, (*WORKING, State.APPROVAL, State.APPROVED, State.ANSWERED, State.CLOSED), None,
            (R.EXECUTOR, R.COORDINATOR, R.HEAD, R.REGIONAL_COORDINATOR)),
        # The applicant adds a comment or a photo to their own open message (FixMyStreet's "updates").
        *_t(Action.COMMENT, tuple(sorted(OPEN_STATES)), None, (APPLICANT,)),
    ]
}


def transition_for(state: str, action: str, regime: str) -> Transition | None:
    row = TABLE.get((State(state), Action(action)))
    if row is None or regime not in row.regimes:
        return None
    return row


def actions_from(state: str, regime: str) -> list[Transition]:
    return [row for (source, _action), row in TABLE.items() if source == state and regime in row.regimes]
