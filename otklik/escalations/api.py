"""JSON API of escalations (session auth like the rest of the staff API): the list and one escalation
through selectors, acknowledge / report / close through services; refusals are EscalationError,
answered as {"code", "message", "field"}; another organisation's escalation is 404."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from otklik.accounts.models import User
from otklik.appeals.api import ErrorOut
from otklik.escalations import selectors, services
from otklik.escalations.models import Escalation
from otklik.escalations.services import EscalationError

router = Router(tags=["escalations"])


class EscalationOut(Schema):
    id: int
    kind: str
    state: str
    category_id: int | None
    category: str | None
    territory_id: int | None
    territory: str | None
    signal: str
    opened_at: dt.datetime
    first_appeal_at: dt.datetime
    due_at: dt.datetime
    appeals: int
    acknowledged_at: dt.datetime | None
    reported_at: dt.datetime | None
    report_late: bool
    closed_at: dt.datetime | None
    outcome: str


class EscalationDetailOut(EscalationOut):
    appeal_ids: list[int]
    report_text: str


class ListQuery(Schema):
    state: str | None = None
    active: bool | None = None


class EscalationReportIn(Schema):
    text: str | None = None
    send: bool = True


class CloseIn(Schema):
    outcome: str
    note: str = ""


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if not selectors.may_view(user):
        raise EscalationError("not_found", _("No such escalation."), status=404)
    return user


def _out(esc: Escalation, appeals: int | None = None) -> EscalationOut:
    return EscalationOut(
        id=esc.pk, kind=esc.kind, state=esc.state, category_id=esc.category_id,
        category=esc.category.name if esc.category else None, territory_id=esc.territory_id,
        territory=esc.territory.name if esc.territory else None, signal=esc.signal, opened_at=esc.opened_at,
        first_appeal_at=esc.first_appeal_at, due_at=esc.due_at,
        appeals=appeals if appeals is not None else getattr(esc, "appeal_count", esc.links.count()),
        acknowledged_at=esc.acknowledged_at, reported_at=esc.reported_at, report_late=esc.report_late,
        closed_at=esc.closed_at, outcome=esc.outcome,
    )


def _detail(user: User, escalation_id: int) -> EscalationDetailOut:
    esc = selectors.escalation_for_user(user, escalation_id)
    if esc is None:
        raise EscalationError("not_found", _("No such escalation."), status=404)
    ids = [a.pk for a in selectors.escalation_appeals(esc)]
    return EscalationDetailOut(**_out(esc, len(ids)).dict(), appeal_ids=ids, report_text=esc.report_text)


@router.get("/", response={200: list[EscalationOut], 404: ErrorOut})
def list_escalations(request: HttpRequest, filters: Query[ListQuery]) -> list[EscalationOut]:
    user = _user(request)
    queryset = selectors.visible_escalations(user).order_by("-opened_at")
    if filters.active:
        queryset = queryset.exclude(state=Escalation.State.CLOSED)
    if filters.state:
        queryset = queryset.filter(state=filters.state)
    return [_out(esc) for esc in queryset[:500]]


@router.get("/{escalation_id}", response={200: EscalationDetailOut, 404: ErrorOut})
def get_escalation(request: HttpRequest, escalation_id: int) -> EscalationDetailOut:
    return _detail(_user(request), escalation_id)


@router.post("/{escalation_id}/acknowledge", response={200: EscalationDetailOut, 403: ErrorOut, 404: ErrorOut,
                                                        409: ErrorOut})
def acknowledge(request: HttpRequest, escalation_id: int) -> EscalationDetailOut:
    user = _user(request)
    services.acknowledge(escalation_id=escalation_id, user=user)
    return _detail(user, escalation_id)


@router.post("/{escalation_id}/report", response={200: EscalationDetailOut, 400: ErrorOut, 403: ErrorOut,
                                                   404: ErrorOut, 409: ErrorOut})
def report(request: HttpRequest, escalation_id: int, payload: EscalationReportIn) -> EscalationDetailOut:
    user = _user(request)
    if payload.send:
        services.send_report(escalation_id=escalation_id, user=user, text=payload.text)
    else:
        services.save_report(escalation_id=escalation_id, user=user, text=payload.text or "")
    return _detail(user, escalation_id)


@router.post("/{escalation_id}/close", response={200: EscalationDetailOut, 400: ErrorOut, 403: ErrorOut,
                                                  404: ErrorOut, 409: ErrorOut})
def close(request: HttpRequest, escalation_id: int, payload: CloseIn) -> EscalationDetailOut:
    user = _user(request)
    services.close(escalation_id=escalation_id, user=user, outcome=payload.outcome, note=payload.note)
    return _detail(user, escalation_id)
