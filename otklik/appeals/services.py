"""Every write to an appeal. Each public function is one action of the lifecycle: it locks the row,
checks the transition table and the actor's capacity, applies the guard, saves, records an
AppealEvent and schedules notices after commit."""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models.sql.query import Query
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otklik.accounts.models import Membership, Role, User
from otklik.accounts.permissions import capacities, find_capacity, is_staff_account
from otklik.appeals import chain, deadlines, notify
from otklik.appeals.lifecycle import APPLICANT, SYSTEM, Action, Regime, State, Transition, transition_for
from otklik.appeals.models import (
    Appeal,
    AppealEvent,
    Channel,
    DeadlineBreach,
    NumberSequence,
    PersonalDataAccess,
    Stage,
)
from otklik.appeals.selectors import PERSONAL_DATA_ROLES
from otklik.appeals.signals import send_after_commit
from otklik.core.calendar import WorkingCalendar
from otklik.registry.models import Category, Organization, RegionSettings, Territory
from otklik.registry.selectors import region_cached, region_settings, route_organization

REJECT_REASONS: dict[str, Any] = {
    "spam": gettext_lazy("spam or advertising"),
    "obscene": gettext_lazy("obscene or insulting language"),
    "not_a_problem": gettext_lazy("not a problem to solve"),
    "duplicate": gettext_lazy("duplicate of another message"),
    "insufficient_data": gettext_lazy("not enough data to act on"),
}

DEFAULT_REWORK_REASONS: dict[str, Any] = {
    "formal": gettext_lazy("the answer is formal and not on the substance"),
    "no_term": gettext_lazy("no term for fixing the problem is given"),
    "no_evidence": gettext_lazy("no evidence (photos, acts) is attached"),
    "legal_references": gettext_lazy("too many legal references without explanation"),
    "contradictory": gettext_lazy("the answer is contradictory"),
    "incomplete": gettext_lazy("not every question is answered"),
    "other": gettext_lazy("other"),
}

# 59-FZ Art. 11 grounds for leaving an appeal without an answer.
FZ59_NO_ANSWER_GROUNDS: dict[str, Any] = {
    "no_name_or_address": gettext_lazy("no surname or postal address (Art. 11 p. 1)"),
    "court_decision": gettext_lazy("appeals a court decision (Art. 11 p. 2)"),
    "abusive": gettext_lazy("obscene or insulting language, threats (Art. 11 p. 3)"),
    "unreadable": gettext_lazy("the text cannot be read (Art. 11 p. 4)"),
    "substance_unclear": gettext_lazy("the substance cannot be determined (Art. 11 p. 4.1)"),
    "repeated": gettext_lazy("repeated question without new arguments (Art. 11 p. 5)"),
    "state_secret": gettext_lazy("the answer would disclose a state secret (Art. 11 p. 6)"),
}

SATISFACTORY_RATING = 3  # 1..5; a lower rating is unsatisfactory and, with a comment, reopens the appeal


class AppealError(Exception):
    """A refused action: a machine code, a Russian message and, for forms, the field at fault."""

    def __init__(self, code: str, message: str, *, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.status = status


@dataclass
class ActingAs:
    user: User | None
    role: str
    acting_for_id: int | None = None


@dataclass
class Context:
    """What an action's body gets: the locked appeal, who acts, the time and the region's rules."""

    appeal: Appeal
    actor: ActingAs
    now: dt.datetime
    region: RegionSettings
    cal: WorkingCalendar
    payload: dict[str, Any] = field(default_factory=dict)
    # Notices to create once the event exists; they are written in the same transaction.
    then: list[Callable[[AppealEvent], None]] = field(default_factory=list)


def _fail(code: str, message: str, *, field: str | None = None, status: int = 400) -> AppealError:
    return AppealError(code, message, field=field, status=status)


def _authorize(
    appeal: Appeal, row: Transition, *, user: User | None, system: bool, token: str | None, now: dt.datetime
) -> ActingAs:
    if system:
        if SYSTEM not in row.roles:
            raise _fail("forbidden", _("This action cannot be performed automatically."), status=403)
        return ActingAs(user=None, role=SYSTEM)
    if APPLICANT in row.roles:
        if user is not None and user.is_authenticated and is_staff_account(user):
            # The secret may have reached an official (a forwarded letter, a shared screen): acting in
            # the applicant's name from a staff session is never allowed.
            raise _fail("applicant_only", _("Only the applicant may do this; officials cannot act in the "
                                            "applicant's name."), status=403)
        if token and hmac.compare_digest(token, appeal.access_token):
            return ActingAs(user=user, role=APPLICANT)
        if user is not None and appeal.applicant_id is not None and appeal.applicant_id == user.pk:
            return ActingAs(user=user, role=APPLICANT)
    if user is None or not user.is_authenticated:
        raise _fail("not_authenticated", _("Sign in to perform this action."), status=401)
    staff_roles = row.roles - {SYSTEM, APPLICANT}
    cap = find_capacity(user, staff_roles, appeal.organization_id, at=now)
    if cap is not None and row.own_executor and cap.role == Role.EXECUTOR:
        # Any executor of the organisation is not enough: the appeal's own executor, or their stand-in.
        own = [
            c for c in capacities(user, at=now)
            if c.role == Role.EXECUTOR and c.organization_id == appeal.organization_id
            and appeal.executor_id is not None and appeal.executor_id in {user.pk, c.acting_for_id}
        ]
        if not own:
            raise _fail("not_your_appeal", _("Only the appeal's executor may do this."), status=403)
        own.sort(key=lambda c: c.acting_for_id is not None)
        cap = own[0]
    if cap is None:
        raise _fail("forbidden", _("Your role does not allow this action on this appeal."), status=403)
    return ActingAs(user=user, role=cap.role, acting_for_id=cap.acting_for_id)


def _perform(
    appeal_id: int,
    action: Action,
    body: Callable[[Context], None] | None = None,
    *,
    user: User | None = None,
    system: bool = False,
    token: str | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Appeal:
    now = now or timezone.now()
    with transaction.atomic():
        try:
            appeal = Appeal.objects.select_for_update(of=("self",)).select_related("category").get(pk=appeal_id)
        except Appeal.DoesNotExist:
            raise _fail("not_found", _("Appeal not found."), status=404) from None
        row = transition_for(appeal.state, action, appeal.regime)
        if row is None:
            raise _fail(
                "action_not_allowed",
                _("The action «%(action)s» is not possible in the state «%(state)s».")
                % {"action": Action(action).label, "state": State(appeal.state).label},
                status=409,
            )
        actor = _authorize(appeal, row, user=user, system=system, token=token, now=now)
        region, cal = region_cached()
        ctx = Context(appeal=appeal, actor=actor, now=now, region=region, cal=cal)
        from_state = appeal.state
        if body is not None:
            body(ctx)
        appeal.state = row.target
        if row.target != from_state or action in {Action.ROUTE, Action.REDIRECT}:
            appeal.state_changed_at = now
            deadlines.set_stage(appeal, now=now, region=region, cal=ctx.cal)
        event = AppealEvent(
            appeal=appeal, at=now, action=action, actor=actor.user, role=actor.role,
            acting_for_id=actor.acting_for_id, organization_id=appeal.organization_id,
            from_state=from_state, to_state=appeal.state, reason=reason, payload=ctx.payload,
        )
        _chain(appeal, [event])
        appeal.save()
        event.save()
        for callback in ctx.then:
            callback(event)
        send_after_commit(appeal.pk, [action])
    return appeal


def _chain(appeal: Appeal, events: list[AppealEvent]) -> None:
    """Link new events to the appeal's hash chain (appeals/chain.py); the appeal keeps the last hash."""
    previous = appeal.last_event_hash
    for event in events:
        event.prev_hash = previous
        event.hash = previous = chain.hash_of(event, previous)
    appeal.last_event_hash = previous


def _require_text(value: str, field_name: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise _fail("required", message, field=field_name)
    if "\x00" in value:
        raise _fail("invalid_text", _("The text contains a forbidden character."), field=field_name)
    return value


# --- intake ---------------------------------------------------------------------------------------


def _next_number(year: int) -> str:
    # One statement takes the next number (UPDATE … RETURNING: SQLite 3.35+ and PostgreSQL); the row of
    # a new year is made once.
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET last = last + 1 WHERE year = %s RETURNING last", [year])
        row = cursor.fetchone()
    if row is None:
        try:
            with transaction.atomic():
                NumberSequence.objects.create(year=year, last=1)
            return f"{year}-{1:06d}"
        except IntegrityError:
            return _next_number(year)
    return f"{year}-{row[0]:06d}"


def _existing_for_key(intake_key: str, intake_client: str) -> Appeal | None:
    # A narrow probe first, in plain SQL (it runs on every intake, and building the ORM query cost more
    # than running it): almost every key is new, and the whole row is read only for a repeat.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {connection.ops.quote_name(Appeal._meta.db_table)} WHERE intake_key = %s",
                       [intake_key])
        probe = cursor.fetchone()
    if probe is None:
        return None
    existing = Appeal.objects.get(pk=probe[0])
    if existing.intake_client != intake_client:
        raise _fail("idempotency_conflict", _("This idempotency key was already used by another client: send a new "
                                              "key."), field="idempotency_key", status=409)
    return existing


def _complete(appeal: Appeal, now: dt.datetime) -> Appeal:
    """A retry finishes what an interrupted first attempt left undone (a platform message that was
    received but not registered, from before both steps shared one transaction)."""
    if appeal.regime != Regime.FZ59 and appeal.state == State.RECEIVED:
        return appeal_register(appeal_id=appeal.pk, system=True, now=now)
    return appeal


@dataclass(frozen=True, slots=True)
class NewAppeal:
    """What a message says, whichever channel brought it: its text, regime and channel, what and where
    it is about, and who sent it. A channel builds one and hands it to ``appeal_receive`` (or, with
    what the channel itself knew, to ``intake.services.intake_submit``)."""

    text: str
    regime: str = Regime.POS
    channel: str = Channel.PORTAL
    category: Category | None = None
    territory: Territory | None = None
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    applicant: User | None = None
    applicant_name: str = ""
    applicant_email: str = ""
    applicant_phone: str = ""
    applicant_address: str = ""
    social_author: str = ""
    social_url: str = ""
    high_importance: bool = False
    significant: bool = False


def appeal_submit(
    *,
    text: str,
    regime: str = Regime.POS,
    channel: str = Channel.PORTAL,
    category: Category | None = None,
    territory: Territory | None = None,
    address: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    applicant: User | None = None,
    applicant_name: str = "",
    applicant_email: str = "",
    applicant_phone: str = "",
    applicant_address: str = "",
    social_author: str = "",
    social_url: str = "",
    high_importance: bool = False,
    significant: bool = False,
    intake_key: str | None = None,
    intake_client: str = "",
    now: dt.datetime | None = None,
) -> Appeal:
    """``appeal_receive`` with the message's parts as keyword arguments."""
    return appeal_receive(
        NewAppeal(
            text=text, regime=regime, channel=channel, category=category, territory=territory, address=address,
            latitude=latitude, longitude=longitude, applicant=applicant, applicant_name=applicant_name,
            applicant_email=applicant_email, applicant_phone=applicant_phone, applicant_address=applicant_address,
            social_author=social_author, social_url=social_url, high_importance=high_importance,
            significant=significant,
        ),
        intake_key=intake_key, intake_client=intake_client, now=now,
    )


def appeal_receive(
    new: NewAppeal, *, intake_key: str | None = None, intake_client: str = "", now: dt.datetime | None = None,
) -> Appeal:
    """Receive a message. Platform messages and social posts are registered at once, in the same
    transaction; a 59-FZ appeal waits for registration (3 days). A repeated call with the same
    ``intake_key`` from the same ``intake_client`` returns the first appeal; from another client it
    is a conflict."""
    now = now or timezone.now()
    text = _require_text(new.text, "text", _("Describe the problem."))
    regime, channel, applicant, applicant_name = new.regime, new.channel, new.applicant, new.applicant_name
    if regime not in Regime.values:
        raise _fail("invalid_regime", _("Unknown regime."), field="regime")
    if channel not in Channel.values:
        raise _fail("invalid_channel", _("Unknown channel."), field="channel")
    if regime == Regime.FZ59 and not (applicant_name.strip() and (new.applicant_email or new.applicant_address)):
        # 59-FZ Art. 7: a written appeal names the citizen and an address for the answer.
        raise _fail("fz59_applicant_required", _("An appeal under 59-FZ needs the applicant's name and an address "
                                                 "for the answer."), field="applicant_name")
    if intake_key:
        existing = _existing_for_key(intake_key, intake_client)
        if existing is not None:
            return _complete(existing, now)
    region, cal = region_cached()
    try:
        with transaction.atomic():
            appeal = Appeal(
                number=_next_number(cal.local_date(now).year), regime=regime, channel=channel, state=State.RECEIVED,
                text=text, category=new.category, territory=new.territory, address=new.address,
                latitude=new.latitude, longitude=new.longitude, applicant=applicant,
                applicant_name=applicant_name.strip(), applicant_email=new.applicant_email.strip(),
                applicant_phone=new.applicant_phone.strip(), applicant_address=new.applicant_address.strip(),
                social_author=new.social_author, social_url=new.social_url, high_importance=new.high_importance,
                significant=new.significant, intake_key=intake_key or None,
                intake_client=intake_client if intake_key else "", received_at=now, state_changed_at=now,
            )
            events = [AppealEvent(at=now, action=Action.SUBMIT, actor=applicant, role=APPLICANT, from_state="",
                                  to_state=State.RECEIVED, payload={"channel": channel, "regime": regime})]
            ctx = Context(appeal=appeal, actor=ActingAs(user=None, role=SYSTEM), now=now, region=region, cal=cal)
            if regime != Regime.FZ59:
                # Registered at once: the register step is applied before the first write, so the
                # appeal is written once, with both events, in this transaction.
                row = transition_for(State.RECEIVED, Action.REGISTER, regime)
                assert row is not None
                _register_body(ctx)
                appeal.state = row.target
                events.append(AppealEvent(at=now, action=Action.REGISTER, role=SYSTEM, from_state=State.RECEIVED,
                                          to_state=row.target, payload=ctx.payload))
            deadlines.set_stage(appeal, now=now, region=region, cal=cal)
            appeal.save()
            for event in events:
                event.appeal = appeal
                event.organization_id = appeal.organization_id
            _chain(appeal, events)
            Appeal.objects.filter(pk=appeal.pk).update(last_event_hash=appeal.last_event_hash)
            AppealEvent.objects.bulk_create(events)
            for callback in ctx.then:
                callback(events[-1])
            send_after_commit(appeal.pk, [str(event.action) for event in events])
    except IntegrityError:
        if intake_key:
            existing = _existing_for_key(intake_key, intake_client)
            if existing is not None:
                return _complete(existing, now)
        raise
    return appeal


def _register_body(ctx: Context) -> None:
    appeal = ctx.appeal
    appeal.registered_at = ctx.now
    appeal.consideration_started_at = ctx.now
    due = deadlines.initial_answer_due(appeal, ctx.now, ctx.region, ctx.cal)
    deadlines.set_answer_term(appeal, start=ctx.now, due=due, region=ctx.region, cal=ctx.cal)
    if appeal.regime == Regime.FZ59:
        appeal.redirect_due_at = deadlines.redirect_due(ctx.now, ctx.region, ctx.cal)
    ctx.payload["due_at"] = due.isoformat()
    ctx.then.append(lambda event: notify.applicant(appeal, event, "registered"))


def appeal_register(
    *, appeal_id: int, user: User | None = None, system: bool = False, now: dt.datetime | None = None
) -> Appeal:
    return _perform(appeal_id, Action.REGISTER, _register_body, user=user, system=system, now=now)


# --- moderation -----------------------------------------------------------------------------------


def _set_organization(ctx: Context, organization: Organization) -> None:
    appeal = ctx.appeal
    if not organization.is_active:
        raise _fail("organization_inactive", _("The organisation is not active."), field="organization")
    appeal.organization = organization
    appeal.coordinator = None
    appeal.executor = None
    ctx.payload["organization_id"] = organization.pk
    ctx.then.append(lambda event: notify.organization_coordinators(appeal, event, "new_appeal"))


def appeal_accept(
    *,
    appeal_id: int,
    user: User | None = None,
    system: bool = False,
    organization_id: int | None = None,
    payload: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Appeal:
    """Accept a message after moderation and route it: to ``organization_id`` or by the routing table.
    ``payload`` adds details to the event (automatic routing records that it was automatic and how sure)."""

    def body(ctx: Context) -> None:
        appeal = ctx.appeal
        ctx.payload.update(payload or {})
        if organization_id is not None:
            organization = Organization.objects.filter(pk=organization_id).first()
        elif appeal.category is not None:
            organization = route_organization(category=appeal.category, territory=appeal.territory)
        else:
            organization = None
        if organization is None:
            raise _fail("no_organization", _("No organisation handles this category on this territory: choose one."),
                        field="organization")
        _set_organization(ctx, organization)
        ctx.then.append(lambda event: notify.applicant(appeal, event, "routed"))

    return _perform(appeal_id, Action.ACCEPT, body, user=user, system=system, now=now)


def appeal_route(*, appeal_id: int, user: User, organization_id: int, now: dt.datetime | None = None) -> Appeal:
    def body(ctx: Context) -> None:
        organization = Organization.objects.filter(pk=organization_id).first()
        if organization is None:
            raise _fail("no_organization", _("Choose an organisation."), field="organization")
        # An appeal returned by an organisation that was not competent is forwarded: for 59-FZ the
        # applicant is told so (Art. 8 p. 3), in one notice for the whole change.
        forwarded = ctx.appeal.redirect_count > 0 and ctx.appeal.regime == Regime.FZ59
        _set_organization(ctx, organization)
        ctx.then.append(lambda event: notify.applicant(ctx.appeal, event, "redirected" if forwarded else "routed"))

    return _perform(appeal_id, Action.ROUTE, body, user=user, now=now)


def appeal_reject(
    *, appeal_id: int, user: User, reason: str, comment: str = "", duplicate_of_id: int | None = None,
    now: dt.datetime | None = None,
) -> Appeal:
    if reason not in REJECT_REASONS:
        raise _fail("reason_required", _("Choose a reason for the rejection."), field="reason")

    def body(ctx: Context) -> None:
        appeal = ctx.appeal
        if reason == "duplicate":
            original = (
                Appeal.objects.filter(pk=duplicate_of_id).exclude(pk=appeal.pk).first() if duplicate_of_id else None
            )
            if original is None:
                raise _fail("duplicate_required", _("Name the appeal this one duplicates."), field="duplicate_of")
            appeal.duplicate_of = original
        appeal.closed_at = ctx.now
        ctx.payload.update({"reason": reason, "comment": comment})
        ctx.then.append(lambda event: notify.applicant(appeal, event, "rejected"))

    return _perform(appeal_id, Action.REJECT, body, user=user, reason=comment or str(REJECT_REASONS[reason]), now=now)


def appeal_reclassify(*, appeal_id: int, user: User, category_id: int, now: dt.datetime | None = None) -> Appeal:
    """Fix the category; the answer term is recounted from registration with the new category's days."""

    def body(ctx: Context) -> None:
        appeal = ctx.appeal
        category = Category.objects.filter(pk=category_id, is_active=True).first()
        if category is None:
            raise _fail("category_required", _("Choose a category."), field="category")
        ctx.payload.update({"from_category_id": appeal.category_id, "category_id": category.pk})
        appeal.category = category
        # A term whose breach is recorded is not moved by a new category: late stays late.
        if appeal.registered_at and appeal.regime == Regime.POS and appeal.overdue_marked_at is None:
            due = deadlines.initial_answer_due(appeal, appeal.registered_at, ctx.region, ctx.cal)
            deadlines.set_answer_term(appeal, start=appeal.registered_at, due=due, region=ctx.region)
            ctx.payload["due_at"] = due.isoformat()

    return _perform(appeal_id, Action.RECLASSIFY, body, user=user, now=now)


# --- coordination ---------------------------------------------------------------------------------


def _check_fz59_redirect_term(ctx: Context) -> None:
    appeal = ctx.appeal
    if appeal.regime == Regime.FZ59 and appeal.redirect_due_at and ctx.now > appeal.redirect_due_at:
        raise _fail(
            "redirect_term_passed",
            _("Under 59-FZ an appeal is forwarded within 7 days of registration; that term ended on %(date)s. "
              "Answer it on the substance.") % {"date": ctx.cal.local(appeal.redirect_due_at).strftime("%d.%m.%Y")},
        )


def appeal_redirect(
    *, appeal_id: int, user: User, organization_id: int, reason: str, now: dt.datetime | None = None
) -> Appeal:
    """Not our competence: hand the appeal straight to a named organisation (reason required)."""
    reason = _require_text(reason, "reason", _("Explain why the appeal is redirected."))

    def body(ctx: Context) -> None:
        _check_fz59_redirect_term(ctx)
        organization = Organization.objects.filter(pk=organization_id).first()
        if organization is None or organization.pk == ctx.appeal.organization_id:
            raise _fail("no_organization", _("Choose another organisation."), field="organization")
        ctx.payload["from_organization_id"] = ctx.appeal.organization_id
        ctx.appeal.redirect_count += 1
        ctx.appeal.postponed_until = None
        deadlines.clear_executor_alarm(ctx.appeal)
        _set_organization(ctx, organization)
        ctx.then.append(lambda event: notify.applicant(ctx.appeal, event, "redirected"))

    return _perform(appeal_id, Action.REDIRECT, body, user=user, reason=reason, now=now)


def appeal_return_to_moderation(
    *, appeal_id: int, user: User, reason: str, now: dt.datetime | None = None
) -> Appeal:
    """Not our competence, and we do not know whose: back to the moderator for re-routing."""
    reason = _require_text(reason, "reason", _("Explain why the appeal is not your competence."))

    def body(ctx: Context) -> None:
        _check_fz59_redirect_term(ctx)
        appeal = ctx.appeal
        ctx.payload["from_organization_id"] = appeal.organization_id
        appeal.redirect_count += 1
        appeal.organization = None
        appeal.coordinator = None
        appeal.executor = None
        appeal.postponed_until = None
        deadlines.clear_executor_alarm(appeal)
        # The applicant hears once, when the moderator has found the organisation (appeal_route).
        ctx.then.append(lambda event: notify.moderators(appeal, event, "returned_to_moderation"))

    return _perform(appeal_id, Action.RETURN_TO_MODERATION, body, user=user, reason=reason, now=now)


def appeal_assign(*, appeal_id: int, user: User, executor_id: int, now: dt.datetime | None = None) -> Appeal:
    """Assign or reassign the executor; for a postponed appeal this answers the 75 % rule."""

    def body(ctx: Context) -> None:
        appeal = ctx.appeal
        is_executor = appeal.organization_id is not None and Membership.objects.filter(
            user_id=executor_id, organization_id=appeal.organization_id, role=Role.EXECUTOR, user__is_active=True
        ).exists()
        if not is_executor:
            raise _fail("not_an_executor", _("This person is not an executor of the organisation."), field="executor")
        ctx.payload.update({"from_executor_id": appeal.executor_id, "executor_id": executor_id})
        appeal.executor_id = executor_id
        appeal.coordinator = ctx.actor.user
        deadlines.clear_executor_alarm(appeal)
        ctx.then.append(lambda event: notify.staff(appeal, event, "assigned", [executor_id]))

    return _perform(appeal_id, Action.ASSIGN, body, user=user, now=now)


# --- execution ------------------------------------------------------------------------------------


def _check_resolution_date(ctx: Context, on: dt.date | None, field_name: str) -> None:
    if on is not None and on < ctx.cal.local_date(ctx.now):
        raise _fail("date_in_past", _("The promised date of solving the problem cannot be in the past."),
                    field=field_name)


def appeal_draft(
    *, appeal_id: int, user: User, text: str, resolution_on: dt.date | None = None, now: dt.datetime | None = None
) -> Appeal:
    """Save the draft; ``resolution_on`` is the date by which the answer promises the work done."""
    text = _require_text(text, "text", _("Write the answer."))

    def body(ctx: Context) -> None:
        _check_resolution_date(ctx, resolution_on, "resolution_on")
        ctx.appeal.draft_answer = text
        ctx.appeal.draft_resolution_on = resolution_on
        ctx.payload["length"] = len(text)
        ctx.payload["resolution_on"] = resolution_on.isoformat() if resolution_on else None

    return _perform(appeal_id, Action.DRAFT, body, user=user, now=now)


def appeal_intermediate(
    *, appeal_id: int, user: User, text: str, planned_date: dt.date | None = None, now: dt.datetime | None = None
) -> Appeal:
    """Tell the applicant what is being done. For a social post it starts the 7-working-day final term."""
    text = _require_text(text, "text", _("Write the intermediate answer."))

    def body(ctx: Context) -> None:
        appeal = ctx.appeal
        appeal.intermediate_text = text
        _check_resolution_date(ctx, planned_date, "planned_date")
        ctx.payload["planned_date"] = planned_date.isoformat() if planned_date else None
        if planned_date is not None:
            deadlines.set_resolution(appeal, on=planned_date, cal=ctx.cal)
        if appeal.regime == Regime.SOCIAL:
            due = ctx.cal.add_working_days(ctx.now, ctx.region.social_final_working_days)
            deadlines.set_answer_term(appeal, start=ctx.now, due=due, region=ctx.region)
            deadlines.set_stage(appeal, now=ctx.now, region=ctx.region, cal=ctx.cal)
            ctx.payload["due_at"] = due.isoformat()
        ctx.then.append(lambda event: notify.applicant(appeal, event, "intermediate"))

    return _perform(appeal_id, Action.INTERMEDIATE, body, user=user, now=now)


def _require_running_term(ctx: Context) -> None:
    """A term that has expired cannot be postponed or extended: the breach it caused stays, and so
    does the lateness of whatever answer follows (seed 004 §4; 59-FZ Art. 12 p. 2)."""
    appeal = ctx.appeal
    if appeal.overdue_marked_at is not None or (appeal.due_at is not None and ctx.now > appeal.due_at):
        due = ctx.cal.local(appeal.due_at).strftime("%d.%m.%Y") if appeal.due_at else "—"
        raise _fail("term_expired", _("The answer term ended on %(date)s: an expired term can no longer be postponed "
                                      "or extended.") % {"date": due}, status=409)


def _check_postponement_date(ctx: Context, until: dt.date) -> None:
    appeal = ctx.appeal
    if until <= ctx.cal.local_date(ctx.now):
        raise _fail("date_in_past", _("Choose a date after today."), field="until")
    if appeal.due_at and until <= ctx.cal.local_date(appeal.due_at):
        raise _fail("date_not_later", _("The new date must be later than the current deadline."), field="until")


def _clear_proposal(appeal: Appeal) -> None:
    appeal.proposed_until = None
    appeal.proposed_reason = ""
    appeal.proposed_by = None
    appeal.proposed_at = None


def _require_confirmer(ctx: Context) -> None:
    confirmer = ctx.region.postponement_confirmed_by
    if ctx.actor.role != confirmer:
        raise _fail("postponement_confirmer", _("In this region a postponement is confirmed by the %(role)s.")
                    % {"role": Role(confirmer).label}, status=403)


def appeal_propose_postponement(
    *, appeal_id: int, user: User, until: dt.date, reason: str, now: dt.datetime | None = None
) -> Appeal:
    """The executor proposes a new date and a reason; nothing changes for the applicant until the
    coordinator (or the head, as the region sets) confirms it."""
    reason = _require_text(reason, "reason", _("Explain why the answer is postponed."))

    def body(ctx: Context) -> None:
        appeal = ctx.appeal
        _require_running_term(ctx)
        _check_postponement_date(ctx, until)
        appeal.proposed_until = until
        appeal.proposed_reason = reason
        appeal.proposed_by = ctx.actor.user
        appeal.proposed_at = ctx.now
        ctx.payload["until"] = until.isoformat()
        role = ctx.region.postponement_confirmed_by
        ctx.then.append(lambda event: notify.organization_role(appeal, event, "postponement_proposed", role))

    return _perform(appeal_id, Action.PROPOSE_POSTPONEMENT, body, user=user, reason=reason, now=now)


def appeal_postpone(
    *, appeal_id: int, user: User, until: dt.date | None = None, reason: str = "", now: dt.datetime | None = None
) -> Appeal:
    """Decide a postponement: confirm the executor's proposal (its date and reason unless others are
    given) or, as the confirming role, postpone at once. Only then the applicant is told the date."""

    def body(ctx: Context) -> None:
        appeal = ctx.appeal
        _require_confirmer(ctx)
        _require_running_term(ctx)
        date = until or appeal.proposed_until
        why = (reason or "").strip() or appeal.proposed_reason
        if date is None:
            raise _fail("required", _("Choose the new date of the answer."), field="until")
        why = _require_text(why, "reason", _("Explain why the answer is postponed."))
        _check_postponement_date(ctx, date)
        ctx.payload["proposed_by_id"] = appeal.proposed_by_id
        _clear_proposal(appeal)
        deadlines.set_postponement(appeal, until=date, now=ctx.now, region=ctx.region, cal=ctx.cal)
        ctx.payload.update({"until": date.isoformat(), "reason": why, "executor_alarm_at":
                            appeal.executor_alarm_at.isoformat() if appeal.executor_alarm_at else None})
        ctx.then.append(lambda event: notify.applicant(appeal, event, "postponed"))

    return _perform(appeal_id, Action.POSTPONE, body, user=user, reason=(reason or "").strip(), now=now)


def appeal_decline_postponement(*, appeal_id: int, user: User, reason: str, now: dt.datetime | None = None) -> Appeal:
    reason = _require_text(reason, "reason", _("Explain why the postponement is declined."))

    def body(ctx: Context) -> None:
        appeal = ctx.appeal
        _require_confirmer(ctx)
        if appeal.proposed_until is None:
            raise _fail("no_proposal", _("No postponement is proposed."), status=409)
        proposer = appeal.proposed_by_id
        ctx.payload.update({"until": appeal.proposed_until.isoformat(), "proposed_by_id": proposer})
        _clear_proposal(appeal)
        ctx.then.append(lambda event: notify.staff(appeal, event, "postponement_declined", [proposer]))

    return _perform(appeal_id, Action.DECLINE_POSTPONEMENT, body, user=user, reason=reason, now=now)


def appeal_send_for_approval(
    *, appeal_id: int, user: User, text: str | None = None, resolution_on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Appeal:
    def body(ctx: Context) -> None:
        appeal = ctx.appeal
        if text is not None:
            appeal.draft_answer = _require_text(text, "text", _("Write the answer."))
        if resolution_on is not None:
            _check_resolution_date(ctx, resolution_on, "resolution_on")
            appeal.draft_resolution_on = resolution_on
        if not appeal.draft_answer.strip():
            raise _fail("draft_required", _("Write the answer before sending it for approval."), field="text")
        ctx.then.append(lambda event: notify.organization_heads(appeal, event, "approval_requested"))

    return _perform(appeal_id, Action.SEND_FOR_APPROVAL, body, user=user, now=now)


# --- approval and answer --------------------------------------------------------------------------


def rework_reasons(region: RegionSettings | None = None) -> dict[str, Any]:
    """The configured list (region settings: [{"code":..., "name":...}]) or the default criteria."""
    configured = (region or region_settings()).rework_reasons
    if configured:
        return {item["code"]: item["name"] for item in configured if "code" in item and "name" in item}
    return DEFAULT_REWORK_REASONS


def _drafter_id(appeal: Appeal) -> int | None:
    """Who sent the answer for approval: the actor of the last such event."""
    return (
        AppealEvent.objects.filter(appeal=appeal, action=Action.SEND_FOR_APPROVAL)
        .order_by("-at", "-id").values_list("actor_id", flat=True).first()
    )


def appeal_approve(*, appeal_id: int, user: User, now: dt.datetime | None = None) -> Appeal:
    def body(ctx: Context) -> None:
        drafter = _drafter_id(ctx.appeal)
        if drafter is not None and drafter in {user.pk, ctx.actor.acting_for_id}:
            # Seed 001 §8: the head approves what the executor prepared; nobody approves their own draft.
            raise _fail("own_draft", _("You prepared this answer: another head or the head's stand-in approves it."),
                        status=403)
        ctx.payload["drafted_by_id"] = drafter

    return _perform(appeal_id, Action.APPROVE, body, user=user, now=now)


def appeal_return_for_rework(
    *, appeal_id: int, user: User, reason: str, comment: str = "", now: dt.datetime | None = None
) -> Appeal:
    reasons = rework_reasons()
    if reason not in reasons:
        raise _fail("reason_required", _("Choose a reason for returning the answer."), field="reason")
    if reason == "other" and not comment.strip():
        raise _fail("comment_required", _("Explain what must be fixed."), field="comment")

    def body(ctx: Context) -> None:
        appeal = ctx.appeal
        ctx.payload.update({"reason": reason, "comment": comment})
        recipients = [appeal.executor_id] if appeal.executor_id else []
        ctx.then.append(lambda event: notify.staff(appeal, event, "rework", recipients))

    return _perform(appeal_id, Action.RETURN_FOR_REWORK, body, user=user,
                    reason=(f"{reasons[reason]}. {comment}".strip() if comment else str(reasons[reason])), now=now)


def answer_on_time(appeal: Appeal, at: dt.datetime) -> bool:
    """On time only before the term in force and with no breach of the answer term recorded in this
    consideration: a late appeal stays late whatever happens to its dates afterwards."""
    if appeal.due_at is not None and at > appeal.due_at:
        return False
    since = appeal.consideration_started_at or appeal.registered_at or appeal.received_at
    return not DeadlineBreach.objects.filter(appeal=appeal, stage=Stage.ANSWER, detected_at__gte=since).exists()


def appeal_publish(*, appeal_id: int, user: User, now: dt.datetime | None = None) -> Appeal:
    def body(ctx: Context) -> None:
        appeal = ctx.appeal
        appeal.answer_text = appeal.draft_answer
        appeal.answered_at = ctx.now
        ctx.payload.update(on_time=answer_on_time(appeal, ctx.now),
                           due_at=appeal.due_at.isoformat() if appeal.due_at else None, answer=appeal.answer_text)
        if appeal.draft_resolution_on is not None:
            deadlines.set_resolution(appeal, on=appeal.draft_resolution_on, cal=ctx.cal)
            ctx.payload["resolution_on"] = appeal.draft_resolution_on.isoformat()
            appeal.draft_resolution_on = None
        ctx.then.append(lambda event: notify.applicant(appeal, event, "answered"))

    return _perform(appeal_id, Action.PUBLISH, body, user=user, now=now)


def appeal_rate(
    *, appeal_id: int, rating: int, comment: str = "", user: User | None = None, token: str | None = None,
    now: dt.datetime | None = None,
) -> Appeal:
    """The applicant rates the answer. A satisfactory rating closes the appeal; an unsatisfactory
    one with a comment sends it back for reconsideration."""
    if not 1 <= rating <= 5:
        raise _fail("invalid_rating", _("Choose a rating from 1 to 5."), field="rating")
    comment = comment.strip()
    if rating < SATISFACTORY_RATING and not comment:
        raise _fail("comment_required", _("Tell us what is wrong with the answer."), field="comment")

    def body(ctx: Context) -> None:
        ctx.appeal.rating = rating
        ctx.appeal.rating_comment = comment
        ctx.payload.update({"rating": rating, "comment": comment})

    _perform(appeal_id, Action.RATE, body, user=user, token=token, now=now)
    if rating < SATISFACTORY_RATING:
        return appeal_reconsider(appeal_id=appeal_id, system=True, reason=comment, now=now)
    return appeal_close(appeal_id=appeal_id, system=True, now=now)


def appeal_reconsider(
    *, appeal_id: int, reason: str, user: User | None = None, system: bool = False, now: dt.datetime | None = None
) -> Appeal:
    """Reconsideration «повторное рассмотрение»: back to execution with a new full term."""

    def body(ctx: Context) -> None:
        appeal = ctx.appeal
        appeal.reconsideration_count += 1
        appeal.answered_at = None
        appeal.closed_at = None
        appeal.postponed_until = None
        appeal.extension_days = 0
        appeal.consideration_started_at = ctx.now
        _clear_proposal(appeal)
        due = deadlines.reconsideration_due(appeal, ctx.now, ctx.region, ctx.cal)
        deadlines.set_answer_term(appeal, start=ctx.now, due=due, region=ctx.region)
        ctx.payload["due_at"] = due.isoformat()
        recipients = [appeal.executor_id] if appeal.executor_id else []
        ctx.then.append(lambda event: notify.applicant(appeal, event, "reconsideration"))
        ctx.then.append(lambda event: notify.staff(appeal, event, "reconsideration_staff", recipients))

    return _perform(appeal_id, Action.RECONSIDER, body, user=user, system=system, reason=reason, now=now)


def appeal_close(
    *, appeal_id: int, user: User | None = None, system: bool = False, now: dt.datetime | None = None
) -> Appeal:
    def body(ctx: Context) -> None:
        ctx.appeal.closed_at = ctx.now

    return _perform(appeal_id, Action.CLOSE, body, user=user, system=system, now=now)


# --- 59-FZ ----------------------------------------------------------------------------------------


def appeal_extend(
    *, appeal_id: int, user: User, days: int, reason: str, now: dt.datetime | None = None
) -> Appeal:
    """Extend a 59-FZ term (Art. 12 p. 2): at most 30 days in all, applicant notified."""
    reason = _require_text(reason, "reason", _("Explain why the term is extended."))

    def body(ctx: Context) -> None:
        appeal = ctx.appeal
        _require_running_term(ctx)
        limit = ctx.region.fz59_max_extension_days
        if days < 1 or appeal.extension_days + days > limit:
            raise _fail("extension_too_long", _("The term can be extended by at most %(days)s days in all.")
                        % {"days": limit}, field="days")
        assert appeal.due_at is not None and appeal.term_started_at is not None
        appeal.extension_days += days
        due = deadlines.extended_due(appeal, ctx.region, ctx.cal)
        deadlines.set_answer_term(appeal, start=appeal.term_started_at, due=due, region=ctx.region)
        deadlines.set_stage(appeal, now=ctx.now, region=ctx.region, cal=ctx.cal)
        ctx.payload.update({"days": days, "due_at": due.isoformat()})
        ctx.then.append(lambda event: notify.applicant(appeal, event, "extended"))

    return _perform(appeal_id, Action.EXTEND, body, user=user, reason=reason, now=now)


def appeal_leave_without_answer(
    *, appeal_id: int, user: User, ground: str, comment: str = "", now: dt.datetime | None = None
) -> Appeal:
    if ground not in FZ59_NO_ANSWER_GROUNDS:
        raise _fail("reason_required", _("Choose the ground under Art. 11 of 59-FZ."), field="ground")

    def body(ctx: Context) -> None:
        ctx.appeal.closed_at = ctx.now
        ctx.payload.update({"ground": ground, "comment": comment})
        if ground != "no_name_or_address":
            ctx.then.append(lambda event: notify.applicant(ctx.appeal, event, "left_without_answer"))

    return _perform(appeal_id, Action.LEAVE_WITHOUT_ANSWER, body, user=user,
                    reason=str(FZ59_NO_ANSWER_GROUNDS[ground]), now=now)


def appeal_transfer(
    *, appeal_id: int, user: User, department: str, reason: str, department_sstu_id: str = "",
    now: dt.datetime | None = None,
) -> Appeal:
    """Forward a 59-FZ appeal to a competent body outside the platform (Art. 8 p. 3)."""
    department = _require_text(department, "department", _("Name the body the appeal is forwarded to."))
    reason = _require_text(reason, "reason", _("Explain why the appeal is forwarded."))

    def body(ctx: Context) -> None:
        _check_fz59_redirect_term(ctx)
        ctx.appeal.closed_at = ctx.now
        ctx.payload.update({"department": department, "department_sstu_id": department_sstu_id})
        ctx.then.append(lambda event: notify.applicant(ctx.appeal, event, "transferred"))

    return _perform(appeal_id, Action.TRANSFER, body, user=user, reason=reason, now=now)


# --- flags and the problem-resolution term ---------------------------------------------------------


def appeal_mark_significant(*, appeal_id: int, user: User, reason: str, now: dt.datetime | None = None) -> Appeal:
    """Socially significant (seed 001 §11, seed 002 §12): the regional coordinator hears at once."""
    reason = _require_text(reason, "reason", _("Explain why the appeal is socially significant."))

    def body(ctx: Context) -> None:
        if ctx.appeal.significant:
            raise _fail("already_significant", _("The appeal is already marked as socially significant."), status=409)
        ctx.appeal.significant = True
        ctx.then.append(lambda event: notify.regional_coordinators(ctx.appeal, event, "significant"))

    return _perform(appeal_id, Action.MARK_SIGNIFICANT, body, user=user, reason=reason, now=now)


def appeal_clear_significant(*, appeal_id: int, user: User, reason: str, now: dt.datetime | None = None) -> Appeal:
    reason = _require_text(reason, "reason", _("Explain why the appeal is no longer socially significant."))

    def body(ctx: Context) -> None:
        if not ctx.appeal.significant:
            raise _fail("not_significant", _("The appeal is not marked as socially significant."), status=409)
        ctx.appeal.significant = False

    return _perform(appeal_id, Action.CLEAR_SIGNIFICANT, body, user=user, reason=reason, now=now)


def appeal_resolve(*, appeal_id: int, user: User, comment: str = "", now: dt.datetime | None = None) -> Appeal:
    """The promised work is done. On time if before the end of the promised date."""

    def body(ctx: Context) -> None:
        appeal = ctx.appeal
        if appeal.resolved_at is not None:
            raise _fail("already_resolved", _("The problem is already recorded as solved."), status=409)
        appeal.resolved_at = ctx.now
        on_time = appeal.resolution_due_at is None or (
            ctx.now <= appeal.resolution_due_at and appeal.resolution_overdue_marked_at is None)
        ctx.payload.update({"on_time": on_time, "comment": comment.strip(),
                            "resolution_on": appeal.resolution_on.isoformat() if appeal.resolution_on else None})
        ctx.then.append(lambda event: notify.applicant(appeal, event, "resolved"))

    return _perform(appeal_id, Action.RESOLVE, body, user=user, reason=comment.strip(), now=now)


COMMENT_MAX = 2000


def appeal_comment(
    *, appeal_id: int, text: str, user: User | None = None, token: str | None = None,
    attachment_ids: tuple[int, ...] | list[int] = (), now: dt.datetime | None = None,
) -> Appeal:
    """The applicant adds a comment (and photos, stored by intake and listed here) to their own open
    message; the state does not change. Whoever holds the appeal hears of it: the executor, else the
    organisation's coordinators, else the moderators."""
    text = text.strip()
    if not text and not attachment_ids:
        raise _fail("comment_required", _("Write a comment or add a photo."), field="text")
    if len(text) > COMMENT_MAX:
        raise _fail("comment_too_long", _("A comment may have at most %(max)s characters.") % {"max": COMMENT_MAX},
                    field="text")

    def body(ctx: Context) -> None:
        appeal = ctx.appeal
        ctx.payload.update({"text": text, "attachments": list(attachment_ids)})

        def tell(event: AppealEvent) -> None:
            if appeal.executor_id:
                notify.staff(appeal, event, "applicant_comment", [appeal.executor_id])
            elif appeal.organization_id:
                notify.organization_coordinators(appeal, event, "applicant_comment")
            else:
                notify.moderators(appeal, event, "applicant_comment")

        ctx.then.append(tell)

    return _perform(appeal_id, Action.COMMENT, body, user=user, token=token, reason=text, now=now)


# --- the sweeper's writes ----------------------------------------------------------------------------


def _index_condition(index_name: str) -> tuple[str, list[Any]]:
    """The WHERE of one of the appeal's partial indexes, rendered as Django renders it for the index:
    a claim that repeats it word for word lets the planner read that index and nothing else."""
    index = next(i for i in Appeal._meta.indexes if i.name == index_name)
    query = Query(model=Appeal, alias_cols=False)
    where = query.build_where(index.condition)
    sql, params = where.as_sql(query.get_compiler(connection=connection), connection)
    return sql, list(params)


def deadline_claim(*, index: str, marker: str, moment: str, now: dt.datetime, limit: int) -> list[int]:
    """The sweeper's claim of due rows (appeals/sweeps.py): the rows of the partial ``index`` (whose
    condition holds "``marker`` is still empty" and what else makes a row due) whose ``moment`` has
    come get ``marker`` set, and their ids are returned. A conditional UPDATE … RETURNING, so two
    sweepers never claim one row; on PostgreSQL locked rows are skipped."""
    table = Appeal._meta.db_table
    condition, params = _index_condition(index)
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    sql = (
        f"UPDATE {table} SET {marker} = %s WHERE id IN ("
        f"SELECT id FROM {table} WHERE {condition} AND {moment} <= %s "
        f"ORDER BY {moment} LIMIT %s{lock}"
        f") AND {marker} IS NULL RETURNING id"
    )
    with connection.cursor() as cursor:
        at = connection.ops.adapt_datetimefield_value(now)
        cursor.execute(sql, [at, *params, at, limit])
        return [row[0] for row in cursor.fetchall()]


@dataclass(frozen=True)
class Breach:
    """A missed deadline as the sweeper found it; ``internal`` for a stage budget the acts do not fix."""

    appeal: Appeal
    stage: str
    due: dt.datetime | None
    internal: bool = False


def breaches_record(breaches: list[Breach], now: dt.datetime) -> None:
    """Record missed deadlines once each (a repeated one is ignored), with who held the appeal then:
    one statement for a whole batch of the sweeper's."""
    DeadlineBreach.objects.bulk_create(
        [DeadlineBreach(appeal=b.appeal, stage=b.stage, due_at=b.due, detected_at=now,
                        organization_id=b.appeal.organization_id, executor_id=b.appeal.executor_id,
                        coordinator_id=b.appeal.coordinator_id, state=b.appeal.state, internal=b.internal)
         for b in breaches if b.due is not None],
        ignore_conflicts=True,
    )


def personal_data_access_record(*, user: User, appeals: list[Appeal], where: str,
                                now: dt.datetime | None = None) -> None:
    """Record that ``user`` opened the applicant's data of ``appeals`` (152-FZ): the region's privacy
    officer sees who opened whose data, when and where (docs/security.md). The caller has already decided
    that the user may see it (selectors.can_see_personal_data)."""
    at = now or timezone.now()
    rows = []
    for appeal in appeals:
        cap = find_capacity(user, PERSONAL_DATA_ROLES, appeal.organization_id, at=at)
        rows.append(PersonalDataAccess(at=at, user=user, role=cap.role if cap else "", appeal=appeal, where=where))
    with transaction.atomic():
        PersonalDataAccess.objects.bulk_create(rows)
