from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import time_machine
from django.core import mail

from otklik.appeals.models import DeadlineBreach
from otklik.appeals.sweeps import sweep
from otklik.reports.models import Job, Report, ReportRecipient
from otklik.reports.services import reports_generate_due
from tests.reports.conftest import local, make_appeal

pytestmark = pytest.mark.django_db


@pytest.fixture
def march(rworld):
    make_appeal(rworld, at=local(2026, 3, 2), answer_after_hours=30)
    make_appeal(rworld, at=local(2026, 3, 3), people=rworld.orgs[1], category=rworld.heating)
    sweep(now=local(2026, 3, 20))
    return rworld


def test_the_dashboard_endpoint_is_scoped(march, client):
    client.force_login(march.regional)
    with time_machine.travel(local(2026, 3, 31), tick=False):
        from otklik.reports.rollup import rollup_update

        rollup_update(gap_wait=dt.timedelta(0))
        body = client.get("/api/reports/dashboard", {"date_from": "2026-03-01", "date_to": "2026-03-31"}).json()
    assert body["totals"]["received"] == 2 and body["totals"]["answered"] == 1
    assert {row["id"] for row in body["by_organization"]} == {march.orgs[0].org.pk, march.orgs[1].org.pk}
    client.force_login(march.orgs[0].head)
    with time_machine.travel(local(2026, 3, 31), tick=False):
        own = client.get("/api/reports/dashboard", {"date_from": "2026-03-01", "date_to": "2026-03-31"}).json()
    assert {row["id"] for row in own["by_organization"]} == {march.orgs[0].org.pk}
    client.force_login(march.orgs[0].executor)
    refused = client.get("/api/reports/dashboard")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    client.force_login(march.regional)
    wrong = client.get("/api/reports/dashboard", {"date_from": "2026-03-31", "date_to": "2026-03-01"})
    assert wrong.status_code == 400 and wrong.json()["field"] == "date_from"


def test_a_report_is_made_in_the_background_and_downloaded(march, client, django_capture_on_commit_callbacks):
    client.force_login(march.orgs[0].head)
    with time_machine.travel(local(2026, 4, 2), tick=False), django_capture_on_commit_callbacks(execute=True):
        refused = client.post("/api/reports/reports", {"day": "2026-03-01", "organization_id": 0},
                              content_type="application/json")
        assert refused.status_code == 403
        started = client.post("/api/reports/reports", {"day": "2026-03-01", "organization_id": march.orgs[0].org.pk},
                              content_type="application/json")
    assert started.status_code == 202
    job = client.get(f"/api/reports/jobs/{started.json()['id']}").json()
    assert job["status"] == Job.Status.DONE and job["progress"] == 100
    report_id = job["result"]["report_id"]
    detail = client.get(f"/api/reports/reports/{report_id}").json()
    assert detail["data"]["organization_id"] == march.orgs[0].org.pk
    assert detail["data"]["sections"]["messages"]["total"]["answered"] == 1
    xlsx = client.get(f"/api/reports/reports/{report_id}/xlsx")
    assert xlsx.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(xlsx.content)).sheetnames
    assert client.get(f"/api/reports/reports/{report_id}/pdf").content.startswith(b"%PDF")
    assert [item["id"] for item in client.get("/api/reports/reports").json()] == [report_id]
    client.force_login(march.orgs[1].head)
    assert client.get(f"/api/reports/reports/{report_id}").status_code == 404
    assert client.get("/api/reports/reports").json() == []


def test_the_register_and_sstu_endpoints(march, client, django_capture_on_commit_callbacks):
    breach = DeadlineBreach.objects.filter(stage="answer").first()
    assert breach is not None
    client.force_login(march.regional)
    listed = client.get("/api/reports/breaches", {"undecided": True}).json()
    assert [row["id"] for row in listed] == [breach.pk]
    assert {person["id"] for person in listed[0]["people"]} >= {march.orgs[1].executor.pk}
    made = client.post(f"/api/reports/breaches/{breach.pk}/decisions",
                       {"measure": "remark", "person_id": march.orgs[1].executor.pk, "note": ""},
                       content_type="application/json")
    assert made.status_code == 201 and made.json()["decided_by"]["id"] == march.regional.pk
    assert client.get("/api/reports/breaches", {"undecided": True}).json() == []
    bad = client.post(f"/api/reports/breaches/{breach.pk}/decisions", {"measure": "reprimand"},
                      content_type="application/json")
    assert bad.status_code == 400 and bad.json()["field"] == "person"

    fz = make_appeal(march, at=local(2026, 3, 4), regime="fz59", channel="email", answer_after_hours=50)
    client.force_login(march.orgs[0].head)
    with time_machine.travel(local(2026, 3, 20), tick=False):
        recorded = client.put(f"/api/reports/sstu/results/{fz.pk}", {"result": "supported", "actions_taken": True},
                              content_type="application/json")
    assert recorded.status_code == 200 and recorded.json()["actions_taken"] is True
    client.force_login(march.regional)
    with time_machine.travel(local(2026, 4, 1), tick=False), django_capture_on_commit_callbacks(execute=True):
        job = client.post("/api/reports/sstu/exports", {"day": "2026-03-01"}, content_type="application/json").json()
    monitoring = client.get("/api/reports/sstu/monitoring", {"month": "2026-03-01"}).json()
    export_id = client.get(f"/api/reports/jobs/{job['id']}").json()["result"]["export_id"]
    export = client.get(f"/api/reports/sstu/exports/{export_id}").json()
    assert export["exported"] == 1 and export["parts"][0]["files"] == 1
    part = client.get(f"/api/reports/sstu/exports/{export_id}/parts/1")
    assert part.status_code == 200 and part.content[:2] == b"PK"
    assert [(row["organization_id"], row["pending"]) for row in monitoring] == [(march.orgs[0].org.pk, 0)]


def test_due_reports_are_made_once_and_mailed_with_both_files(march, django_capture_on_commit_callbacks):
    ReportRecipient.objects.create(email="vice-governor@example.org")
    ReportRecipient.objects.create(email="org@example.org", organization=march.orgs[0].org, kinds=["monthly"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        made = reports_generate_due(now=local(2026, 4, 1, 0))
    # The region and both organisations for March; April starts a quarter, so Q1's social report too.
    kinds = sorted((report.kind, report.organization_id) for report in made)
    assert ("monthly", 0) in kinds and ("quarterly_social", 0) in kinds
    assert ("monthly", march.orgs[1].org.pk) in kinds
    by_address: dict[str, list] = {}
    for message in mail.outbox:
        by_address.setdefault(message.to[0], []).append(message)
    assert len(by_address["vice-governor@example.org"]) == 2  # monthly and quarterly of the region
    assert len(by_address["org@example.org"]) == 1  # only the kinds asked for
    names = sorted(name for name, _content, _type in by_address["org@example.org"][0].attachments)
    assert names[0].endswith(".pdf") and names[1].endswith(".xlsx")
    count = Report.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        reports_generate_due(now=local(2026, 4, 2, 0))
    assert Report.objects.count() == count and len(mail.outbox) == 3
