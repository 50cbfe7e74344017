import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from otklik.accounts.models import Absence
from otklik.appeals import selectors
from otklik.appeals import services as s
from otklik.appeals.lifecycle import Regime

pytestmark = pytest.mark.django_db


def _numbers(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    return html


def test_it_splits_incoming_messages_and_social_posts_for_the_moderator(client, two_orgs):
    w = two_orgs
    message = w.submit("Не убран снег во дворе")
    post = w.submit("Опять нет света на улице", regime=Regime.SOCIAL, applicant_name="", applicant_email="",
                    social_author="vasya", social_url="https://vk.com/wall1_1")
    client.force_login(w.moderator)
    incoming = _numbers(client, "/workspace/queues/moderation/")
    social = _numbers(client, "/workspace/queues/social/")
    assert message.number in incoming and post.number not in incoming
    assert post.number in social and message.number not in social


def test_it_gives_the_coordinator_postponed_appeals_once_75_percent_of_the_term_remains(client, two_orgs):
    w = two_orgs
    appeal = w.executing()
    today = timezone.localdate()
    s.appeal_postpone(appeal_id=appeal.pk, user=w.coordinator_a, until=today + dt.timedelta(days=80),
                      reason="Ремонт летом")
    client.force_login(w.coordinator_a)
    assert appeal.number not in _numbers(client, "/workspace/queues/needs_executor/")
    # 25 % of an 80-day postponed term has passed after 20 days: no more than 75 % remains.
    with time_machine.travel(timezone.now() + dt.timedelta(days=21), tick=False):
        client.force_login(w.coordinator_a)  # the session of three weeks ago has expired
        assert appeal.number in _numbers(client, "/workspace/queues/needs_executor/")
        s.appeal_assign(appeal_id=appeal.pk, user=w.coordinator_a, executor_id=w.executor_a2.pk)
        assert appeal.number not in _numbers(client, "/workspace/queues/needs_executor/")


# A fixed moment: 27 days before it and 30 days after contain no holiday, so the "near" appeal's term
# is not moved past its warning by the production calendar (on 30.12 it would move to 11.01).
@time_machine.travel(dt.datetime(2026, 3, 17, 12, tzinfo=dt.timezone(dt.timedelta(hours=3))), tick=True)
def test_it_shows_overdue_approaching_and_redirected_appeals_to_the_coordinator(client, two_orgs):
    w = two_orgs
    past = timezone.now() - dt.timedelta(days=40)
    overdue = s.appeal_accept(appeal_id=w.submit("Старая яма", now=past).pk, user=w.moderator, now=past)
    near_start = timezone.now() - dt.timedelta(days=27)
    near = s.appeal_accept(appeal_id=w.submit("Скоро срок", now=near_start).pk, user=w.moderator, now=near_start)
    fresh = w.routed("Новая яма")
    foreign = w.routed("Не наш вопрос", category=w.transport)
    redirected = s.appeal_redirect(appeal_id=foreign.pk, user=w.coordinator_b, organization_id=w.org_a.pk,
                                   reason="Это дорога, а не транспорт")
    client.force_login(w.coordinator_a)
    overdue_html = _numbers(client, "/workspace/queues/overdue/")
    approaching_html = _numbers(client, "/workspace/queues/approaching/")
    redirected_html = _numbers(client, "/workspace/queues/redirected/")
    distribute_html = _numbers(client, "/workspace/queues/distribute/")
    assert overdue.number in overdue_html and near.number not in overdue_html and fresh.number not in overdue_html
    assert near.number in approaching_html and fresh.number not in approaching_html
    assert redirected.number in redirected_html and fresh.number not in redirected_html
    assert {overdue.number, near.number, fresh.number, redirected.number} <= {
        n for n in (overdue.number, near.number, fresh.number, redirected.number) if n in distribute_html}
    assert 'class="due tone-bad"' in overdue_html


def test_it_orders_the_executors_appeals_by_deadline(client, two_orgs):
    w = two_orgs
    late = w.executing("Поздний срок")
    early_start = timezone.now() - dt.timedelta(days=10)
    early = s.appeal_accept(appeal_id=w.submit("Ранний срок", now=early_start).pk, user=w.moderator, now=early_start)
    early = s.appeal_assign(appeal_id=early.pk, user=w.coordinator_a, executor_id=w.executor_a.pk)
    other = s.appeal_assign(appeal_id=w.routed("Чужой исполнитель").pk, user=w.coordinator_a,
                            executor_id=w.executor_a2.pk)
    client.force_login(w.executor_a)
    html = _numbers(client, "/workspace/queues/mine/")
    assert html.index(early.number) < html.index(late.number)
    assert other.number not in html


def test_it_shows_the_head_answers_awaiting_approval(client, two_orgs):
    w = two_orgs
    waiting = s.appeal_send_for_approval(appeal_id=w.executing("На согласовании").pk, user=w.executor_a,
                                         text="Ответ")
    working = w.executing("В работе")
    client.force_login(w.head_a)
    html = _numbers(client, "/workspace/queues/approval/")
    assert waiting.number in html and working.number not in html


def test_it_shows_a_stand_in_the_absent_persons_queue_marked_as_such(client, two_orgs):
    w = two_orgs
    appeal = w.executing("Заявка отсутствующего")
    today = timezone.localdate()
    Absence.objects.create(user=w.executor_a, stand_in=w.executor_a2, reason=Absence.Reason.VACATION,
                           starts_on=today, ends_on=today + dt.timedelta(days=7))
    client.force_login(w.executor_a2)
    views = selectors.user_queues(w.executor_a2)
    stand_in_views = [v for v in views if v.acting_for_id == w.executor_a.pk]
    assert [v.key for v in stand_in_views] == ["mine"]
    home = _numbers(client, "/workspace/")
    assert "Исполнителев Иван" in home
    html = _numbers(client, f"/workspace/queues/mine/?for={w.executor_a.pk}")
    assert appeal.number in html and 'class="badge standin"' in html
    assert appeal.number not in _numbers(client, "/workspace/queues/mine/")


def test_it_counts_overdue_appeals_by_organisation_for_the_regional_coordinator(client, two_orgs):
    w = two_orgs
    past = timezone.now() - dt.timedelta(days=40)
    for text in ("Первая", "Вторая"):
        s.appeal_accept(appeal_id=w.submit(text, now=past).pk, user=w.moderator, now=past)
    s.appeal_accept(appeal_id=w.submit("Транспорт", category=w.transport, now=past).pk, user=w.moderator, now=past)
    w.routed("Свежая")
    rows = selectors.overdue_by_organization(w.regional)
    assert [(r.name, r.overdue, r.open) for r in rows] == [
        ("Администрация Тестовска", 2, 3), ("Министерство транспорта", 1, 1)]
    client.force_login(w.regional)
    html = _numbers(client, "/workspace/overdue-by-organisation/")
    assert "Администрация Тестовска" in html
    client.force_login(w.coordinator_a)
    assert client.get("/workspace/overdue-by-organisation/").status_code == 403


def test_it_filters_sorts_searches_and_paginates_a_queue(client, two_orgs):
    w = two_orgs
    for i in range(55):
        w.routed(f"Обращение номер {i} про фонари у дома")
    pothole = w.routed("Глубокие ямы на проспекте Мира")
    client.force_login(w.coordinator_a)
    page1 = _numbers(client, "/workspace/queues/distribute/")
    assert 'data-total="56"' in page1 and "страница 1 из 2" in page1
    page2 = _numbers(client, "/workspace/queues/distribute/?page=2")
    assert page2.count('data-appeal="') == 6
    found = _numbers(client, "/workspace/queues/distribute/?q=яма")
    assert 'data-total="1"' in found and pothole.number in found
    assert 'data-total="1"' in _numbers(client, f"/workspace/queues/distribute/?q={pothole.number}")
    assert 'data-total="0"' in _numbers(client, f"/workspace/queues/distribute/?category={w.transport.pk}")
    newest = _numbers(client, "/workspace/queues/distribute/?sort=received")
    assert newest.index(pothole.number) < newest.index('data-appeal="')+200


def test_it_answers_htmx_with_only_the_results(client, two_orgs):
    w = two_orgs
    w.routed()
    client.force_login(w.coordinator_a)
    response = client.get("/workspace/queues/distribute/?q=яма", HTTP_HX_REQUEST="true",
                          HTTP_HX_TARGET="queue-results")
    html = response.content.decode()
    assert html.startswith('<div id="queue-results">') and "<html" not in html


def test_it_finds_words_in_other_forms_by_full_text_search(two_orgs):
    w = two_orgs
    lamp = w.routed("Не горят фонари во дворе")
    road = w.routed("Дорогу размыло", address="улица Садовая, 5")
    find = lambda q: set(selectors.search_appeals(w.coordinator_a, selectors.AppealFilters(text=q)))  # noqa: E731
    assert find("фонарь") == {lamp}
    assert find("садовой улице") == {road}
    assert find("дороги") == {road}
    assert find("трамвай") == set()
    assert find(lamp.number) == {lamp}


def test_a_search_with_more_matches_than_it_counts_says_more_than_and_pages_up_to_there(
        client, two_orgs, monkeypatch):
    from otklik.workspace import views

    monkeypatch.setattr(views, "COUNT_CAP", 60)
    w = two_orgs
    for i in range(63):
        w.routed(f"Обращение номер {i} про фонари у дома")
    client.force_login(w.coordinator_a)
    found = _numbers(client, "/workspace/search/?q=фонари")
    assert 'data-total="60+"' in found and "Больше 60 обращений: уточните поиск" in found
    assert "страница 1 из 2" in found  # 60 of 63, in pages of 50
    assert _numbers(client, "/workspace/search/?q=фонари&page=2").count('data-appeal="') == 10
    narrowed = _numbers(client, "/workspace/search/?q=фонари+номер+7")
    assert 'data-total="1"' in narrowed and "Больше" not in narrowed
