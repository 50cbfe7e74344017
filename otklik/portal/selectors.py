"""What a citizen sees of an appeal: a plain status, the steps it went through (never staff names or
internal stages such as approval), the deadline and the answer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from otklik.accounts.models import User
from otklik.appeals.deadlines import explain_terms
from otklik.appeals.lifecycle import Action, State
from otklik.appeals.models import Appeal, AppealEvent
from otklik.intake.models import Attachment
from otklik.intake.selectors import my_appeals_q
from otklik.notifications.models import Notice
from otklik.registry.selectors import region_calendar, region_settings

# Steps the citizen follows; each state maps to the step it belongs to.
STEPS = ("received", "moderation", "organisation", "answer", "rating")
STEP_OF_STATE = {
    State.RECEIVED: "received", State.MODERATION: "moderation", State.COORDINATION: "organisation",
    State.EXECUTION: "organisation", State.POSTPONED: "organisation", State.APPROVAL: "organisation",
    State.APPROVED: "organisation", State.ANSWERED: "answer", State.CLOSED: "rating",
    State.REJECTED: "moderation", State.LEFT_WITHOUT_ANSWER: "answer", State.TRANSFERRED: "organisation",
}
VISIBLE_ACTIONS = {
    Action.SUBMIT, Action.REGISTER, Action.ACCEPT, Action.ROUTE, Action.REDIRECT, Action.RETURN_TO_MODERATION,
    Action.INTERMEDIATE, Action.POSTPONE, Action.PUBLISH, Action.RATE, Action.RECONSIDER, Action.CLOSE,
    Action.REJECT, Action.EXTEND, Action.LEAVE_WITHOUT_ANSWER, Action.TRANSFER, Action.ASSIGN, Action.RESOLVE,
    Action.COMMENT,
}


def step_labels() -> dict[str, str]:
    return {
        "received": _("Received"), "moderation": _("Checked"), "organisation": _("In the organisation"),
        "answer": _("Answer"), "rating": _("Your rating"),
    }


def citizen_status(appeal: Appeal) -> str:
    """The status in the citizen's words."""
    state = State(appeal.state)
    if state == State.POSTPONED and appeal.postponed_until:
        return _("The answer is postponed until %(date)s") % {"date": appeal.postponed_until.strftime("%d.%m.%Y")}
    if state == State.EXECUTION and appeal.reconsideration_count:
        return _("Considered again after your rating")
    labels = {
        State.RECEIVED: _("Received"),
        State.MODERATION: _("Checked by the moderator"),
        State.COORDINATION: _("Sent to the organisation"),
        State.EXECUTION: _("The organisation is working on it"),
        State.POSTPONED: _("The answer is postponed"),
        State.APPROVAL: _("The answer is being prepared"),
        State.APPROVED: _("The answer is being prepared"),
        State.ANSWERED: _("Answered: please rate the answer"),
        State.CLOSED: _("Closed"),
        State.REJECTED: _("Not accepted for consideration"),
        State.LEFT_WITHOUT_ANSWER: _("Left without an answer"),
        State.TRANSFERRED: _("Forwarded to the competent body"),
    }
    return labels[state]


def event_text(event: AppealEvent) -> str:
    texts: dict[Action, str] = {
        Action.SUBMIT: _("Message received"),
        Action.REGISTER: _("Registered"),
        Action.ACCEPT: _("Checked and sent to the organisation"),
        Action.ROUTE: _("Sent to the organisation"),
        Action.REDIRECT: _("Forwarded to another organisation"),
        Action.RETURN_TO_MODERATION: _("Returned for choosing the right organisation"),
        Action.ASSIGN: _("An executor is appointed"),
        Action.INTERMEDIATE: _("Intermediate answer"),
        Action.POSTPONE: _("Answer postponed"),
        Action.PUBLISH: _("Answer published"),
        Action.RATE: _("You rated the answer"),
        Action.RECONSIDER: _("Considered again"),
        Action.CLOSE: _("Closed"),
        Action.REJECT: _("Not accepted for consideration"),
        Action.EXTEND: _("Term extended"),
        Action.LEAVE_WITHOUT_ANSWER: _("Left without an answer"),
        Action.TRANSFER: _("Forwarded to the competent body"),
        Action.RESOLVE: _("The problem is solved"),
        Action.COMMENT: _("You added to the message"),
    }
    action = Action(event.action)
    return texts.get(action) or str(action.label)


@dataclass(frozen=True)
class Step:
    at: dt.datetime
    text: str
    detail: str


def timeline(appeal: Appeal) -> list[Step]:
    steps: list[Step] = []
    seen_assign = False
    for event in AppealEvent.objects.filter(appeal=appeal).order_by("at", "id"):
        action = Action(event.action)
        if action not in VISIBLE_ACTIONS:
            continue
        if action == Action.ASSIGN:
            if seen_assign:  # reassignments are internal
                continue
            seen_assign = True
        detail = ""
        if action == Action.POSTPONE and event.payload.get("until"):
            detail = _("New date: %(date)s") % {
                "date": dt.date.fromisoformat(event.payload["until"]).strftime("%d.%m.%Y")}
        elif action in {Action.REGISTER, Action.RECONSIDER, Action.EXTEND} and event.payload.get("due_at"):
            due = timezone.localtime(dt.datetime.fromisoformat(event.payload["due_at"]))
            detail = _("Answer due by %(date)s") % {"date": due.strftime("%d.%m.%Y")}
        elif action in {Action.PUBLISH, Action.INTERMEDIATE} and (
                event.payload.get("resolution_on") or event.payload.get("planned_date")):
            promised = dt.date.fromisoformat(event.payload.get("resolution_on") or event.payload["planned_date"])
            detail = _("The problem is to be solved by %(date)s") % {"date": promised.strftime("%d.%m.%Y")}
        elif action == Action.RATE and event.payload.get("rating"):
            detail = _("Rating: %(rating)s of 5") % {"rating": event.payload["rating"]}
        elif action in {Action.REJECT, Action.RECONSIDER, Action.LEAVE_WITHOUT_ANSWER} and event.reason:
            detail = event.reason
        elif action == Action.COMMENT:
            files = len(event.payload.get("attachments") or [])
            detail = " · ".join(part for part in (event.reason, ngettext(
                "%(n)s file", "%(n)s files", files) % {"n": files} if files else "") if part)
        steps.append(Step(at=event.at, text=event_text(event), detail=detail))
    return steps


@dataclass(frozen=True)
class EarlierAnswer:
    at: dt.datetime
    text: str
    rating: int | None
    comment: str


def earlier_answers(appeal: Appeal) -> list[EarlierAnswer]:
    """Answers given before a reconsideration, with the applicant's rating and comment on each: they
    stay visible to the applicant after the appeal is considered again."""
    answers: list[EarlierAnswer] = []
    for event in AppealEvent.objects.filter(appeal=appeal, action__in=[Action.PUBLISH, Action.RATE]).order_by(
            "at", "id"):
        if event.action == Action.PUBLISH:
            answers.append(EarlierAnswer(at=event.at, text=str(event.payload.get("answer", "")), rating=None,
                                         comment=""))
        elif answers:
            last = answers[-1]
            answers[-1] = EarlierAnswer(at=last.at, text=last.text, rating=event.payload.get("rating"),
                                        comment=str(event.payload.get("comment", "")))
    if answers and appeal.state in {State.ANSWERED, State.CLOSED}:
        answers.pop()  # the current answer is shown on its own
    return [answer for answer in answers if answer.text]


def expected_at(appeal: Appeal) -> dt.datetime | dt.date | None:
    """When the answer is expected: the postponed date or the deadline."""
    if appeal.state == State.POSTPONED and appeal.postponed_until:
        return appeal.postponed_until
    return appeal.due_at


def attachments_of(appeal: Appeal) -> QuerySet[Attachment]:
    return Attachment.objects.filter(appeal=appeal)


def my_appeals(user_id: int, email: str) -> QuerySet[Appeal]:
    return Appeal.objects.filter(my_appeals_q(user_id, email)).select_related("category").order_by("-received_at")


def my_notices(user_id: int, email: str) -> QuerySet[Notice]:
    qs = Notice.objects.filter(recipient_id=user_id)
    if email:
        qs = Notice.objects.filter(recipient_id=user_id) | Notice.objects.filter(email__iexact=email,
                                                                                 recipient__isnull=True)
    return qs.order_by("-created_at", "-id")


def submitted_with_key(intake_key: str) -> Appeal | None:
    """The appeal a form with this idempotency key already created, if any (double click, retry)."""
    return Appeal.objects.filter(intake_key=intake_key).first()


@dataclass(frozen=True)
class AnswerDocument:
    """The answer as the official letter it is: who answers, who signed, when, under which number."""

    organization: str
    organization_address: str
    number: str
    date: dt.date | None
    signatory: str
    signatory_position: str
    addressee: str
    appeal_number: str
    received: dt.date
    text: str


def _initials(user: User) -> str:
    """«И. И. Иванов», as a letter is signed."""
    initials = " ".join(f"{part[0]}." for part in (user.first_name, user.patronymic) if part)
    return f"{initials} {user.last_name}".strip() if user.last_name else user.display_name


def answer_document(appeal: Appeal, *, text: str | None = None, addressee: str | None = None) -> AnswerDocument | None:
    """The published answer of the appeal as a letter, or None before there is one. The signatory is
    the head who approved the answer (else the one who published it); the number is the appeal's
    number and the count of answers given, so a reconsidered appeal's second answer is «…/2»."""
    body = appeal.answer_text if text is None else text
    if not body:
        return None
    events = list(AppealEvent.objects.filter(appeal=appeal, action__in=[Action.APPROVE, Action.PUBLISH])
                  .select_related("actor").order_by("at", "id"))
    published = [event for event in events if event.action == Action.PUBLISH]
    approved = [event for event in events if event.action == Action.APPROVE]
    signer = (approved[-1].actor if approved else None) or (published[-1].actor if published else None)
    organization = appeal.organization
    answered = appeal.answered_at or (published[-1].at if published else None)
    return AnswerDocument(
        organization=organization.name if organization else "",
        organization_address=organization.address if organization else "",
        number=f"{appeal.number}/{max(len(published), 1)}",
        date=timezone.localdate(answered) if answered else None,
        signatory=_initials(signer) if signer else "",
        signatory_position=signer.position if signer else "",
        addressee=appeal.applicant_name if addressee is None else addressee,
        appeal_number=appeal.number,
        received=timezone.localdate(appeal.received_at),
        text=body,
    )


def _d(day: dt.date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else ""


def deadline_explanations(appeal: Appeal) -> list[dict[str, str]]:
    """Every deadline of the appeal explained in words, step by step ("registered 02.12.2026;
    30 calendar days → 01.01.2027, a day off by the production calendar → 11.01.2027"). The steps
    come from the calendar module through appeals.deadlines.explain_terms, never from a copy here."""
    region = region_settings()
    lines = []
    for term in explain_terms(appeal, region, region_calendar(region)):
        steps = term.steps
        values = {"start": _d(term.start), "due": _d(term.due), "raw": _d(steps.raw if steps else None),
                  "days": term.days, "extra": term.extra_days, "total": term.days + term.extra_days,
                  "hours": f"{term.hours:g}"}
        if term.kind == "answer":
            title = _("Answer term")
            text = ngettext("registered %(start)s; %(days)s calendar day → %(raw)s",
                            "registered %(start)s; %(days)s calendar days → %(raw)s", term.days) % values
        elif term.kind == "reconsideration":
            title = _("Term of the new consideration")
            text = ngettext("considered again from %(start)s; the region's reconsideration term of %(days)s "
                            "calendar day → %(raw)s",
                            "considered again from %(start)s; the region's reconsideration term of %(days)s "
                            "calendar days → %(raw)s", term.days) % values
        elif term.kind == "extension":
            title = _("Extended term")
            text = ngettext("term started %(start)s; %(days)s days of the term + %(extra)s day of extension "
                            "(59-FZ, Art. 12 p. 2) = %(total)s → %(raw)s",
                            "term started %(start)s; %(days)s days of the term + %(extra)s days of extension "
                            "(59-FZ, Art. 12 p. 2) = %(total)s → %(raw)s", term.extra_days) % values
        elif term.kind == "hours":
            title = _("Answer term")
            text = _("received %(start)s; %(hours)s working hours, counted on working days only → %(due)s") % values
        elif term.kind == "postponement":
            title = _("Postponed answer")
            text = _("on %(start)s the organisation postponed the answer to the date it named: %(due)s") % values
        else:
            title = _("Solving the problem")
            text = (_("the answer of %(start)s promised to solve the problem by %(due)s") if term.start
                    else _("the organisation promised to solve the problem by %(due)s")) % values
        if steps is not None and steps.day_off:
            if steps.moved:
                text += _(", a day off by the production calendar → %(due)s") % values
            else:
                text += _(", a day off by the production calendar; the region does not move such deadlines")
        lines.append({"kind": term.kind, "title": title, "text": text, "due": _d(term.due)})
    return lines


@dataclass(frozen=True)
class OnTimeRow:
    organization: str
    answers: int
    on_time: int

    @property
    def percent(self) -> int:
        return round(100 * self.on_time / self.answers) if self.answers else 0


def on_time_ranking(limit: int = 10) -> list[OnTimeRow]:
    """The organisations' public ranking: of their published answers to public messages, how many
    came on time (the publish event's ``on_time``, decided by the service when it was published)."""
    from django.db.models import Count, Q

    from otklik.intake.selectors import public_appeals

    rows = (
        AppealEvent.objects.filter(action=Action.PUBLISH, appeal__in=public_appeals().values("pk"),
                                   organization__isnull=False)
        .values("organization__name", "organization__short_name")
        .annotate(answers=Count("id"), on_time=Count("id", filter=Q(payload__on_time=True)))
    )
    ranking = [OnTimeRow(organization=row["organization__short_name"] or row["organization__name"],
                         answers=row["answers"], on_time=row["on_time"]) for row in rows]
    ranking.sort(key=lambda row: (-row.percent, -row.answers, row.organization))
    return ranking[:limit]
