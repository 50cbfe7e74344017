"""Escalations in the running system: an appeal is fed to the detector after its commit, one escalation
opens and absorbs, the regional coordinator hears at once, acts through pages and the API, and a late
report is a breach in the register. Another organisation's staff see nothing."""

import datetime as dt
import json
from types import SimpleNamespace

import pytest
import time_machine
from django.utils import timezone

from otklik.accounts.models import Role
from otklik.appeals import services as appeals
from otklik.escalations import services, tasks
from otklik.escalations.models import DetectedAppeal, Escalation, EscalationEvent
from otklik.notifications.models import Notice
from tests import factories as f


@pytest.fixture
def world(db, region):
    district = f.territory("Заречный район")
    org = f.organization("Администрация Заречного района", territory=district)
    other = f.organization("Администрация Первомайского района", territory=f.territory("Первомайский район"))
    heating = f.category("Отопление")
    f.route(heating, org, district)
    return SimpleNamespace(
        district=district, org=org, heating=heating,
        regional=f.user("regional", (Role.REGIONAL_COORDINATOR, org)),
        head=f.user("head", (Role.HEAD, org)),
        outsider=f.user("outsider", (Role.HEAD, other)),
    )


def submit(world, text, capture, **fields):
    with capture(execute=True):
        return appeals.appeal_submit(text=text, category=world.heating, territory=world.district,
                                     applicant_name="Иван Петров", applicant_email="ivan@example.org", **fields)


def test_a_lexicon_hit_opens_one_escalation_at_once_and_the_coordinator_hears(world,
                                                                                django_capture_on_commit_callbacks):
    appeal = submit(world, "Третий день нет отопления в доме, дети мёрзнут", django_capture_on_commit_callbacks)
    (esc,) = Escalation.objects.all()
    assert esc.kind == Escalation.Kind.SIGNIFICANT
    assert list(esc.links.values_list("appeal_id", flat=True)) == [appeal.pk]
    assert esc.due_at - esc.opened_at == dt.timedelta(days=1)
    notice = Notice.objects.get(kind="escalation", recipient=world.regional)
    assert f"/workspace/escalations/{esc.pk}/" in notice.body
    assert "ivan@example.org" not in notice.body and "Петров" not in notice.body
    # The same problem at the same place a little later joins it: one escalation per event.
    second = submit(world, "Нет отопления во всём доме", django_capture_on_commit_callbacks)
    assert Escalation.objects.count() == 1
    assert set(esc.links.values_list("appeal_id", flat=True)) == {appeal.pk, second.pk}
    assert EscalationEvent.objects.filter(escalation=esc, action=EscalationEvent.Action.ABSORB).exists()


def test_a_negated_phrase_opens_nothing(world, django_capture_on_commit_callbacks):
    appeal = submit(world, "Отопление уже дали, спасибо, батареи тёплые", django_capture_on_commit_callbacks)
    assert DetectedAppeal.objects.filter(appeal=appeal).exists()  # it was counted
    assert not Escalation.objects.exists()


def test_the_staff_flag_opens_an_escalation_with_its_reason(world, django_capture_on_commit_callbacks):
    appeal = submit(world, "Во дворе сломана скамейка", django_capture_on_commit_callbacks)
    assert not Escalation.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        appeals.appeal_mark_significant(appeal_id=appeal.pk, user=world.regional, reason="Резонанс в сети")
    (esc,) = Escalation.objects.all()
    assert esc.kind == Escalation.Kind.SIGNIFICANT and "Резонанс в сети" in esc.signal
    assert esc.events.get(action=EscalationEvent.Action.OPEN).actor == world.regional


def test_catch_up_feeds_what_a_lost_task_left(world):
    # Without the on-commit callbacks the receiver never runs: as if the worker lost the task.
    appeal = appeals.appeal_submit(text="Нет отопления", category=world.heating, territory=world.district)
    assert not DetectedAppeal.objects.filter(appeal=appeal).exists()
    tasks.catch_up.call()
    assert DetectedAppeal.objects.filter(appeal=appeal).exists()
    assert Escalation.objects.get().links.get().appeal_id == appeal.pk
    tasks.catch_up.call()  # a second run counts nothing twice
    assert DetectedAppeal.objects.filter(appeal=appeal).count() == 1


def test_the_coordinator_acknowledges_reports_as_pdf_and_closes_on_pages(client, world,
                                                                         django_capture_on_commit_callbacks):
    submit(world, "Нет отопления в доме", django_capture_on_commit_callbacks)
    esc = Escalation.objects.get()
    client.force_login(world.regional)
    listing = client.get("/workspace/escalations/")
    assert listing.status_code == 200 and f"/workspace/escalations/{esc.pk}/" in listing.content.decode()
    page = client.get(f"/workspace/escalations/{esc.pk}/")
    assert page.status_code == 200
    assert "Заречный район" in page.content.decode()
    assert client.post(f"/workspace/escalations/{esc.pk}/acknowledge/").status_code == 302
    refused = client.post(f"/workspace/escalations/{esc.pk}/report/", {"text": "  ", "send": "1"})
    assert refused.status_code == 400 and "Обязательное поле" in refused.content.decode()
    sent = client.post(f"/workspace/escalations/{esc.pk}/report/", {"text": "Отопление восстанавливают", "send": "1"})
    assert sent.status_code == 302
    esc.refresh_from_db()
    assert esc.state == Escalation.State.REPORTED and not esc.report_late
    pdf = client.get(f"/workspace/escalations/{esc.pk}/report.pdf")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    closed = client.post(f"/workspace/escalations/{esc.pk}/close/", {"outcome": "resolved", "note": "Дали тепло"})
    assert closed.status_code == 302
    esc.refresh_from_db()
    assert esc.state == Escalation.State.CLOSED and esc.outcome == "resolved"
    assert [e.action for e in esc.events.order_by("at", "id")][-3:] == ["acknowledge", "report", "close"]


def test_another_organisations_staff_and_citizens_get_404(client, world, django_capture_on_commit_callbacks):
    submit(world, "Нет отопления в доме", django_capture_on_commit_callbacks)
    esc = Escalation.objects.get()
    for person in (world.outsider, world.head, f.user("citizen")):
        client.force_login(person)
        for path in ("/workspace/escalations/", f"/workspace/escalations/{esc.pk}/", "/workspace/escalations/map.json",
                     f"/api/escalations/{esc.pk}"):
            assert client.get(path).status_code == 404, (person, path)
        assert client.post(f"/workspace/escalations/{esc.pk}/acknowledge/").status_code == 404
        assert client.post(f"/api/escalations/{esc.pk}/acknowledge").status_code == 404
    assert Escalation.objects.get().state == Escalation.State.OPEN
    client.logout()
    assert client.get("/workspace/escalations/").status_code == 302  # to sign-in


def test_the_api_lists_acts_and_answers_refusals_structured(client, world, django_capture_on_commit_callbacks):
    appeal = submit(world, "Нет отопления в доме", django_capture_on_commit_callbacks)
    esc = Escalation.objects.get()
    client.force_login(world.regional)
    rows = client.get("/api/escalations/?active=true").json()
    assert [(r["id"], r["kind"], r["appeals"], r["territory"]) for r in rows] == [
        (esc.pk, "significant", 1, "Заречный район")]
    one = client.post(f"/api/escalations/{esc.pk}/acknowledge").json()
    assert one["state"] == "acknowledged" and one["appeal_ids"] == [appeal.pk] and one["report_text"]
    again = client.post(f"/api/escalations/{esc.pk}/acknowledge")
    assert again.status_code == 409 and again.json()["code"] == "not_open"
    early = client.post(f"/api/escalations/{esc.pk}/close", json.dumps({"outcome": "resolved"}),
                        content_type="application/json")
    assert early.status_code == 409 and early.json()["field"] == "outcome"
    bad = client.post(f"/api/escalations/{esc.pk}/close", json.dumps({"outcome": "nonsense"}),
                      content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "bad_outcome"


def test_a_report_after_the_day_is_a_breach_in_the_register(client, world, django_capture_on_commit_callbacks):
    submit(world, "Нет отопления в доме", django_capture_on_commit_callbacks)
    esc = Escalation.objects.get()
    with time_machine.travel(timezone.now() + dt.timedelta(hours=30), tick=False):
        services.send_report(escalation_id=esc.pk, user=world.regional, text="С опозданием")
        client.force_login(world.regional)
        register = client.get("/reports/breaches/")
    esc.refresh_from_db()
    assert esc.report_late
    assert register.status_code == 200
    assert f"/workspace/escalations/{esc.pk}/" in register.content.decode()
    assert esc.events.get(action=EscalationEvent.Action.REPORT).payload["late"] is True
