"""A coordinator of organisation A sees none of organisation B's appeals: in no queue, no search,
no card, no template or bulk endpoint. Every page is fetched for real, not only the selectors."""

import datetime as dt

import pytest
from django.utils import timezone

from otklik.appeals import selectors
from otklik.appeals import services as s
from otklik.appeals.lifecycle import State

pytestmark = pytest.mark.django_db


@pytest.fixture
def appeals_of_both(two_orgs):
    """Appeals of both organisations in every state a queue looks at, overdue ones included."""
    w = two_orgs
    past = timezone.now() - dt.timedelta(days=40)
    made = {"a": [], "b": []}
    for org, text, coord, execu, head in (
        ("a", "Яма на дороге", w.coordinator_a, w.executor_a, w.head_a),
        ("b", "Автобус не пришёл на остановку", w.coordinator_b, w.executor_b, w.head_b),
    ):
        category = w.roads if org == "a" else w.transport
        coordination = w.routed(f"{text}, координация", category=category)
        executing = s.appeal_assign(appeal_id=w.routed(f"{text}, исполнение", category=category).pk, user=coord,
                                    executor_id=execu.pk)
        postponed = s.appeal_assign(appeal_id=w.routed(f"{text}, перенос", category=category).pk, user=coord,
                                    executor_id=execu.pk)
        postponed = s.appeal_postpone(appeal_id=postponed.pk, user=coord, reason="Ждём подрядчика",
                                      until=timezone.localdate() + dt.timedelta(days=45))
        approval = s.appeal_assign(appeal_id=w.routed(f"{text}, согласование", category=category).pk, user=coord,
                                   executor_id=execu.pk)
        approval = s.appeal_send_for_approval(appeal_id=approval.pk, user=execu, text="Сделаем.")
        approved = s.appeal_send_for_approval(
            appeal_id=s.appeal_assign(appeal_id=w.routed(f"{text}, публикация", category=category).pk, user=coord,
                                      executor_id=execu.pk).pk, user=execu, text="Сделано.")
        approved = s.appeal_approve(appeal_id=approved.pk, user=head)
        old = w.submit(f"{text}, просрочено", category=category, now=past)
        old = s.appeal_accept(appeal_id=old.pk, user=w.moderator, now=past)
        made[org] = [coordination, executing, postponed, approval, approved, old]
    return made


def _all_pages(client, user):
    urls = ["/workspace/", "/workspace/search/", "/workspace/search/?q=автобус", "/workspace/search/?q=яма",
            "/workspace/notices/"]
    for view in selectors.user_queues(user):
        suffix = f"?for={view.acting_for_id}" if view.acting_for_id else ""
        urls.append(f"/workspace/queues/{view.key}/{suffix}")
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        yield url, response.content.decode()


@pytest.mark.parametrize("who", ["coordinator_a", "head_a", "executor_a"])
def test_it_shows_organisation_b_appeals_nowhere_to_organisation_a(client, two_orgs, appeals_of_both, who):
    user = getattr(two_orgs, who)
    client.force_login(user)
    foreign = appeals_of_both["b"]
    seen_own = set()
    for url, html in _all_pages(client, user):
        for appeal in foreign:
            assert appeal.number not in html, (url, appeal.number)
        assert "Автобус" not in html, url
        seen_own |= {a.number for a in appeals_of_both["a"] if a.number in html}
    assert seen_own, "the pages must show the user's own appeals, or the check proves nothing"
    for appeal in foreign:
        assert client.get(f"/workspace/appeals/{appeal.pk}/").status_code == 404
        assert client.get(f"/workspace/appeals/{appeal.pk}/answer-template/").status_code == 404
        response = client.post(f"/workspace/appeals/{appeal.pk}/act/assign/",
                               {"assign-executor": two_orgs.executor_b.pk})
        assert response.status_code == 404
    for view in selectors.user_queues(user):
        ids = set(selectors.queue_appeals(user, view).values_list("pk", flat=True))
        assert not ids & {a.pk for a in foreign}, view.key
    found = selectors.search_appeals(user, selectors.AppealFilters(text="автобус"))
    assert not found.exists()


def test_it_refuses_bulk_actions_on_another_organisations_appeals(client, two_orgs, appeals_of_both):
    w = two_orgs
    own, foreign = appeals_of_both["a"][0], appeals_of_both["b"][0]
    client.force_login(w.coordinator_a)
    response = client.post("/workspace/bulk/", {
        "queue": "distribute", "ids": [own.pk, foreign.pk], "action": "assign", "executor": w.executor_a.pk,
    })
    assert response.status_code == 200
    html = response.content.decode()
    assert foreign.number not in html
    foreign.refresh_from_db()
    own.refresh_from_db()
    assert foreign.state == State.COORDINATION and foreign.executor_id is None
    assert own.state == State.EXECUTION and own.executor_id == w.executor_a.pk


def test_it_lets_the_regional_coordinator_see_both(client, two_orgs, appeals_of_both):
    client.force_login(two_orgs.regional)
    html = client.get("/workspace/queues/region/").content.decode()
    assert appeals_of_both["a"][0].number in html and appeals_of_both["b"][0].number in html
