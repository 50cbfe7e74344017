"""Every write of the escalations domain; each leaves an EscalationEvent (who, when, what, details).

The live detector is detector.Detector fed one appeal at a time: the key's rolling counters and the
escalations still absorbing are loaded from the database, the appeal is fed, the state is written
back, all under a lock on the settings row so that two workers never count against stale counters.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.models import REGION_WIDE_ROLES, Membership, User
from otklik.accounts.permissions import capacities
from otklik.appeals.models import Appeal
from otklik.appeals.services import AppealError
from otklik.escalations import detector as det
from otklik.escalations.models import (
    DetectedAppeal,
    DetectorCounter,
    Escalation,
    EscalationAppeal,
    EscalationEvent,
    EscalationSettings,
)
from otklik.escalations.selectors import detector_params, region_lexicon, significant_category_ids
from otklik.notifications.services import notice_create


class EscalationError(AppealError):
    """A refused escalation action; the API answers it like any AppealError ({"code", "message", "field"})."""


def _event(escalation: Escalation, action: str, *, at: dt.datetime, actor: User | None = None,
           **payload: Any) -> EscalationEvent:
    return EscalationEvent.objects.create(escalation=escalation, action=action, at=at, actor=actor, payload=payload)


def settings_row(*, lock: bool = False) -> EscalationSettings:
    row, _created = EscalationSettings.objects.get_or_create(pk=1)
    if lock:
        row = EscalationSettings.objects.select_for_update().get(pk=1)
    return row


# --- live detection -----------------------------------------------------------------------------

def appeal_item(appeal: Appeal, *, significant_categories: set[int]) -> det.Item:
    """The detector's view of an appeal: keys by id (stable when names change)."""
    return det.Item(
        created=appeal.received_at, text=appeal.text,
        category=str(appeal.category_id) if appeal.category_id else None,
        territory=str(appeal.territory_id) if appeal.territory_id else None,
        lat=appeal.latitude, lon=appeal.longitude, ref=appeal.pk,
        significant=bool(appeal.significant or (appeal.category_id in significant_categories)),
    )


def _as_detector(row: Escalation) -> det.Escalation:
    return det.Escalation(
        kind=row.kind, problem=row.problem, place=(row.places or [""])[0],
        category=str(row.category_id) if row.category_id else None,
        territory=str(row.territory_id) if row.territory_id else None,
        opened_at=row.opened_at, first_item_at=row.first_appeal_at, last_item_at=row.last_appeal_at,
        hot_at=row.hot_at, refs=[], places=list(row.places or []), id=row.pk,
    )


def _key(problem: str, place: str) -> str:
    return json.dumps([problem, place], ensure_ascii=False)


def feed_appeal(*, appeal_id: int, now: dt.datetime | None = None) -> Escalation | None:
    """Feed one appeal to the live detector once; the escalation it opened or joined, if any."""
    now = now or timezone.now()
    with transaction.atomic():
        row = settings_row(lock=True)
        appeal = Appeal.objects.filter(pk=appeal_id).first()
        if appeal is None or DetectedAppeal.objects.filter(appeal_id=appeal_id).exists():
            return None
        DetectedAppeal.objects.create(appeal=appeal, at=now)
        tz = timezone.get_current_timezone()
        if row.detector_start is None:
            row.detector_start = timezone.localdate(appeal.received_at)
            row.save(update_fields=["detector_start"])
        params = detector_params(row)
        detector = det.Detector(params, lexicon=region_lexicon(), tz=tz,
                                start_day=row.detector_start.toordinal())
        item = appeal_item(appeal, significant_categories=significant_category_ids())
        problem, place = detector.problem_of(item), detector.place_of(item)
        counter = DetectorCounter.objects.select_for_update().filter(key=_key(problem, place)).first()
        if counter is not None:
            detector.keys[(problem, place)] = det.KeyState.from_json(counter.state, params.history_days)
        since = item.created - dt.timedelta(hours=params.window_hours)
        rows = {esc.pk: esc for esc in Escalation.objects.exclude(state=Escalation.State.CLOSED)
                .filter(hot_at__gt=since).order_by("opened_at")}
        for esc in rows.values():
            detector.open.setdefault(esc.problem, []).append(_as_detector(esc))
        decision = detector.feed(item)
        state = detector.keys[(problem, place)].to_json()
        if counter is None:
            DetectorCounter.objects.create(key=_key(problem, place), state=state, updated_at=now)
        else:
            counter.state, counter.updated_at = state, now
            counter.save(update_fields=["state", "updated_at"])
        found = decision.escalation
        if found is None:
            return None
        if decision.opened:
            return _open(found, row, now=now)
        return _absorb(rows[found.id], found, now=now, joined=decision.joined_place)


def _labels(found: det.Escalation) -> dict[str, Any]:
    return {"category_id": int(found.category) if found.category else None,
            "territory_id": int(found.territory) if found.territory else None}


def _open(found: det.Escalation, row: EscalationSettings, *, now: dt.datetime,
          actor: User | None = None) -> Escalation:
    escalation = Escalation.objects.create(
        kind=found.kind, problem=found.problem, places=found.places, signal=found.signal, opened_at=now,
        first_appeal_at=found.first_item_at, last_appeal_at=found.last_item_at, hot_at=found.hot_at or now,
        due_at=now + dt.timedelta(hours=row.report_hours), count=found.count, expected=found.expected,
        **_labels(found),
    )
    _link(escalation, found.refs, now=now)
    _event(escalation, EscalationEvent.Action.OPEN, at=now, actor=actor, kind=found.kind, signal=found.signal,
           appeals=sorted(int(ref) for ref in found.refs), count=found.count, expected=round(found.expected, 2))
    _notify(escalation, now=now)
    return escalation


def _link(escalation: Escalation, refs: list[Any], *, now: dt.datetime) -> list[int]:
    known = set(escalation.links.values_list("appeal_id", flat=True))
    new = [int(ref) for ref in dict.fromkeys(refs) if ref is not None and int(ref) not in known]
    EscalationAppeal.objects.bulk_create([EscalationAppeal(escalation=escalation, appeal_id=ref, added_at=now)
                                          for ref in new], ignore_conflicts=True)
    territories = set(Appeal.objects.filter(pk__in=new, territory__isnull=False).values_list("territory_id",
                                                                                           flat=True))
    if territories:
        escalation.territories.add(*territories)
    return new


def _absorb(escalation: Escalation, found: det.Escalation, *, now: dt.datetime, joined: bool) -> Escalation:
    escalation.last_appeal_at = found.last_item_at
    escalation.hot_at = found.hot_at or escalation.hot_at
    escalation.places = found.places
    escalation.save(update_fields=["last_appeal_at", "hot_at", "places"])
    new = _link(escalation, found.refs, now=now)
    if new:
        _event(escalation, EscalationEvent.Action.ABSORB, at=now, appeals=new, neighbouring_place=joined)
        _notify(escalation, now=now)  # organisations newly involved hear too; the others not twice
    return escalation


def open_for_staff_flag(*, appeal_id: int, now: dt.datetime | None = None) -> Escalation | None:
    """A staff member marked the appeal socially significant: an escalation at once, unless one of its
    escalations is still open."""
    now = now or timezone.now()
    with transaction.atomic():
        row = settings_row(lock=True)
        appeal = Appeal.objects.filter(pk=appeal_id, significant=True).first()
        if appeal is None:
            return None
        if Escalation.objects.filter(links__appeal_id=appeal_id).exclude(state=Escalation.State.CLOSED).exists():
            return None
        event = appeal.events.filter(action="mark_significant").order_by("-at", "-id").first()
        actor = event.actor if event else None
        reason = event.reason if event else ""
        found = det.Escalation(
            kind=det.SIGNIFICANT, problem="!" + (str(appeal.category_id or "") or "staff"),
            place=f"t:{appeal.territory_id}" if appeal.territory_id else "",
            category=str(appeal.category_id) if appeal.category_id else None,
            territory=str(appeal.territory_id) if appeal.territory_id else None,
            opened_at=now, first_item_at=appeal.received_at, last_item_at=appeal.received_at, hot_at=now,
            refs=[appeal.pk], signal=_("marked by staff: %(reason)s") % {"reason": reason} if reason else "",
        )
        found.places = [found.place]
        DetectedAppeal.objects.get_or_create(appeal=appeal, defaults={"at": now})
        return _open(found, row, now=now, actor=actor)


# --- recipients and notices ---------------------------------------------------------------------

def recipient_ids(escalation: Escalation) -> set[int]:
    """The regional coordinators, and the holders of the region's named roles: region-wide ones all,
    the others in the organisations of the escalation's appeals."""
    roles = set(settings_row().recipient_roles or []) | {"regional_coordinator"}
    wide = roles & set(REGION_WIDE_ROLES)
    orgs = set(Appeal.objects.filter(escalation_links__escalation=escalation, organization__isnull=False)
               .values_list("organization_id", flat=True))
    ids = set(Membership.objects.filter(role__in=wide).values_list("user_id", flat=True))
    ids |= set(Membership.objects.filter(role__in=roles - wide, organization_id__in=orgs)
               .values_list("user_id", flat=True))
    return ids


def escalation_link(escalation: Escalation) -> str:
    return f"{settings.SITE_URL}/workspace/escalations/{escalation.pk}/"


def summary_line(escalation: Escalation) -> str:
    what = escalation.category.name if escalation.category else (escalation.signal or _("no category"))
    where = escalation.territory.name if escalation.territory else _("the region")
    return f"{escalation.get_kind_display()}: {what}, {where}"


def _notify(escalation: Escalation, *, now: dt.datetime) -> None:
    ids = recipient_ids(escalation)
    new = ids - set(escalation.recipients.values_list("pk", flat=True))
    if not new:
        return
    escalation.recipients.add(*new)
    due = timezone.localtime(escalation.due_at).strftime("%d.%m.%Y %H:%M")
    subject = _("Escalation № %(number)s: %(summary)s") % {"number": escalation.pk, "summary": summary_line(escalation)}
    body = _("%(summary)s. Detected at %(opened)s; the report is due by %(due)s.\n%(link)s") % {
        "summary": summary_line(escalation), "opened": timezone.localtime(escalation.opened_at).strftime(
            "%d.%m.%Y %H:%M"), "due": due, "link": escalation_link(escalation)}
    for user in User.objects.filter(pk__in=new, is_active=True):
        notice_create(kind="escalation", dedupe=f"escalation:{escalation.pk}:opened", subject=subject, body=body,
                      recipient=user)
    _event(escalation, EscalationEvent.Action.NOTIFY, at=now, recipients=sorted(new))


# --- staff actions ------------------------------------------------------------------------------

def _fail(code: str, message: str, *, field: str | None = None, status: int = 400) -> EscalationError:
    return EscalationError(code, message, field=field, status=status)


def _locked_for(user: User, escalation_id: int) -> Escalation:
    if not any(cap.role in REGION_WIDE_ROLES for cap in capacities(user)):
        from otklik.escalations.selectors import escalation_for_user

        if escalation_for_user(user, escalation_id) is None:
            raise _fail("not_found", _("No such escalation."), status=404)
        raise _fail("forbidden", _("Only the regional coordinator acts on escalations."), status=403)
    escalation = Escalation.objects.select_for_update().filter(pk=escalation_id).first()
    if escalation is None:
        raise _fail("not_found", _("No such escalation."), status=404)
    return escalation


def acknowledge(*, escalation_id: int, user: User, now: dt.datetime | None = None) -> Escalation:
    now = now or timezone.now()
    with transaction.atomic():
        escalation = _locked_for(user, escalation_id)
        if escalation.state != Escalation.State.OPEN:
            raise _fail("not_open", _("The escalation is already acknowledged."), status=409)
        escalation.state, escalation.acknowledged_at = Escalation.State.ACKNOWLEDGED, now
        if not escalation.report_text:
            from otklik.escalations.documents import draft_report

            escalation.report_text = draft_report(escalation, now=now)
        escalation.save(update_fields=["state", "acknowledged_at", "report_text"])
        _event(escalation, EscalationEvent.Action.ACKNOWLEDGE, at=now, actor=user)
    return escalation


def save_report(*, escalation_id: int, user: User, text: str, now: dt.datetime | None = None) -> Escalation:
    now = now or timezone.now()
    text = (text or "").strip()
    if not text:
        raise _fail("empty_report", _("Write the report."), field="text")
    with transaction.atomic():
        escalation = _locked_for(user, escalation_id)
        if escalation.state == Escalation.State.CLOSED:
            raise _fail("closed", _("The escalation is closed."), status=409)
        escalation.report_text = text
        escalation.save(update_fields=["report_text"])
        _event(escalation, EscalationEvent.Action.DRAFT, at=now, actor=user, length=len(text))
    return escalation


def send_report(*, escalation_id: int, user: User, text: str | None = None,
                now: dt.datetime | None = None) -> Escalation:
    """The report as PDF to the recipients; after the deadline it is a breach (selectors.late_reports)."""
    from otklik.escalations.documents import draft_report, render_pdf

    now = now or timezone.now()
    with transaction.atomic():
        escalation = _locked_for(user, escalation_id)
        if escalation.state not in (Escalation.State.OPEN, Escalation.State.ACKNOWLEDGED):
            raise _fail("already_reported", _("The report is already sent."), status=409)
        body = (text if text is not None else escalation.report_text).strip() or draft_report(escalation, now=now)
        if escalation.acknowledged_at is None:
            escalation.acknowledged_at = now
        escalation.report_text, escalation.reported_at = body, now
        escalation.state = Escalation.State.REPORTED
        escalation.report_pdf.save(f"escalation-{escalation.pk}.pdf", ContentFile(render_pdf(escalation)),
                                   save=False)
        escalation.save(update_fields=["report_text", "reported_at", "state", "acknowledged_at", "report_pdf"])
        late = escalation.report_late
        _event(escalation, EscalationEvent.Action.REPORT, at=now, actor=user, late=late)
        subject = _("Report on escalation № %(number)s") % {"number": escalation.pk}
        for recipient in escalation.recipients.filter(is_active=True):
            notice_create(kind="escalation", dedupe=f"escalation:{escalation.pk}:report", subject=subject,
                          body=f"{body}\n\n{escalation_link(escalation)}report.pdf", recipient=recipient)
    return escalation


def close(*, escalation_id: int, user: User, outcome: str, note: str = "",
          now: dt.datetime | None = None) -> Escalation:
    now = now or timezone.now()
    if outcome not in Escalation.Outcome.values:
        raise _fail("bad_outcome", _("Choose the outcome."), field="outcome")
    with transaction.atomic():
        escalation = _locked_for(user, escalation_id)
        if escalation.state == Escalation.State.CLOSED:
            raise _fail("closed", _("The escalation is already closed."), status=409)
        if escalation.state != Escalation.State.REPORTED and outcome not in (
                Escalation.Outcome.FALSE_ALARM, Escalation.Outcome.NOT_CONFIRMED):
            raise _fail("not_reported", _("Send the report before closing with this outcome."), field="outcome",
                        status=409)
        escalation.state, escalation.closed_at = Escalation.State.CLOSED, now
        escalation.outcome, escalation.outcome_note = outcome, (note or "").strip()
        escalation.save(update_fields=["state", "closed_at", "outcome", "outcome_note"])
        _event(escalation, EscalationEvent.Action.CLOSE, at=now, actor=user, outcome=outcome)
    return escalation


def update_settings(*, user: User, **values: Any) -> EscalationSettings:
    """The admin changes settings through the admin form; this is for scripts and the demo."""
    with transaction.atomic():
        row = settings_row(lock=True)
        for name, value in values.items():
            setattr(row, name, value)
        row.save()
    return row
