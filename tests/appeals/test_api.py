import json

import pytest

from otklik.appeals import services as s
from otklik.appeals.lifecycle import State
from tests import factories as f

pytestmark = pytest.mark.django_db


def _post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


@pytest.fixture
def routed(world):
    appeal = s.appeal_submit(text="Не горит фонарь у дома 5", category=world.category, territory=world.territory,
                             applicant_name="Петров П. П.", applicant_email="petrov@example.org")
    return s.appeal_accept(appeal_id=appeal.pk, user=world.moderator)


def test_it_lists_only_appeals_of_the_users_organisation(client, world, routed):
    foreign_org = world.other_org
    cat = f.category("Транспорт")
    f.route(cat, foreign_org)
    foreign = s.appeal_submit(text="Автобус не пришёл", category=cat)
    s.appeal_accept(appeal_id=foreign.pk, user=world.moderator)

    client.force_login(world.coordinator)
    body = client.get("/api/appeals").json()
    assert [item["number"] for item in body["items"]] == [routed.number]
    assert client.get(f"/api/appeals/{foreign.pk}").status_code == 404

    client.force_login(world.regional)
    numbers = {item["number"] for item in client.get("/api/appeals").json()["items"]}
    assert numbers == {routed.number, foreign.number}


def test_it_filters_by_state_text_and_overdue(client, world, routed):
    client.force_login(world.coordinator)
    assert client.get("/api/appeals?state=coordination").json()["count"] == 1
    assert client.get("/api/appeals?state=execution").json()["count"] == 0
    assert client.get("/api/appeals?q=фонарь").json()["count"] == 1
    assert client.get("/api/appeals?q=трамвай").json()["count"] == 0
    assert client.get("/api/appeals?overdue=true").json()["count"] == 0


def test_it_performs_an_action_and_returns_the_history(client, world, routed):
    client.force_login(world.coordinator)
    response = _post(client, f"/api/appeals/{routed.pk}/assign", {"executor_id": world.executor.pk})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == State.EXECUTION
    assert [e["action"] for e in body["history"]] == ["submit", "register", "accept", "assign"]
    assert body["applicant"]["email"] == "petrov@example.org"


def test_it_answers_errors_with_a_code_and_a_message(client, world, routed):
    client.force_login(world.executor)
    # Executor cannot see an appeal that is not theirs yet.
    assert _post(client, f"/api/appeals/{routed.pk}/draft", {"text": "x"}).status_code == 404
    client.force_login(world.coordinator)
    wrong_state = _post(client, f"/api/appeals/{routed.pk}/approve", {})
    assert wrong_state.status_code == 409 and wrong_state.json()["code"] == "action_not_allowed"
    not_executor = _post(client, f"/api/appeals/{routed.pk}/assign", {"executor_id": world.head.pk})
    assert not_executor.status_code == 400
    assert not_executor.json() == {"code": "not_an_executor", "message": not_executor.json()["message"],
                                   "field": "executor"}
    invalid = _post(client, f"/api/appeals/{routed.pk}/assign", {"executor_id": "abc"})
    assert invalid.status_code == 422 and invalid.json()["code"] == "invalid"
    assert invalid.json()["fields"][0]["field"].endswith("executor_id")


def test_it_refuses_anonymous_users(client, routed):
    response = client.get("/api/appeals")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_it_lets_the_applicant_rate_with_the_tracking_secret(client, world, routed):
    s.appeal_assign(appeal_id=routed.pk, user=world.coordinator, executor_id=world.executor.pk)
    s.appeal_send_for_approval(appeal_id=routed.pk, user=world.executor, text="Фонарь заменён.")
    s.appeal_approve(appeal_id=routed.pk, user=world.head)
    s.appeal_publish(appeal_id=routed.pk, user=world.head)
    wrong = _post(client, f"/api/appeals/{routed.pk}/rate", {"rating": 5, "key": "guess"})
    assert wrong.status_code == 401
    ok = _post(client, f"/api/appeals/{routed.pk}/rate", {"rating": 1, "comment": "Фонарь не горит", "key":
                                                              routed.access_token})
    assert ok.status_code == 200, ok.content
    assert ok.json()["state"] == State.EXECUTION and ok.json()["applicant"] is None


def test_it_registers_a_paper_appeal_for_a_moderator_only(client, world):
    client.force_login(world.executor)
    payload = {"text": "Письмо о ремонте крыши", "channel": "paper", "regime": "fz59",
               "applicant_name": "Сидоров С. С.", "applicant_address": "г. Тестовск, ул. Мира, 1"}
    assert _post(client, "/api/appeals", payload).status_code == 403
    client.force_login(world.moderator)
    created = _post(client, "/api/appeals", payload)
    assert created.status_code == 201
    assert created.json()["state"] == State.RECEIVED and "register" in created.json()["allowed_actions"]


def test_it_publishes_an_openapi_schema(client):
    schema = client.get("/api/openapi.json").json()
    assert "/api/appeals/{appeal_id}/postpone" in schema["paths"]
