"""How deadlines, events and states look on staff pages: time left, a colour, Russian wording."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from otklik.accounts.models import Role
from otklik.appeals.lifecycle import APPLICANT, SYSTEM, Action, Regime, State
from otklik.appeals.models import Appeal, AppealEvent, Stage

QUEUE_TEXTS: dict[str, tuple[Any, Any]] = {
    "moderation": (gettext_lazy("Incoming"), gettext_lazy("New messages and appeals to accept, reject or route.")),
    "social": (gettext_lazy("Messages from social networks"),
               gettext_lazy("Messages taken from social network posts, waiting to be routed.")),
    "distribute": (gettext_lazy("To distribute"), gettext_lazy("Appeals of the organisation that need an executor.")),
    "needs_executor": (gettext_lazy("Postponed, executor needed"), gettext_lazy(
        "Postponed appeals with no more than 75 percent of the postponed term left: assign an executor again.")),
    "postponement_proposals": (gettext_lazy("Proposed postponements"), gettext_lazy(
        "Executors propose to postpone these answers: confirm the new date or decline it.")),
    "significant": (gettext_lazy("Socially significant"),
                    gettext_lazy("Open appeals marked as socially significant.")),
    "approaching": (gettext_lazy("Deadline approaching"), gettext_lazy("Open appeals whose deadline is near.")),
    "overdue": (gettext_lazy("Overdue"), gettext_lazy("Open appeals past their deadline.")),
    "redirected": (gettext_lazy("Redirected to us"),
                   gettext_lazy("Appeals other organisations passed to us by competence.")),
    "mine": (gettext_lazy("My appeals"), gettext_lazy("Appeals I execute, nearest deadline first.")),
    "approval": (gettext_lazy("Awaiting approval"), gettext_lazy("Answers to approve or return for rework.")),
    "publication": (gettext_lazy("To publish"), gettext_lazy("Approved answers to send to the applicant.")),
    "region": (gettext_lazy("Whole region"), gettext_lazy("Every open appeal of the region.")),
    "region_overdue": (gettext_lazy("Overdue in the region"),
                       gettext_lazy("Open appeals of the region past their deadline.")),
}


def queue_title(key: str) -> str:
    return str(QUEUE_TEXTS.get(key, (key, ""))[0])


def queue_hint(key: str) -> str:
    return str(QUEUE_TEXTS.get(key, ("", ""))[1])


# Share of a term left below which a deadline turns amber.
WARN_SHARE = 0.2


def span(delta: dt.timedelta) -> str:
    """A duration in words: "3 дня 4 часа", "5 часов 10 минут", "12 минут"."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts: list[str] = []
    if days:
        parts.append(ngettext("%(count)d day", "%(count)d days", days) % {"count": days})
        if hours and days < 3:
            parts.append(ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours})
    elif hours:
        parts.append(ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours})
        if mins:
            parts.append(ngettext("%(count)d minute", "%(count)d minutes", mins) % {"count": mins})
    else:
        parts.append(ngettext("%(count)d minute", "%(count)d minutes", mins) % {"count": mins})
    return " ".join(parts)


@dataclass(frozen=True)
class Deadline:
    label: str
    at: dt.datetime | dt.date | None
    left: str
    tone: str  # ok | warn | bad | muted

    @property
    def is_date(self) -> bool:
        return isinstance(self.at, dt.date) and not isinstance(self.at, dt.datetime)


def deadline(label: str, due: dt.datetime | None, *, now: dt.datetime, start: dt.datetime | None = None,
             warn_at: dt.datetime | None = None, running: bool = True) -> Deadline:
    if due is None:
        return Deadline(label=label, at=None, left="—", tone="muted")
    if not running:
        return Deadline(label=label, at=due, left="", tone="muted")
    if due < now:
        return Deadline(label=label, at=due, left=_("overdue by %(span)s") % {"span": span(now - due)}, tone="bad")
    left = _("%(span)s left") % {"span": span(due - now)}
    near = warn_at is not None and warn_at <= now
    if start is not None and due > start:
        near = near or (due - now) / (due - start) < WARN_SHARE
    elif due - now < dt.timedelta(days=1):
        near = True
    return Deadline(label=label, at=due, left=left, tone="warn" if near else "ok")


def due_tone(appeal: Appeal, now: dt.datetime) -> Deadline:
    """The answer deadline of a queue row."""
    return deadline(_("Answer due"), appeal.due_at, now=now, start=appeal.term_started_at, warn_at=appeal.warn_at,
                    running=appeal.is_open)


def appeal_deadlines(appeal: Appeal, *, now: dt.datetime | None = None) -> list[Deadline]:
    """Every deadline of the appeal that applies now, with time left and a colour."""
    now = now or timezone.now()
    rows = [due_tone(appeal, now)]
    if appeal.is_open and appeal.stage and appeal.stage_due_at:
        stage = Stage(appeal.stage).label if appeal.stage in Stage.values else appeal.stage
        rows.append(deadline(_("Stage «%(stage)s» due") % {"stage": stage}, appeal.stage_due_at, now=now,
                             start=appeal.state_changed_at))
    if appeal.regime == Regime.FZ59 and appeal.redirect_due_at and appeal.state in {
        State.COORDINATION, State.EXECUTION, State.POSTPONED
    }:
        rows.append(deadline(_("Redirect by competence allowed until"), appeal.redirect_due_at, now=now,
                             start=appeal.registered_at))
    if appeal.state == State.POSTPONED and appeal.postponed_until:
        rows.append(Deadline(label=_("Postponed until"), at=appeal.postponed_until, left="", tone="muted"))
    if appeal.state == State.POSTPONED and appeal.executor_alarm_at:
        alarm = appeal.executor_alarm_at
        if alarm <= now:
            rows.append(Deadline(label=_("Needs an executor (75 percent rule)"), at=alarm, left=_("now"), tone="bad"))
        else:
            rows.append(Deadline(label=_("Needs an executor (75 percent rule)"), at=alarm,
                                 left=_("in %(span)s") % {"span": span(alarm - now)}, tone="ok"))
    if appeal.is_open and appeal.proposed_until:
        who = appeal.proposed_by.display_name if appeal.proposed_by else ""
        rows.append(Deadline(label=_("Postponement proposed until"), at=appeal.proposed_until,
                             left=f"{who}: {appeal.proposed_reason}" if who else appeal.proposed_reason, tone="warn"))
    if appeal.resolution_on and appeal.resolution_due_at:
        if appeal.resolved_at:
            rows.append(Deadline(label=_("Problem solved"), at=appeal.resolved_at, left="", tone="muted"))
        else:
            rows.append(deadline(_("Problem to be solved by"), appeal.resolution_due_at, now=now))
    return rows


def role_label(role: str) -> str:
    if role == SYSTEM:
        return _("system")
    if role == APPLICANT:
        return _("applicant")
    return str(Role(role).label) if role in Role.values else role


def state_label(state: str) -> str:
    return str(State(state).label) if state in State.values else ""


# What happened, as a person says it in the history and after an action («Принято», not «принять»).
DONE_TEXTS: dict[str, Any] = {
    Action.SUBMIT: gettext_lazy("Message submitted"),
    Action.REGISTER: gettext_lazy("Registered"),
    Action.ACCEPT: gettext_lazy("Accepted and sent to the organisation"),
    Action.REJECT: gettext_lazy("Not accepted for consideration"),
    Action.RECLASSIFY: gettext_lazy("Category changed"),
    Action.ROUTE: gettext_lazy("Sent to the organisation"),
    Action.REDIRECT: gettext_lazy("Redirected to another organisation"),
    Action.RETURN_TO_MODERATION: gettext_lazy("Returned to moderation as not our competence"),
    Action.ASSIGN: gettext_lazy("Executor assigned"),
    Action.DRAFT: gettext_lazy("Draft answer saved"),
    Action.INTERMEDIATE: gettext_lazy("Intermediate answer given"),
    Action.POSTPONE: gettext_lazy("Answer postponed"),
    Action.SEND_FOR_APPROVAL: gettext_lazy("Answer sent for approval"),
    Action.APPROVE: gettext_lazy("Answer approved"),
    Action.RETURN_FOR_REWORK: gettext_lazy("Answer returned for rework"),
    Action.PUBLISH: gettext_lazy("Answer published"),
    Action.RATE: gettext_lazy("The applicant rated the answer"),
    Action.RECONSIDER: gettext_lazy("Sent for a new consideration"),
    Action.CLOSE: gettext_lazy("Closed"),
    Action.EXTEND: gettext_lazy("Term extended"),
    Action.LEAVE_WITHOUT_ANSWER: gettext_lazy("Left without an answer"),
    Action.TRANSFER: gettext_lazy("Forwarded to the competent body"),
    Action.PROPOSE_POSTPONEMENT: gettext_lazy("Postponement proposed"),
    Action.DECLINE_POSTPONEMENT: gettext_lazy("Proposed postponement declined"),
    Action.MARK_SIGNIFICANT: gettext_lazy("Marked as socially significant"),
    Action.CLEAR_SIGNIFICANT: gettext_lazy("Socially significant mark cleared"),
    Action.RESOLVE: gettext_lazy("Problem recorded as solved"),
    Action.COMMENT: gettext_lazy("The applicant added a comment"),
}


def action_label(action: str) -> str:
    """The event in the history, in the past tense; an unknown code as it is."""
    if action in DONE_TEXTS:
        return str(DONE_TEXTS[action])
    return str(Action(action).label) if action in Action.values else action


@dataclass(frozen=True)
class HistoryRow:
    at: dt.datetime
    action: str
    actor: str
    role: str
    acting_for: str
    change: str
    reason: str
    details: list[str]
    # The text of an answer as it was published: earlier answers stay readable after a reconsideration.
    answer: str = ""


def history_rows(events: Any, *, names: dict[str, dict[int, str]]) -> list[HistoryRow]:
    """Events as lines of the card's history. ``names`` maps payload ids to names
    ({"organization": {id: name}, "user": {id: name}, "category": {id: name}})."""
    rows = []
    for event in events:
        payload = event.payload or {}
        details = []
        if payload.get("organization_id"):
            details.append(_("organisation: %(name)s")
                           % {"name": names["organization"].get(payload["organization_id"], "—")})
        if payload.get("executor_id"):
            details.append(_("executor: %(name)s") % {"name": names["user"].get(payload["executor_id"], "—")})
        if payload.get("category_id"):
            details.append(_("category: %(name)s") % {"name": names["category"].get(payload["category_id"], "—")})
        if payload.get("until"):
            details.append(_("until %(date)s") % {"date": dt.date.fromisoformat(payload["until"]).strftime("%d.%m.%Y")})
        if payload.get("planned_date"):
            details.append(_("planned date %(date)s")
                           % {"date": dt.date.fromisoformat(payload["planned_date"]).strftime("%d.%m.%Y")})
        if payload.get("days"):
            details.append(ngettext("by %(count)d day", "by %(count)d days", payload["days"])
                           % {"count": payload["days"]})
        if payload.get("rating"):
            details.append(_("rating %(rating)s of 5") % {"rating": payload["rating"]})
        if payload.get("department"):
            details.append(_("to: %(name)s") % {"name": payload["department"]})
        if payload.get("resolution_on"):
            details.append(_("problem to be solved by %(date)s")
                           % {"date": dt.date.fromisoformat(payload["resolution_on"]).strftime("%d.%m.%Y")})
        if payload.get("attachments"):
            details.append(ngettext("%(count)d file attached", "%(count)d files attached", len(payload["attachments"]))
                           % {"count": len(payload["attachments"])})
        change = ""
        if event.from_state and event.from_state != event.to_state:
            change = f"{state_label(event.from_state)} → {state_label(event.to_state)}"
        rows.append(HistoryRow(
            at=event.at, action=action_label(event.action),
            actor=event.actor.display_name if event.actor_id and event.actor else "",
            role=role_label(event.role),
            acting_for=event.acting_for.display_name if event.acting_for_id and event.acting_for else "",
            change=change, reason=event.reason, details=details,
            answer=str(payload.get("answer", "")) if event.action == Action.PUBLISH else "",
        ))
    return rows


def history_names(events: list[AppealEvent]) -> dict[str, dict[int, str]]:
    """Names for the ids that events carry in their payloads, fetched in three queries at most."""
    from otklik.accounts.models import User
    from otklik.registry.models import Category, Organization

    org_ids: set[int] = set()
    user_ids: set[int] = set()
    category_ids: set[int] = set()
    for event in events:
        payload = event.payload or {}
        for key, bucket in (("organization_id", org_ids), ("from_organization_id", org_ids),
                            ("executor_id", user_ids), ("category_id", category_ids)):
            if isinstance(payload.get(key), int):
                bucket.add(payload[key])
    return {
        "organization": {o.pk: str(o) for o in Organization.objects.filter(pk__in=org_ids)} if org_ids else {},
        "user": {u.pk: u.display_name for u in User.objects.filter(pk__in=user_ids)} if user_ids else {},
        "category": {c.pk: c.name for c in Category.objects.filter(pk__in=category_ids)} if category_ids else {},
    }


def age(received_at: dt.datetime, now: dt.datetime) -> str:
    """How long ago the appeal came, in a queue's few characters: «40 мин», «5 ч», «12 дн.»."""
    seconds = max(0, int((now - received_at).total_seconds()))
    if seconds < 3600:
        return _("%(n)s min") % {"n": max(1, seconds // 60)}
    if seconds < 86400:
        return _("%(n)s h") % {"n": seconds // 3600}
    return _("%(n)s d") % {"n": seconds // 86400}


def short_name(user: Any) -> str:
    """«Иванова А. П.»: a person in a narrow column."""
    if not user.last_name:
        return str(user.display_name)
    initials = " ".join(f"{part[0]}." for part in (user.first_name, user.patronymic) if part)
    return f"{user.last_name} {initials}".strip()


def holder(appeal: Appeal) -> str:
    """Who has the appeal in hand now: the executor; before one is assigned, the moderators or the
    organisation's coordinator (the organisation has its own column where the list holds several)."""
    if appeal.executor_id and appeal.executor:
        return short_name(appeal.executor)
    if appeal.state in {State.RECEIVED, State.MODERATION}:
        return _("moderator")
    if appeal.organization_id:
        return _("coordinator")
    return "—"


def place(appeal: Appeal) -> str:
    parts = [str(appeal.territory) if appeal.territory_id and appeal.territory else "", appeal.address]
    return ", ".join(part for part in parts if part) or "—"
