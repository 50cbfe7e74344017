"""SSTU.RF «Результаты рассмотрения обращений» (Decree 171, form А1-678о): one JSON request per
59-FZ appeal, checked against the portal's rules, written into ZIP parts of at most 50 MB for the
offline upload, and pushed to the regional connector over HTTP.

Status mapping from our lifecycle (domain.md §4.2):
  received (not registered yet)            → NotRegistered
  moderation … approved (being considered) → InWork (isExtend when the term was extended)
  answered, closed                         → Explained / Supported (+actionsTaken) / NotSupported, as the
                                             head recorded in SstuResult; without a record → Answered
  left_without_answer                      → LeftWithoutAnswer
  transferred                              → Transferred, with the transfer block
  rejected (refused at moderation)         → LeftWithoutAnswer

Redirects inside the platform (the REDIRECT events, payload from_organization_id → organization_id):
each organisation that held the appeal reports it. The forwarding one reports «Направлено по
компетенции» (Transferred, the transfer block naming the receiving organisation's GUID, the day of the
redirect and the appeal's number); the receiving one reports its own status with isDirect false, the
redirect's day as the cover letter's date (createDate), as the day of receipt and as its own
registration date (seed 000, domain.md §4.3).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import urllib.error
import urllib.request
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.appeals.lifecycle import OPEN_STATES, Action, Regime, State
from otklik.appeals.models import Appeal, AppealEvent
from otklik.registry.models import CLASSIFIER_CODE_RE, Organization
from otklik.reports.models import SstuResult, SstuSettings

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MAX_ATTACHMENT_BYTES = 10_000_000
DEFAULT_PART_BYTES = 50_000_000

NOT_REGISTERED = "NotRegistered"
IN_WORK = "InWork"
EXPLAINED = "Explained"
SUPPORTED = "Supported"
NOT_SUPPORTED = "NotSupported"
TRANSFERRED = "Transferred"
ANSWERED = "Answered"
LEFT_WITHOUT_ANSWER = "LeftWithoutAnswer"
CONSIDERED = frozenset({EXPLAINED, SUPPORTED, NOT_SUPPORTED, ANSWERED})
RESULT_STATUS = {
    SstuResult.Result.EXPLAINED: EXPLAINED,
    SstuResult.Result.SUPPORTED: SUPPORTED,
    SstuResult.Result.NOT_SUPPORTED: NOT_SUPPORTED,
}


def sstu_settings() -> SstuSettings:
    found = SstuSettings.objects.order_by("pk").first()
    if found is None:
        from otklik.reports.services import sstu_settings_create_default

        found = sstu_settings_create_default()
    return found


def status_of(appeal: Appeal, result: SstuResult | None) -> str:
    state = appeal.state
    if state == State.RECEIVED:
        return NOT_REGISTERED
    if state in OPEN_STATES:
        return IN_WORK
    if state in (State.ANSWERED, State.CLOSED):
        return RESULT_STATUS[SstuResult.Result(result.result)] if result is not None else ANSWERED
    if state == State.TRANSFERRED:
        return TRANSFERRED
    return LEFT_WITHOUT_ANSWER


def _date(moment: dt.datetime | None) -> str | None:
    return timezone.localtime(moment).date().isoformat() if moment else None


def _attachment(appeal: Appeal, result: SstuResult | None) -> dict[str, str] | None:
    if result is not None and result.attachment:
        content = bytes(result.attachment)
        name = result.attachment_name or f"answer-{appeal.number}"
    elif appeal.answer_text.strip():
        content = appeal.answer_text.encode("utf-8")
        name = f"answer-{appeal.number}.txt"
    else:
        return None
    return {"name": name, "content": base64.b64encode(content).decode("ascii")}


def _code(appeal: Appeal) -> str:
    category = appeal.category if appeal.category_id else None
    return category.classifier_code.code if category and category.classifier_code_id and category.classifier_code \
        else ""


def _envelope(appeal: Appeal, department_id: str, received_by_redirect: AppealEvent | None,
              question: dict[str, Any]) -> dict[str, Any]:
    request: dict[str, Any] = {
        "departmentId": department_id,
        # Received from the applicant, or forwarded by another organisation of the platform.
        "isDirect": received_by_redirect is None,
        "format": "Other",
        "number": appeal.number,
        "name": appeal.applicant_name,
        "questions": [question],
    }
    if received_by_redirect is not None:
        request["createDate"] = _date(received_by_redirect.at)
    if appeal.applicant_address:
        request["address"] = appeal.applicant_address
    if appeal.applicant_email:
        request["email"] = appeal.applicant_email
    return request


def build_request(appeal: Appeal, result: SstuResult | None, transfer: AppealEvent | None,
                  redirect: AppealEvent | None = None) -> dict[str, Any]:
    """The SSTU request of the organisation that holds the appeal now (domain.md §4.3). Received from
    the applicant: isDirect, no cover-letter date. Received by a redirect inside the platform
    (``redirect``): isDirect false, and the redirect's day is the cover letter's date, the day of
    receipt and this organisation's own registration date."""
    status = status_of(appeal, result)
    question: dict[str, Any] = {
        "code": _code(appeal),
        "status": status,
        "incomingDate": _date(redirect.at if redirect is not None else appeal.received_at),
    }
    if status != NOT_REGISTERED:
        question["registrationDate"] = _date(redirect.at if redirect is not None else appeal.registered_at)
    if status == IN_WORK and appeal.extension_days:
        question["isExtend"] = True
    if status in CONSIDERED:
        question["responseDate"] = _date(appeal.answered_at or appeal.closed_at)
        question["attachment"] = _attachment(appeal, result)
    if status == LEFT_WITHOUT_ANSWER:
        question["responseDate"] = _date(appeal.closed_at or appeal.state_changed_at)
    if status == SUPPORTED:
        question["actionsTaken"] = bool(result and result.actions_taken)
    if status == TRANSFERRED:
        payload = transfer.payload if transfer is not None else {}
        question["transfer"] = {
            "departmentId": payload.get("department_sstu_id", ""),
            "transferDate": _date(transfer.at if transfer is not None else appeal.closed_at),
            "transferNumber": appeal.number,
        }
    department = appeal.organization.sstu_department_guid if appeal.organization else ""
    return _envelope(appeal, department, redirect, question)


def forwarded_request(appeal: Appeal, redirect: AppealEvent, received_by: AppealEvent | None,
                      guids: dict[int, str]) -> dict[str, Any]:
    """The request of an organisation that redirected the appeal to another one of the platform:
    «Направлено по компетенции» with the transfer block. ``received_by`` is the redirect that brought
    the appeal to it, if it was not received from the applicant."""
    payload = redirect.payload or {}
    question: dict[str, Any] = {
        "code": _code(appeal),
        "status": TRANSFERRED,
        "incomingDate": _date(received_by.at if received_by is not None else appeal.received_at),
        "registrationDate": _date(received_by.at if received_by is not None else appeal.registered_at),
        "transfer": {
            "departmentId": guids.get(payload.get("organization_id") or 0, ""),
            "transferDate": _date(redirect.at),
            "transferNumber": appeal.number,
        },
    }
    return _envelope(appeal, guids.get(payload.get("from_organization_id") or 0, ""), received_by, question)


def requests_for(appeal: Appeal, result: SstuResult | None, transfer: AppealEvent | None,
                 redirects: list[AppealEvent], guids: dict[int, str]) -> list[tuple[int | None, dict[str, Any]]]:
    """(organisation id, request) for every organisation that held the appeal, in the order they held
    it: each one that redirected it inside the platform, then the one that holds it now."""
    made: list[tuple[int | None, dict[str, Any]]] = []
    received_by: AppealEvent | None = None
    for redirect in redirects:
        made.append(((redirect.payload or {}).get("from_organization_id"),
                     forwarded_request(appeal, redirect, received_by, guids)))
        received_by = redirect
    made.append((appeal.organization_id, build_request(appeal, result, transfer, received_by)))
    return made


def validate(request: dict[str, Any]) -> list[str]:
    """Every rule of the portal (SstuLib's checks and the field notes), as messages in Russian."""
    errors: list[str] = []
    if not GUID_RE.match(request.get("departmentId") or ""):
        errors.append(_("The organisation has no SSTU department GUID (or it is malformed)."))
    if not (request.get("number") or "").strip():
        errors.append(_("The registration number is empty."))
    if not (request.get("name") or "").strip():
        errors.append(_("The applicant's full name is empty."))
    if not request.get("isDirect") and not request.get("createDate"):
        errors.append(_("The date of the cover letter is required for an appeal that was forwarded."))
    questions = request.get("questions") or []
    if not questions:
        errors.append(_("There must be at least one question."))
    for question in questions:
        status = question.get("status")
        code = question.get("code") or ""
        if not code:
            errors.append(_("The category has no thematic classifier code."))
        elif not CLASSIFIER_CODE_RE.match(code):
            errors.append(_("The classifier code %(code)s is not of the form SSSS.TTTT.MMMM.QQQQ.") % {"code": code})
        incoming, registered = question.get("incomingDate"), question.get("registrationDate")
        response = question.get("responseDate")
        if not incoming:
            errors.append(_("The date of receipt is missing."))
        if not request.get("isDirect") and incoming and request.get("createDate") and incoming < request["createDate"]:
            errors.append(_("The date of receipt is earlier than the date of the cover letter."))
        if status != NOT_REGISTERED:
            if not registered:
                errors.append(_("The registration date is missing."))
            elif incoming and registered < incoming:
                errors.append(_("The registration date is earlier than the date of receipt."))
        if status in CONSIDERED or status == LEFT_WITHOUT_ANSWER:
            if not response:
                errors.append(_("The date of the answer is missing."))
            elif registered and response < registered:
                errors.append(_("The date of the answer is earlier than the registration date."))
        if status in CONSIDERED:
            attachment = question.get("attachment")
            if not attachment or not attachment.get("content"):
                errors.append(_("The answer file is missing."))
            elif len(attachment["content"]) >= MAX_ATTACHMENT_BYTES:
                errors.append(_("The answer file is too large: it must be under 10,000,000 bytes."))
        if status == SUPPORTED and not isinstance(question.get("actionsTaken"), bool):
            errors.append(_("For a supported appeal say whether measures were taken."))
        if status == TRANSFERRED:
            transfer = question.get("transfer") or {}
            if not GUID_RE.match(transfer.get("departmentId") or ""):
                errors.append(_("The SSTU GUID of the body the appeal was forwarded to is missing or malformed."))
            if not transfer.get("transferDate"):
                errors.append(_("The date of forwarding is missing."))
            elif registered and transfer["transferDate"] < registered:
                errors.append(_("The date of forwarding is earlier than the registration date."))
    return errors


# --- ZIP parts ----------------------------------------------------------------------------------------


class PartWriter:
    """Writes files into ZIP archives, starting a new part before one would pass ``limit`` bytes."""

    END_RECORD = 22
    MARGIN = 64

    def __init__(self, limit: int = DEFAULT_PART_BYTES) -> None:
        self.limit = limit
        self.parts: list[tuple[bytes, int]] = []
        self._open()

    def _open(self) -> None:
        self._buffer = io.BytesIO()
        self._zip = zipfile.ZipFile(self._buffer, "w", compression=zipfile.ZIP_DEFLATED)
        self._central = 0
        self._files = 0

    def _close(self) -> None:
        self._zip.close()
        if self._files:
            self.parts.append((self._buffer.getvalue(), self._files))

    def add(self, name: str, data: bytes) -> None:
        # ZipFile deflates at the default level with a raw stream: the same size as this, to the byte.
        compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        compressed = len(compressor.compress(data) + compressor.flush())
        encoded = len(name.encode("utf-8"))
        entry, central = 30 + encoded + compressed, 46 + encoded
        projected = self._buffer.tell() + entry + self._central + central + self.END_RECORD + self.MARGIN
        if self._files and projected > self.limit:
            self._close()
            self._open()
        self._zip.writestr(name, data)
        self._central += central
        self._files += 1

    def finish(self) -> list[tuple[bytes, int]]:
        self._close()
        return self.parts


# --- selection, export, push --------------------------------------------------------------------------


def pending(queryset: QuerySet[Appeal]) -> QuerySet[Appeal]:
    """59-FZ appeals whose current status has not reached SSTU.RF: never exported, or changed since."""
    return queryset.filter(regime=Regime.FZ59).filter(
        Q(sstu_export_state__isnull=True)
        | Q(sstu_export_state__exported_at__lt=F("state_changed_at"))
        | Q(sstu_result__recorded_at__gt=F("sstu_export_state__exported_at"))
    )


@dataclass
class ExportOutcome:
    parts: list[tuple[bytes, int]] = field(default_factory=list)
    # (appeal id, status) where the request of the organisation that holds the appeal now went out
    exported: list[tuple[int, str]] = field(default_factory=list)
    # appeals of which only the requests of organisations that redirected them went out
    forwarded: list[int] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[int, bytes]] = field(default_factory=list)


def build_export(appeals: Iterable[Appeal], *, part_limit: int, keep_requests: bool,
                 progress: Callable[[int], None] | None = None, organization_id: int = 0) -> ExportOutcome:
    """The requests of every organisation that held each appeal (only ``organization_id``'s when it is
    given). An appeal with any invalid request is refused as a whole and stays pending."""
    outcome = ExportOutcome()
    writer = PartWriter(part_limit)
    appeals = list(appeals)
    ids = [appeal.pk for appeal in appeals]
    results = {row.appeal_id: row for row in SstuResult.objects.filter(appeal_id__in=ids)}
    transfers = {event.appeal_id: event for event in
                 AppealEvent.objects.filter(appeal_id__in=ids, action=Action.TRANSFER).order_by("at", "id")}
    redirects: dict[int, list[AppealEvent]] = {}
    for event in AppealEvent.objects.filter(appeal_id__in=ids, action=Action.REDIRECT).order_by("at", "id"):
        redirects.setdefault(event.appeal_id, []).append(event)
    org_ids = {org for events in redirects.values() for event in events
               for org in (event.payload.get("from_organization_id"), event.payload.get("organization_id")) if org}
    guids = dict(Organization.objects.filter(pk__in=org_ids).values_list("pk", "sstu_department_guid"))
    names = dict(Organization.objects.filter(pk__in=org_ids).values_list("pk", "name"))
    for index, appeal in enumerate(appeals, start=1):
        made = requests_for(appeal, results.get(appeal.pk), transfers.get(appeal.pk), redirects.get(appeal.pk, []),
                            guids)
        if organization_id:
            made = [(org, request) for org, request in made if org == organization_id]
        elif appeal.organization_id is None:
            # In moderation: no organisation holds it, so no department can report it yet; it stays
            # pending (only what organisations that redirected it report goes out).
            made = made[:-1]
        problems: list[str] = []
        for org, request in made:
            found = validate(request)
            if found and len(made) > 1:
                name = names.get(org or 0) or str(appeal.organization or "")
                found = [f"{name}: {problem}" for problem in found]
            problems += found
        if problems:
            outcome.errors.append({"appeal_id": appeal.pk, "number": appeal.number,
                                   "organization": str(appeal.organization or ""), "errors": problems})
        elif made:
            for _org, request in made:
                body = json.dumps(request, ensure_ascii=False).encode("utf-8")
                writer.add(f"{uuid.uuid4()}.json", body)
                if keep_requests:
                    outcome.requests.append((appeal.pk, body))
            current_org, current = made[-1]
            if current_org == appeal.organization_id:
                outcome.exported.append((appeal.pk, current["questions"][0]["status"]))
            else:
                outcome.forwarded.append(appeal.pk)
        if progress is not None and index % 200 == 0:
            progress(index)
    outcome.parts = writer.finish()
    return outcome


def push(url: str, requests: list[tuple[int, bytes]], *, timeout: int,
         progress: Callable[[int], None] | None = None) -> tuple[int, list[dict[str, Any]]]:
    """POST each request to the connector (…/IPCP/HandlingReportPlugin/Api/Import)."""
    accepted = 0
    errors: list[dict[str, Any]] = []
    for index, (appeal_id, body) in enumerate(requests, start=1):
        http_request = urllib.request.Request(url, data=body, method="POST",
                                              headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            with urllib.request.urlopen(http_request, timeout=timeout) as response:
                if 200 <= response.status < 300:
                    accepted += 1
                else:
                    errors.append({"appeal_id": appeal_id, "error": f"HTTP {response.status}"})
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:500].decode(errors="replace")
            errors.append({"appeal_id": appeal_id, "error": f"HTTP {exc.code}: {detail}"})
        except (urllib.error.URLError, OSError) as exc:
            errors.append({"appeal_id": appeal_id, "error": str(exc)[:500]})
        if progress is not None and index % 50 == 0:
            progress(index)
    return accepted, errors
