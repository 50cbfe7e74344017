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
from otklik.registry.models import CLASSIFIER_CODE_RE
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
        found, _created = SstuSettings.objects.get_or_create(pk=1)
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


def build_request(appeal: Appeal, result: SstuResult | None, transfer: AppealEvent | None) -> dict[str, Any]:
    """The SSTU request for one appeal (domain.md §4.3). Every appeal we hold was received directly
    from its applicant, so isDirect is true and the cover-letter date is not sent."""
    status = status_of(appeal, result)
    question: dict[str, Any] = {
        "code": appeal.category.classifier_code.code
        if appeal.category_id and appeal.category and appeal.category.classifier_code_id
        and appeal.category.classifier_code else "",
        "status": status,
        "incomingDate": _date(appeal.received_at),
    }
    if status != NOT_REGISTERED:
        question["registrationDate"] = _date(appeal.registered_at)
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
    request: dict[str, Any] = {
        "departmentId": appeal.organization.sstu_department_guid if appeal.organization else "",
        "isDirect": True,
        "format": "Other",
        "number": appeal.number,
        "name": appeal.applicant_name,
        "questions": [question],
    }
    if appeal.applicant_address:
        request["address"] = appeal.applicant_address
    if appeal.applicant_email:
        request["email"] = appeal.applicant_email
    return request


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
    exported: list[tuple[int, str]] = field(default_factory=list)  # (appeal id, status)
    errors: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[int, bytes]] = field(default_factory=list)


def build_export(appeals: Iterable[Appeal], *, part_limit: int, keep_requests: bool,
                 progress: Callable[[int], None] | None = None) -> ExportOutcome:
    outcome = ExportOutcome()
    writer = PartWriter(part_limit)
    appeals = list(appeals)
    ids = [appeal.pk for appeal in appeals]
    results = {row.appeal_id: row for row in SstuResult.objects.filter(appeal_id__in=ids)}
    transfers = {event.appeal_id: event for event in
                 AppealEvent.objects.filter(appeal_id__in=ids, action=Action.TRANSFER).order_by("at", "id")}
    for index, appeal in enumerate(appeals, start=1):
        request = build_request(appeal, results.get(appeal.pk), transfers.get(appeal.pk))
        problems = validate(request)
        if problems:
            outcome.errors.append({"appeal_id": appeal.pk, "number": appeal.number,
                                   "organization": str(appeal.organization or ""), "errors": problems})
        else:
            body = json.dumps(request, ensure_ascii=False).encode("utf-8")
            writer.add(f"{uuid.uuid4()}.json", body)
            outcome.exported.append((appeal.pk, request["questions"][0]["status"]))
            if keep_requests:
                outcome.requests.append((appeal.pk, body))
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
