import datetime as dt
import re

import pytest
from django.utils import timezone

from otklik.accounts.models import Role
from otklik.appeals import services as s
from otklik.appeals.lifecycle import State
from otklik.appeals.models import Appeal
from otklik.registry.selectors import region_calendar, region_settings
from otklik.workspace.models import AnswerTemplate
from tests import factories as f

pytestmark = pytest.mark.django_db


def _card(client, appeal, **headers):
    response = client.get(f"/workspace/appeals/{appeal.pk}/", **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_the_appeal_its_deadlines_history_and_the_users_actions(client, two_orgs):
    w = two_orgs
    appeal = w.routed("Яма на дороге у дома 5", address="улица Ленина, 5", latitude=55.75, longitude=37.61)
    client.force_login(w.coordinator_a)
    html = _card(client, appeal)
    assert "Яма на дороге у дома 5" in html and "улица Ленина, 5" in html
    assert "55.75, 37.61" in html and "openstreetmap.org/?mlat=55.75&amp;mlon=37.61" in html
    assert "Дороги" in html and "Администрация Тестовска" in html
    assert "ivanov@example.org" in html and "Иванов Иван" in html
    # The expectation comes from the calendar module: under the suite's clock (02.12.2026) 30 days end on
    # 01.01.2027, a holiday, so the term moves to 11.01.2027.
    appeal.refresh_from_db()
    cal = region_calendar(region_settings())
    expected = cal.add_calendar_days(appeal.registered_at, 30)
    days_left = (expected - timezone.now()).days
    assert appeal.due_at == expected
    assert f"{cal.local(expected):%d.%m.%Y}" in html
    assert "Срок ответа" in html and re.search(r'class="tone-ok"><th>Срок ответа</th><td>[\d.: ]+<br><small>'
                                               rf'осталось {days_left} (день|дня|дней)', html)
    # History from the event log, in Russian, with who did it.
    assert "модерация → координация" in html and "Модераторова Мария, модератор" in html
    assert "организация: Администрация Тестовска" in html
    assert 'data-action="assign"' in html and 'data-action="redirect"' in html
    assert 'data-action="approve"' not in html and 'data-action="answer"' not in html


def test_it_hides_personal_data_from_roles_that_do_not_need_it(client, two_orgs):
    w = two_orgs
    appeal = w.routed()
    admin = f.user("admin", (Role.ADMIN, w.org_a))
    client.force_login(admin)
    html = _card(client, appeal)
    assert "ivanov@example.org" not in html and "Иванов Иван" not in html
    assert 'data-personal="hidden"' in html


def test_it_refuses_a_postponement_without_a_reason_with_a_russian_error_next_to_the_field(client, two_orgs):
    w = two_orgs
    appeal = w.executing()
    client.force_login(w.executor_a)
    until = (timezone.localdate() + dt.timedelta(days=60)).isoformat()
    response = client.post(f"/workspace/appeals/{appeal.pk}/act/propose_postponement/",
                           {"propose_postponement-until": until, "propose_postponement-reason": "  "})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_propose_postponement-reason-error"' in html and "Обязательное поле." in html
    assert Appeal.objects.get(pk=appeal.pk).state == State.EXECUTION


def test_it_shows_the_services_refusal_next_to_the_field_it_names(client, two_orgs):
    w = two_orgs
    appeal = w.executing()
    client.force_login(w.executor_a)
    too_early = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    response = client.post(f"/workspace/appeals/{appeal.pk}/act/propose_postponement/",
                           {"propose_postponement-until": too_early, "propose_postponement-reason": "Ждём подрядчика"},
                           HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html  # an HTMX fragment
    assert 'id="id_propose_postponement-until-error"' in html
    assert "Новая дата должна быть позже текущего срока." in html
    assert Appeal.objects.get(pk=appeal.pk).state == State.EXECUTION


def test_it_postpones_in_place_with_htmx_and_records_the_event(client, two_orgs):
    w = two_orgs
    appeal = w.executing()
    client.force_login(w.executor_a)
    until = timezone.localdate() + dt.timedelta(days=60)
    proposed = client.post(f"/workspace/appeals/{appeal.pk}/act/propose_postponement/",
                           {"propose_postponement-until": until.isoformat(),
                            "propose_postponement-reason": "Ждём подрядчика"}, HTTP_HX_REQUEST="true")
    assert Appeal.objects.get(pk=appeal.pk).state == State.EXECUTION
    assert 'data-action="postpone"' not in proposed.content.decode()  # the executor does not decide
    # The coordinator sees the proposal on the card and confirms it as proposed.
    client.force_login(w.coordinator_a)
    card = client.get(f"/workspace/appeals/{appeal.pk}/").content.decode()
    assert "Ждём подрядчика" in card and until.strftime("%Y-%m-%d") in card
    response = client.post(f"/workspace/appeals/{appeal.pk}/act/postpone/",
                           {"postpone-until": until.isoformat(), "postpone-reason": "Ждём подрядчика"},
                           HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert '<p class="flash" role="status">Ответ отложен.</p>' in html
    appeal.refresh_from_db()
    assert appeal.state == State.POSTPONED and appeal.postponed_until == until
    assert "Ждём подрядчика" in html and until.strftime("%d.%m.%Y") in html


def test_it_requires_a_comment_when_returning_for_rework_for_another_reason(client, two_orgs):
    w = two_orgs
    appeal = s.appeal_send_for_approval(appeal_id=w.executing().pk, user=w.executor_a, text="Ответ")
    client.force_login(w.head_a)
    response = client.post(f"/workspace/appeals/{appeal.pk}/act/return_for_rework/",
                           {"return_for_rework-reason": "other", "return_for_rework-comment": ""})
    assert response.status_code == 400
    assert "Укажите, что необходимо исправить." in response.content.decode()
    response = client.post(f"/workspace/appeals/{appeal.pk}/act/return_for_rework/",
                           {"return_for_rework-reason": "no_evidence"})
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.state == State.EXECUTION


def test_it_saves_a_draft_and_sends_it_for_approval_from_the_answer_editor(client, two_orgs):
    w = two_orgs
    appeal = w.executing()
    client.force_login(w.executor_a)
    url = f"/workspace/appeals/{appeal.pk}/act/answer/"
    client.post(url, {"answer-text": "Черновик", "answer-op": "draft"})
    appeal.refresh_from_db()
    assert appeal.state == State.EXECUTION and appeal.draft_answer == "Черновик"
    response = client.post(url, {"answer-text": "", "answer-op": "send_for_approval"})
    assert response.status_code == 400 and "Обязательное поле." in response.content.decode()
    client.post(url, {"answer-text": "Яму заделаем до 1 июня.", "answer-op": "send_for_approval"})
    appeal.refresh_from_db()
    assert appeal.state == State.APPROVAL and appeal.draft_answer == "Яму заделаем до 1 июня."


def test_it_refuses_an_action_the_user_may_not_take(client, two_orgs):
    w = two_orgs
    appeal = w.executing()
    client.force_login(w.executor_a)
    response = client.post(f"/workspace/appeals/{appeal.pk}/act/assign/",
                           {"assign-executor": w.executor_a2.pk})
    assert response.status_code == 400
    assert "Это действие сейчас недоступно" in response.content.decode()
    appeal.refresh_from_db()
    assert appeal.executor_id == w.executor_a.pk


def test_it_fills_an_answer_template_with_the_appeals_data(client, two_orgs):
    w = two_orgs
    appeal = w.executing(address="улица Ленина, 5")
    template = AnswerTemplate.objects.create(
        category=w.roads, title="Ремонт дороги",
        body="Уважаемый(ая) {applicant}!\n\nПо сообщению № {number} по адресу {address} ремонт будет до {due}. {oops}")
    AnswerTemplate.objects.create(category=w.transport, title="Чужая категория", body="—")
    client.force_login(w.executor_a)
    html = _card(client, appeal)
    assert "Ремонт дороги" in html and "Чужая категория" not in html
    response = client.get(f"/workspace/appeals/{appeal.pk}/answer-template/",
                          {"template": template.pk, "answer-text": "Начало."}, HTTP_HX_REQUEST="true")
    text = response.content.decode()
    due = timezone.localtime(appeal.due_at).strftime("%d.%m.%Y")
    assert "Начало.\n\nУважаемый(ая) Иванов Иван!" in text
    assert f"№ {appeal.number} по адресу улица Ленина, 5 ремонт будет до {due}. {{oops}}" in text


def test_it_previews_the_answer_with_safe_formatting_only(client, two_orgs):
    client.force_login(two_orgs.executor_a)
    response = client.post("/workspace/answer-preview/", {
        "answer-text": "Абзац **важно**\n\n- раз\n- два\n\n[сайт](https://example.org) [плохо](javascript:alert(1)) "
                       "<script>alert(1)</script>"})
    html = response.content.decode()
    assert "<strong>важно</strong>" in html and "<li>раз</li>" in html
    assert 'href="https://example.org"' in html
    assert "href=\"javascript" not in html and "<script>" not in html
