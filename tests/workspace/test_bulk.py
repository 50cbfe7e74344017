import pytest

from otklik.appeals import services as s
from otklik.appeals.lifecycle import State
from otklik.appeals.models import Appeal

pytestmark = pytest.mark.django_db


def test_it_assigns_an_executor_to_several_appeals_with_a_result_per_row(client, two_orgs):
    w = two_orgs
    first, second = w.routed("Первая яма"), w.routed("Вторая яма")
    taken = w.routed("Уже перенаправлено")
    s.appeal_redirect(appeal_id=taken.pk, user=w.coordinator_a, organization_id=w.org_b.pk, reason="Не наше")
    client.force_login(w.coordinator_a)
    response = client.post("/workspace/bulk/", {
        "queue": "distribute", "ids": [first.pk, second.pk, taken.pk], "action": "assign",
        "executor": w.executor_a2.pk,
    }, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'data-done="2" data-failed="1"' in html
    assert html.count("Назначен исполнитель: Помощников Пётр.") == 2
    assert "Обращение не найдено." in html
    assert set(Appeal.objects.filter(executor=w.executor_a2).values_list("pk", flat=True)) == {first.pk, second.pk}


def test_it_redirects_several_appeals_and_requires_a_reason(client, two_orgs):
    w = two_orgs
    first, second = w.routed("Автобус"), w.routed("Трамвай")
    client.force_login(w.coordinator_a)
    refused = client.post("/workspace/bulk/", {"queue": "distribute", "ids": [first.pk, second.pk],
                                               "action": "redirect", "organization": w.org_b.pk})
    assert refused.status_code == 400 and "Объясните, почему обращения перенаправляются." in refused.content.decode()
    assert Appeal.objects.get(pk=first.pk).organization_id == w.org_a.pk
    done = client.post("/workspace/bulk/", {"queue": "distribute", "ids": [first.pk, second.pk],
                                            "action": "redirect", "organization": w.org_b.pk,
                                            "reason": "Это транспорт"})
    assert 'data-done="2" data-failed="0"' in done.content.decode()
    assert set(Appeal.objects.filter(pk__in=[first.pk, second.pk]).values_list("organization_id", "state")) == {
        (w.org_b.pk, State.COORDINATION)}


def test_it_offers_bulk_actions_only_on_queues_that_have_them(client, two_orgs):
    w = two_orgs
    w.routed()
    client.force_login(w.coordinator_a)
    assert 'name="ids"' in client.get("/workspace/queues/distribute/").content.decode()
    appeal = w.executing("В работе")
    client.force_login(w.executor_a)
    html = client.get("/workspace/queues/mine/").content.decode()
    assert appeal.number in html and 'name="ids"' not in html
