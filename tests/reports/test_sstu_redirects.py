"""Issue 9, point 11 (seed 000, domain.md §4): an appeal redirected inside the platform is reported by
every organisation that held it; the SSTU section's authorised persons are kept in the registry and
shown on the monitoring page; the demo region exports valid files."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from io import StringIO

import pytest
from django.core.management import call_command

from otklik.appeals import services as s
from otklik.appeals.models import Appeal
from otklik.registry.models import Official
from otklik.registry.services import registry_save
from otklik.reports import sstu
from otklik.reports.models import SstuExportState
from otklik.reports.services import sstu_export_run
from tests.reports.conftest import local, make_appeal

pytestmark = pytest.mark.django_db


def _requests(export) -> list[dict]:
    found = []
    for part in export.parts.all():
        with zipfile.ZipFile(io.BytesIO(bytes(part.content))) as archive:
            found += [json.loads(archive.read(name)) for name in archive.namelist()]
    return found


@pytest.fixture
def redirected(rworld) -> Appeal:
    """A 59-FZ appeal registered and routed to organisation A on 2 March, redirected to B on 4 March."""
    appeal = make_appeal(rworld, at=local(2026, 3, 2), regime="fz59", channel="email")
    s.appeal_redirect(appeal_id=appeal.pk, user=rworld.orgs[0].coordinator, organization_id=rworld.orgs[1].org.pk,
                      reason="Вопрос компетенции района", now=local(2026, 3, 4))
    return Appeal.objects.get(pk=appeal.pk)


def test_a_redirected_appeal_is_transferred_for_the_forwarding_organisation_and_not_direct_for_the_receiving(
        rworld, redirected):
    org_a, org_b = rworld.orgs[0].org, rworld.orgs[1].org
    export = sstu_export_run(day=dt.date(2026, 3, 1), now=local(2026, 3, 31))
    assert (export.exported, export.refused) == (1, 0), export.errors
    by_department = {request["departmentId"]: request for request in _requests(export)}
    assert set(by_department) == {org_a.sstu_department_guid, org_b.sstu_department_guid}

    forwarded = by_department[org_a.sstu_department_guid]
    assert forwarded["isDirect"] is True and "createDate" not in forwarded
    question = forwarded["questions"][0]
    assert question["status"] == "Transferred"  # «Направлено по компетенции»
    assert question["transfer"] == {"departmentId": org_b.sstu_department_guid, "transferDate": "2026-03-04",
                                    "transferNumber": redirected.number}
    assert (question["incomingDate"], question["registrationDate"]) == ("2026-03-02", "2026-03-02")

    received = by_department[org_b.sstu_department_guid]
    assert received["isDirect"] is False and received["createDate"] == "2026-03-04"
    question = received["questions"][0]
    assert question["status"] == "InWork"
    assert (question["incomingDate"], question["registrationDate"]) == ("2026-03-04", "2026-03-04")
    assert all(sstu.validate(request) == [] for request in by_department.values())


def test_each_organisation_exports_its_own_part_of_a_redirected_appeal(rworld, redirected):
    org_a, org_b = rworld.orgs[0].org, rworld.orgs[1].org
    only_a = sstu_export_run(day=dt.date(2026, 3, 1), organization_id=org_a.pk, now=local(2026, 3, 31))
    assert [(r["departmentId"], r["questions"][0]["status"]) for r in _requests(only_a)] == [
        (org_a.sstu_department_guid, "Transferred")]
    # The forwarding organisation's report does not stand for the receiving one's.
    assert not SstuExportState.objects.filter(appeal=redirected).exists()
    only_b = sstu_export_run(day=dt.date(2026, 3, 1), organization_id=org_b.pk, now=local(2026, 3, 31))
    assert [(r["departmentId"], r["isDirect"]) for r in _requests(only_b)] == [(org_b.sstu_department_guid, False)]
    assert SstuExportState.objects.get(appeal=redirected).status == "InWork"


def test_a_redirect_to_an_organisation_without_an_sstu_guid_refuses_the_appeal_with_the_reason(rworld, redirected):
    org_b = rworld.orgs[1].org
    org_b.sstu_department_guid = ""
    org_b.save()
    export = sstu_export_run(day=dt.date(2026, 3, 1), now=local(2026, 3, 31))
    assert (export.exported, export.refused) == (0, 1)
    problems = export.errors[0]["errors"]
    assert any(problem.startswith(rworld.orgs[0].org.name) for problem in problems)  # its transfer block
    assert any(problem.startswith(org_b.name) for problem in problems)  # its own request


def test_the_sstu_sections_authorised_persons_are_kept_in_the_registry_and_shown_on_the_monitoring_page(
        rworld, client):
    org_a = rworld.orgs[0].org
    registry_save(actor=None, instance=Official(
        organization=org_a, kind=Official.Kind.SSTU_SECTION, full_name="Морозова Мария Петровна",
        position="Начальник отдела по работе с обращениями", phone="+7 900 123-45-67", email="sstu@example.org"))
    client.force_login(rworld.orgs[0].head)
    page = client.get("/reports/sstu/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    section = page[page.index('id="authorised"'):]
    assert "Морозова Мария Петровна" in section and "+7 900 123-45-67" in section
    assert "техническое сопровождение раздела" in section  # named by nobody yet
    assert rworld.orgs[1].org.name not in section  # another organisation's persons are not this head's
    listed = client.get("/api/reports/sstu/authorised").json()
    assert [row["organization_id"] for row in listed] == [org_a.pk]
    assert [person["full_name"] for person in listed[0]["persons"]] == ["Морозова Мария Петровна"]
    assert len(listed[0]["missing"]) == 2


def test_the_demo_region_exports_valid_sstu_files(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("load_demo", appeals=60, stdout=StringIO())
    months = sorted({dt.date(year, month, 1) for year, month in
                     Appeal.objects.filter(regime="fz59").values_list("received_at__year", "received_at__month")})
    assert months, "the demo has 59-FZ appeals"
    exported = 0
    for month in months:
        export = sstu_export_run(day=month)
        assert export.refused == 0, export.errors[:3]
        exported += export.exported
    assert exported > 0
    # Only appeals still in moderation wait: no organisation holds them, so none can report them yet.
    assert not sstu.pending(Appeal.objects.filter(regime="fz59", organization__isnull=False)).exists()
    assert not Official.objects.filter(kind=Official.Kind.SSTU_SECTION, organization__sstu_department_guid="").exists()
