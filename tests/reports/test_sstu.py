from __future__ import annotations

import base64
import datetime as dt
import io
import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import translation

from otklik.appeals import services as s
from otklik.appeals.models import Appeal, AppealEvent
from otklik.reports import sstu
from otklik.reports.models import SstuExportState, SstuResult
from otklik.reports.services import ReportError, sstu_export_run, sstu_monitoring, sstu_result_record
from tests.reports.conftest import local, make_appeal

pytestmark = pytest.mark.django_db
GUID = "11111111-2222-3333-4444-555555555555"


def fz59(w, *, at=None, answer=True, people=None, **fields) -> Appeal:
    return make_appeal(w, at=at or local(2026, 3, 2), people=people, regime="fz59", channel="email",
                       answer_after_hours=72 if answer else None, **fields)


def request_for(appeal: Appeal) -> dict:
    appeal = Appeal.objects.select_related("organization", "category__classifier_code").get(pk=appeal.pk)
    result = SstuResult.objects.filter(appeal=appeal).first()
    transfer = AppealEvent.objects.filter(appeal=appeal, action="transfer").first()
    return sstu.build_request(appeal, result, transfer)


def test_it_maps_our_lifecycle_to_sstu_statuses(rworld):
    head = rworld.orgs[0].head
    in_work = fz59(rworld, answer=False)
    s.appeal_extend(appeal_id=in_work.pk, user=head, days=10, reason="Проверка", now=local(2026, 3, 5))
    answered = fz59(rworld)
    explained, supported, refused = fz59(rworld), fz59(rworld), fz59(rworld)
    for appeal, result in ((explained, "explained"), (supported, "supported"), (refused, "not_supported")):
        sstu_result_record(appeal_id=appeal.pk, user=head, result=result, actions_taken=True,
                           now=local(2026, 3, 6))
    left = fz59(rworld, answer=False)
    s.appeal_leave_without_answer(appeal_id=left.pk, user=head, ground="repeated", now=local(2026, 3, 4))
    moved = fz59(rworld, answer=False)
    s.appeal_transfer(appeal_id=moved.pk, user=rworld.orgs[0].coordinator, department="Прокуратура",
                      department_sstu_id=GUID, reason="Компетенция прокуратуры", now=local(2026, 3, 4))
    waiting = s.appeal_submit(text="Жалоба", regime="fz59", category=rworld.roads, applicant_name="Петров П. П.",
                              applicant_address="г. Тестовск", now=local(2026, 3, 3))

    statuses = {name: request_for(appeal)["questions"][0] for name, appeal in {
        "in_work": in_work, "answered": answered, "explained": explained, "supported": supported,
        "refused": refused, "left": left, "moved": moved, "waiting": waiting}.items()}
    assert {name: q["status"] for name, q in statuses.items()} == {
        "in_work": "InWork", "answered": "Answered", "explained": "Explained", "supported": "Supported",
        "refused": "NotSupported", "left": "LeftWithoutAnswer", "moved": "Transferred", "waiting": "NotRegistered"}
    assert statuses["in_work"]["isExtend"] is True
    assert statuses["supported"]["actionsTaken"] is True and "actionsTaken" not in statuses["explained"]
    assert statuses["moved"]["transfer"] == {"departmentId": GUID, "transferDate": "2026-03-04",
                                             "transferNumber": moved.number}
    answered_q = statuses["answered"]
    assert (answered_q["incomingDate"], answered_q["registrationDate"], answered_q["responseDate"]) == (
        "2026-03-02", "2026-03-02", "2026-03-05")
    assert base64.b64decode(answered_q["attachment"]["content"]).decode() == "Ответ по существу"
    assert answered_q["code"] == "0005.0005.0056.1156"
    assert "registrationDate" not in statuses["waiting"]
    whole = request_for(answered)
    assert whole["departmentId"] == rworld.orgs[0].org.sstu_department_guid and whole["isDirect"] is True
    assert all(not sstu.validate(request_for(appeal)) for appeal in (in_work, answered, supported, left, moved))
    # Not routed to an organisation yet: no department can report it.
    assert len(sstu.validate(request_for(waiting))) == 1


def test_it_names_every_broken_rule_in_russian(rworld):
    ok = request_for(fz59(rworld))
    assert sstu.validate(ok) == []

    def broken(change) -> list[str]:
        request = json.loads(json.dumps(ok))
        change(request, request["questions"][0])
        with translation.override("ru"):
            return sstu.validate(request)

    cases = {
        "guid": lambda r, q: r.update(departmentId=""),
        "number": lambda r, q: r.update(number=" "),
        "name": lambda r, q: r.update(name=""),
        "code": lambda r, q: q.update(code=""),
        "code_format": lambda r, q: q.update(code="5.5.56"),
        "registration_before_receipt": lambda r, q: q.update(registrationDate="2026-03-01"),
        "answer_before_registration": lambda r, q: q.update(responseDate="2026-03-01"),
        "no_answer_date": lambda r, q: q.pop("responseDate"),
        "no_attachment": lambda r, q: q.pop("attachment"),
        "big_attachment": lambda r, q: q.update(attachment={"name": "a.pdf", "content": "A" * 10_000_000}),
        "cover_letter": lambda r, q: r.update(isDirect=False),
        "no_questions": lambda r, q: r.update(questions=[]),
    }
    for name, change in cases.items():
        errors = broken(change)
        assert len(errors) >= 1, name
        assert all(any("а" <= ch <= "я" for ch in error.lower()) for error in errors), (name, errors)
    transfer = json.loads(json.dumps(ok))
    transfer["questions"][0].update(status="Transferred", transfer={"departmentId": "x", "transferDate": "2026-03-01"})
    assert len(sstu.validate(transfer)) == 2  # malformed GUID, date before registration
    assert len(sstu.validate({**ok, "name": "", "number": ""})) == 2  # each rule is its own message


def test_it_splits_the_export_into_zip_parts_under_the_limit(rworld):
    appeals = [fz59(rworld, at=local(2026, 3, 2 + i % 20)) for i in range(12)]
    settings_row = sstu.sstu_settings()
    settings_row.part_size_bytes = 3000
    settings_row.save()
    export = sstu_export_run(day=dt.date(2026, 3, 1), now=local(2026, 4, 1))
    parts = list(export.parts.all())
    assert export.exported == 12 and export.refused == 0 and len(parts) > 1
    numbers = set()
    for part in parts:
        content = bytes(part.content)
        assert len(content) <= 3000 and part.size == len(content)
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            assert archive.testzip() is None
            names = archive.namelist()
            assert part.files == len(names) and all(name.endswith(".json") for name in names)
            numbers |= {json.loads(archive.read(name))["number"] for name in names}
    assert numbers == {appeal.number for appeal in appeals}


def test_it_refuses_an_invalid_appeal_with_reasons_and_keeps_it_pending(rworld):
    good = fz59(rworld)
    bad = fz59(rworld, people=rworld.orgs[1], applicant_name="Сидоров С. С.")
    rworld.orgs[1].org.sstu_department_guid = ""
    rworld.orgs[1].org.save()
    export = sstu_export_run(day=dt.date(2026, 3, 1), now=local(2026, 4, 1))
    assert (export.exported, export.refused) == (1, 1)
    assert export.errors[0]["number"] == bad.number and export.errors[0]["errors"]
    assert SstuExportState.objects.filter(appeal=good).exists()
    assert list(sstu.pending(Appeal.objects.all()).values_list("pk", flat=True)) == [bad.pk]


class _Connector(BaseHTTPRequestHandler):
    received: list[dict] = []
    fail_numbers: set[str] = set()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append({"path": self.path, "body": body, "type": self.headers["Content-Type"]})
        status = 500 if body["number"] in type(self).fail_numbers else 200
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def connector():
    _Connector.received = []
    _Connector.fail_numbers = set()
    server = HTTPServer(("127.0.0.1", 0), _Connector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/IPCP/HandlingReportPlugin/Api/Import", _Connector
    server.shutdown()
    server.server_close()


def test_it_pushes_to_the_connector_and_retries_what_it_refused(rworld, connector):
    url, handler = connector
    one, two, three = fz59(rworld), fz59(rworld), fz59(rworld)
    row = sstu.sstu_settings()
    row.connector_url = url
    row.timeout_seconds = 5
    row.save()
    handler.fail_numbers = {two.number}
    export = sstu_export_run(day=dt.date(2026, 3, 1), push=True, now=local(2026, 4, 1))
    assert export.pushed == 2 and [e["appeal_id"] for e in export.push_errors] == [two.pk]
    assert {item["body"]["number"] for item in handler.received} == {one.number, two.number, three.number}
    assert all(item["path"].endswith("/Api/Import") and item["type"].startswith("application/json")
               for item in handler.received)
    assert list(sstu.pending(Appeal.objects.all()).values_list("pk", flat=True)) == [two.pk]
    handler.fail_numbers = set()
    handler.received = []
    again = sstu_export_run(day=dt.date(2026, 3, 1), push=True, now=local(2026, 4, 2))
    assert again.pushed == 1 and [item["body"]["number"] for item in handler.received] == [two.number]


def test_monitoring_lists_organisations_with_results_not_exported(rworld):
    first, second = fz59(rworld), fz59(rworld, people=rworld.orgs[1])
    rows = {row["organization_id"]: row for row in sstu_monitoring(user=rworld.regional, day=dt.date(2026, 3, 1))}
    assert rows[rworld.orgs[0].org.pk]["pending"] == 1 and rows[rworld.orgs[1].org.pk]["pending"] == 1
    sstu_export_run(day=dt.date(2026, 3, 1), organization_id=rworld.orgs[0].org.pk, now=local(2026, 3, 31))
    rows = {row["organization_id"]: row for row in sstu_monitoring(user=rworld.regional, day=dt.date(2026, 3, 1))}
    assert (rows[rworld.orgs[0].org.pk]["pending"], rows[rworld.orgs[0].org.pk]["exported"]) == (0, 1)
    assert rows[rworld.orgs[1].org.pk]["pending"] == 1
    # A result recorded after the export makes the appeal pending again.
    sstu_result_record(appeal_id=first.pk, user=rworld.orgs[0].head, result="supported", now=local(2026, 4, 2))
    assert sstu.pending(Appeal.objects.filter(pk=first.pk)).exists()
    own = sstu_monitoring(user=rworld.orgs[1].head, day=dt.date(2026, 3, 1))
    assert [row["organization_id"] for row in own] == [second.organization_id]


def test_only_the_head_records_a_result_of_an_answered_fz59_appeal(rworld):
    appeal = fz59(rworld)
    for user in (rworld.orgs[0].executor, rworld.orgs[1].head):
        with pytest.raises(ReportError) as refused:
            sstu_result_record(appeal_id=appeal.pk, user=user, result="explained")
        assert refused.value.status == 403
    pos = make_appeal(rworld, at=local(2026, 3, 2), answer_after_hours=5)
    with pytest.raises(ReportError) as not_fz59:
        sstu_result_record(appeal_id=pos.pk, user=rworld.orgs[0].head, result="explained")
    assert not_fz59.value.code == "not_fz59"
    open_one = fz59(rworld, answer=False)
    with pytest.raises(ReportError) as early:
        sstu_result_record(appeal_id=open_one.pk, user=rworld.orgs[0].head, result="explained")
    assert early.value.code == "not_answered"
    with pytest.raises(ReportError) as big:
        sstu_result_record(appeal_id=appeal.pk, user=rworld.orgs[0].head, result="explained",
                           attachment=b"x" * 10_000_000)
    assert big.value.code == "attachment_too_large"
    row = sstu_result_record(appeal_id=appeal.pk, user=rworld.orgs[0].head, result="explained",
                             attachment=b"%PDF-1.4 answer", attachment_name="answer.pdf")
    assert request_for(appeal)["questions"][0]["attachment"] == {
        "name": "answer.pdf", "content": base64.b64encode(b"%PDF-1.4 answer").decode()}
    assert row.recorded_by == rworld.orgs[0].head
