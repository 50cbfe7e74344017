"""JSON API of appeals: list, detail with history, and every lifecycle action.

Views are thin: reads through selectors, writes through services; errors are AppealError, which the
API turns into {"code", "message", "field"} with the right status.
"""


import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from otklik.accounts.models import User
from otklik.appeals import selectors, services
from otklik.appeals.lifecycle import OPEN_STATES, Action, Regime, State
from otklik.appeals.models import Appeal, Channel, PersonalDataAccess
from otklik.appeals.services import AppealError

router = Router(tags=["appeals"])


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None


class AppealItemOut(Schema):
    id: int
    number: str
    regime: str
    state: str
    state_label: str
    category: str | None
    organization: str | None
    organization_id: int | None
    executor: str | None
    received_at: dt.datetime
    due_at: dt.datetime | None
    stage: str
    stage_due_at: dt.datetime | None
    overdue: bool
    significant: bool


class EventOut(Schema):
    at: dt.datetime
    action: str
    action_label: str
    actor: str | None
    role: str
    acting_for: str | None
    from_state: str
    to_state: str
    reason: str
    payload: dict[str, Any]


class ApplicantOut(Schema):
    name: str
    email: str
    phone: str
    address: str


class AppealOut(AppealItemOut):
    channel: str
    text: str
    address: str
    latitude: float | None
    longitude: float | None
    territory: str | None
    applicant: ApplicantOut | None
    draft_answer: str
    answer_text: str
    intermediate_text: str
    postponed_until: dt.date | None
    rating: int | None
    rating_comment: str
    extension_days: int
    proposed_until: dt.date | None = None
    proposed_reason: str = ""
    resolution_on: dt.date | None = None
    resolved_at: dt.datetime | None = None
    history: list[EventOut]
    allowed_actions: list[str]


def _item(appeal: Appeal, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": appeal.pk,
        "number": appeal.number,
        "regime": appeal.regime,
        "state": appeal.state,
        "state_label": str(State(appeal.state).label),
        "category": str(appeal.category) if appeal.category_id else None,
        "organization": str(appeal.organization) if appeal.organization_id else None,
        "organization_id": appeal.organization_id,
        "executor": appeal.executor.display_name if appeal.executor_id and appeal.executor else None,
        "received_at": appeal.received_at,
        "due_at": appeal.due_at,
        "stage": appeal.stage,
        "stage_due_at": appeal.stage_due_at,
        "overdue": bool(appeal.state in OPEN_STATES and appeal.due_at and appeal.due_at < now),
        "significant": appeal.significant,
    }


def _detail(user: User, appeal: Appeal) -> dict[str, Any]:
    data = _item(appeal, timezone.now())
    applicant = None
    if selectors.can_see_personal_data(user, appeal):
        services.personal_data_access_record(user=user, appeals=[appeal], where=PersonalDataAccess.Where.API)
        applicant = {
            "name": appeal.applicant_name or appeal.social_author,
            "email": appeal.applicant_email,
            "phone": appeal.applicant_phone,
            "address": appeal.applicant_address,
        }
    data.update(
        channel=appeal.channel, text=appeal.text, address=appeal.address, latitude=appeal.latitude,
        longitude=appeal.longitude, territory=str(appeal.territory) if appeal.territory_id else None,
        applicant=applicant, draft_answer=appeal.draft_answer, answer_text=appeal.answer_text,
        intermediate_text=appeal.intermediate_text, postponed_until=appeal.postponed_until, rating=appeal.rating,
        rating_comment=appeal.rating_comment, extension_days=appeal.extension_days,
        proposed_until=appeal.proposed_until, proposed_reason=appeal.proposed_reason,
        resolution_on=appeal.resolution_on, resolved_at=appeal.resolved_at,
        history=[
            {
                "at": event.at, "action": event.action, "action_label": str(Action(event.action).label),
                "actor": event.actor.display_name if event.actor else None, "role": event.role,
                "acting_for": event.acting_for.display_name if event.acting_for else None,
                "from_state": event.from_state, "to_state": event.to_state, "reason": event.reason,
                "payload": event.payload,
            }
            for event in selectors.appeal_history(appeal)
        ],
        allowed_actions=[str(action) for action in selectors.allowed_actions(user, appeal)],
    )
    return data


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _visible(request: HttpRequest, appeal_id: int) -> Appeal:
    appeal = selectors.appeal_for_user(_user(request), appeal_id)
    if appeal is None:
        raise AppealError("not_found", _("Appeal not found."), status=404)
    return appeal


class ListFilters(Schema):
    state: list[State] | None = Field(None, description="one or more states")
    organization: int | None = None
    category: int | None = None
    territory: int | None = None
    regime: Regime | None = None
    executor: int | None = None
    overdue: bool | None = None
    due_before: dt.datetime | None = None
    q: str | None = Field(None, max_length=200, description="number, or words of the text or address")


class BoundedPages(PageNumberPagination):
    """Pages within what a database offset can hold (a page number of 10¹⁷ is a wrong request)."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int | None = Field(None, ge=1)  # above the maximum it is cut to it, as before


@router.get("/appeals", response=list[AppealItemOut], summary="List appeals visible to the user")
@paginate(BoundedPages, page_size=50)
def list_appeals(request: HttpRequest, filters: Query[ListFilters]) -> list[dict[str, Any]]:
    now = timezone.now()
    queryset = selectors.search_appeals(
        _user(request),
        selectors.AppealFilters(
            state=[str(s) for s in filters.state] if filters.state else None,
            organization_id=filters.organization, category_id=filters.category, territory_id=filters.territory,
            regime=filters.regime, executor_id=filters.executor, overdue=filters.overdue,
            due_before=filters.due_before, text=filters.q,
        ),
        now=now,
    ).order_by("due_at", "id")
    return _LazyItems(queryset, now)  # type: ignore[return-value]


class _LazyItems:
    """Lets the paginator slice and count the queryset before rows are turned into dicts."""

    def __init__(self, queryset: Any, now: dt.datetime) -> None:
        self.queryset, self.now = queryset, now

    def __len__(self) -> int:
        return int(self.queryset.count())

    def count(self) -> int:
        return int(self.queryset.count())

    def __getitem__(self, key: slice) -> list[dict[str, Any]]:
        return [_item(appeal, self.now) for appeal in self.queryset[key]]


@router.get("/appeals/{appeal_id}", response={200: AppealOut, 404: ErrorOut}, summary="An appeal with its history")
def get_appeal(request: HttpRequest, appeal_id: int) -> dict[str, Any]:
    return _detail(_user(request), _visible(request, appeal_id))


class SubmitIn(Schema):
    text: str = Field(..., min_length=1, max_length=10000)
    regime: Regime = Regime.POS
    channel: Channel = Channel.API
    category_id: int | None = None
    territory_id: int | None = None
    address: str = Field("", max_length=500)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    applicant_name: str = Field("", max_length=255)
    applicant_email: str = Field("", max_length=254)
    applicant_phone: str = Field("", max_length=64)
    applicant_address: str = Field("", max_length=500)
    high_importance: bool = False
    significant: bool = False
    idempotency_key: str | None = Field(None, max_length=128)


@router.post("/appeals", response={201: AppealOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut},
             summary="Register an appeal")
def submit_appeal(request: HttpRequest, payload: SubmitIn) -> Status:
    """Staff register appeals that arrive on paper, by e-mail or at a personal reception."""
    user = _user(request)
    references = selectors.registration_references(user, category_id=payload.category_id,
                                                   territory_id=payload.territory_id)
    if references is None:
        raise AppealError("forbidden", _("Your role does not allow registering appeals."), status=403)
    category, territory = references.category, references.territory
    if payload.category_id and category is None:
        raise AppealError("invalid", _("Unknown category."), field="category_id")
    if payload.territory_id and territory is None:
        raise AppealError("invalid", _("Unknown territory."), field="territory_id")
    appeal = services.appeal_submit(
        text=payload.text, regime=payload.regime, channel=payload.channel, category=category, territory=territory,
        address=payload.address, latitude=payload.latitude, longitude=payload.longitude,
        applicant_name=payload.applicant_name, applicant_email=payload.applicant_email,
        applicant_phone=payload.applicant_phone, applicant_address=payload.applicant_address,
        high_importance=payload.high_importance, significant=payload.significant,
        # The key is the caller's own: scoped to the staff user, so another client's key is a conflict.
        intake_key=f"api:{payload.idempotency_key}" if payload.idempotency_key else None,
        intake_client=f"user:{user.pk}",
    )
    visible = selectors.appeal_for_user(user, appeal.pk)
    # A coordinator registers appeals that moderation has not routed yet, so may not see them afterwards.
    return Status(201, _detail(user, visible) if visible is not None else _public_view(appeal.pk))


# --- actions ----------------------------------------------------------------------------------------


class Empty(Schema):
    pass


class OrganizationIn(Schema):
    organization_id: int | None = None


class RouteIn(Schema):
    organization_id: int


class RejectIn(Schema):
    reason: str = Field(..., description="spam | obscene | not_a_problem | duplicate | insufficient_data")
    comment: str = Field("", max_length=2000)
    duplicate_of_id: int | None = None


class CategoryIn(Schema):
    category_id: int


class RedirectIn(Schema):
    organization_id: int
    reason: str = Field(..., max_length=2000)


class ReasonIn(Schema):
    reason: str = Field(..., max_length=2000)


class AssignIn(Schema):
    executor_id: int


class TextIn(Schema):
    text: str = Field(..., max_length=20000)


class IntermediateIn(Schema):
    text: str = Field(..., max_length=20000)
    planned_date: dt.date | None = None


class PostponeIn(Schema):
    until: dt.date
    reason: str = Field(..., max_length=2000)


class DecidePostponeIn(Schema):
    until: dt.date | None = Field(None, description="empty: the proposed date")
    reason: str = Field("", max_length=2000, description="empty: the proposed reason")


class DraftIn(Schema):
    text: str = Field(..., max_length=20000)
    resolution_on: dt.date | None = Field(None, description="the date by which the answer promises the work done")


class ResolveIn(Schema):
    comment: str = Field("", max_length=2000)


class SendIn(Schema):
    text: str | None = Field(None, max_length=20000)
    resolution_on: dt.date | None = None


class ReworkIn(Schema):
    reason: str
    comment: str = Field("", max_length=2000)


class RateIn(Schema):
    rating: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=2000)
    key: str | None = Field(None, description="the tracking secret, for applicants without an account")


class CommentIn(Schema):
    text: str = Field(..., max_length=2000)
    key: str | None = Field(None, description="the tracking secret, for applicants without an account")


class ExtendIn(Schema):
    days: int = Field(..., ge=1, le=30)
    reason: str = Field(..., max_length=2000)


class LeaveIn(Schema):
    ground: str
    comment: str = Field("", max_length=2000)


class TransferIn(Schema):
    department: str = Field(..., max_length=500)
    reason: str = Field(..., max_length=2000)
    department_sstu_id: str = Field("", max_length=64)


ACTION_RESPONSES = {200: AppealOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def _action(path: str, schema: type[Schema], summary: str, *, public: bool = False) -> Callable[..., Any]:
    """Declare POST /appeals/{id}/<path>: check visibility, call the service, return the new state.

    ``public`` actions (rating) are open to applicants who prove themselves with the tracking secret.
    """

    def register(call: Callable[..., Appeal]) -> Any:
        def view(request: HttpRequest, appeal_id: int, payload: schema) -> dict[str, Any]:  # type: ignore[valid-type]
            user = _user(request)
            if not public:
                _visible(request, appeal_id)
            call(user, appeal_id, payload)
            appeal = selectors.appeal_for_user(user, appeal_id) if user.is_authenticated else None
            return _detail(user, appeal) if appeal is not None else _public_view(appeal_id)

        view.__name__ = f"appeal_{path}"
        route = f"/appeals/{{appeal_id}}/{path}"
        if public:
            router.post(route, response=ACTION_RESPONSES, summary=summary, auth=None)(view)
        else:
            router.post(route, response=ACTION_RESPONSES, summary=summary)(view)
        return call

    return register


def _public_view(appeal_id: int) -> dict[str, Any]:
    """What the applicant may see of their own appeal: no staff drafts, no history details."""
    appeal = selectors.appeal_for_applicant(appeal_id)
    data = _item(appeal, timezone.now())
    data.update(channel=appeal.channel, text=appeal.text, address=appeal.address, latitude=appeal.latitude,
                longitude=appeal.longitude, territory=None, applicant=None, draft_answer="",
                answer_text=appeal.answer_text, intermediate_text=appeal.intermediate_text,
                postponed_until=appeal.postponed_until, rating=appeal.rating, rating_comment=appeal.rating_comment,
                extension_days=appeal.extension_days, history=[], allowed_actions=[], executor=None)
    return data


@dataclass(frozen=True)
class ActionEndpoint:
    """One row per staff action: the input schema's fields are the service's keyword arguments."""

    action: Action
    schema: type[Schema]
    summary: str
    service: Callable[..., Appeal]


# Every staff action of the transition table has exactly one row (tests/appeals/test_api_from_table.py).
ACTION_ENDPOINTS = [
    ActionEndpoint(Action.ACCEPT, OrganizationIn, "Accept after moderation and route (by the routing table by "
                   "default)", services.appeal_accept),
    ActionEndpoint(Action.ROUTE, RouteIn, "Route to a named organisation", services.appeal_route),
    ActionEndpoint(Action.REJECT, RejectIn, "Reject at moderation", services.appeal_reject),
    ActionEndpoint(Action.RECLASSIFY, CategoryIn, "Change the category", services.appeal_reclassify),
    ActionEndpoint(Action.REDIRECT, RedirectIn, "Redirect to another organisation (not our competence)",
                   services.appeal_redirect),
    ActionEndpoint(Action.RETURN_TO_MODERATION, ReasonIn, "Return to moderation (not our competence)",
                   services.appeal_return_to_moderation),
    ActionEndpoint(Action.ASSIGN, AssignIn, "Assign or reassign the executor", services.appeal_assign),
    ActionEndpoint(Action.DRAFT, DraftIn, "Save a draft answer", services.appeal_draft),
    ActionEndpoint(Action.INTERMEDIATE, IntermediateIn, "Give an intermediate answer", services.appeal_intermediate),
    ActionEndpoint(Action.PROPOSE_POSTPONEMENT, PostponeIn, "Propose to postpone the answer to a date (the executor)",
                   services.appeal_propose_postponement),
    ActionEndpoint(Action.POSTPONE, DecidePostponeIn, "Postpone the answer: confirm the proposal or decide (the "
                   "confirming role)", services.appeal_postpone),
    ActionEndpoint(Action.DECLINE_POSTPONEMENT, ReasonIn, "Decline the proposed postponement",
                   services.appeal_decline_postponement),
    ActionEndpoint(Action.MARK_SIGNIFICANT, ReasonIn, "Mark as socially significant", services.appeal_mark_significant),
    ActionEndpoint(Action.CLEAR_SIGNIFICANT, ReasonIn, "Clear the socially significant mark",
                   services.appeal_clear_significant),
    ActionEndpoint(Action.RESOLVE, ResolveIn, "Record that the promised work is done", services.appeal_resolve),
    ActionEndpoint(Action.SEND_FOR_APPROVAL, SendIn, "Send the answer for approval", services.appeal_send_for_approval),
    ActionEndpoint(Action.APPROVE, Empty, "Approve the answer", services.appeal_approve),
    ActionEndpoint(Action.RETURN_FOR_REWORK, ReworkIn, "Return the answer for rework",
                   services.appeal_return_for_rework),
    ActionEndpoint(Action.PUBLISH, Empty, "Publish the answer to the applicant", services.appeal_publish),
    ActionEndpoint(Action.RECONSIDER, ReasonIn, "Send an answered appeal back for reconsideration",
                   services.appeal_reconsider),
    ActionEndpoint(Action.CLOSE, Empty, "Close an answered appeal", services.appeal_close),
    ActionEndpoint(Action.EXTEND, ExtendIn, "Extend a 59-FZ term", services.appeal_extend),
    ActionEndpoint(Action.LEAVE_WITHOUT_ANSWER, LeaveIn, "Leave a 59-FZ appeal without an answer (Art. 11)",
                   services.appeal_leave_without_answer),
    ActionEndpoint(Action.TRANSFER, TransferIn, "Forward a 59-FZ appeal to a competent body outside the platform",
                   services.appeal_transfer),
    ActionEndpoint(Action.REGISTER, Empty, "Register a received 59-FZ appeal", services.appeal_register),
]


def _staff_call(service: Callable[..., Appeal]) -> Callable[[User, int, Schema], Appeal]:
    def call(user: User, appeal_id: int, payload: Schema) -> Appeal:
        return service(appeal_id=appeal_id, user=user, **payload.dict())

    return call


for _endpoint in ACTION_ENDPOINTS:
    _action(str(_endpoint.action), _endpoint.schema, _endpoint.summary)(_staff_call(_endpoint.service))


# The applicant's action: open to anyone who proves to be the applicant (session or tracking secret).
@_action("rate", RateIn, "Rate the answer (the applicant)", public=True)
def _rate(user: User, appeal_id: int, p: RateIn) -> Appeal:
    return services.appeal_rate(appeal_id=appeal_id, user=user if user.is_authenticated else None, token=p.key,
                                rating=p.rating, comment=p.comment)



@_action("comment", CommentIn, "Add a comment to one's own open message (the applicant)", public=True)
def _comment(user: User, appeal_id: int, p: CommentIn) -> Appeal:
    return services.appeal_comment(appeal_id=appeal_id, user=user if user.is_authenticated else None, token=p.key,
                                   text=p.text)
