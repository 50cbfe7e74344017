"""End to end per network: a post served by the local server is fetched, suggested, accepted through
the API, answered, approved and published, and the reply reaches the server exactly once although
the first try is refused with the network's rate-limit error and the worker restarts in between."""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass

import pytest
from django.core.management import call_command

from otklik.accounts.models import Role, User
from otklik.appeals import services as s
from otklik.appeals.lifecycle import Regime, State
from otklik.intake.social.models import AttemptState, Post, PostEvent, PostState, PublishAttempt, Source
from otklik.registry.models import Category, Organization, Territory
from tests import factories as f
from tests.social.fakes import OK_TOKEN, TG_TOKEN, VK_TOKEN

PROBLEM = "В Северодольске на улице Ленина огромная яма на дороге, машины бьют колёса уже неделю"
NOISE = "Поздравляем всех жителей с праздником, хороших выходных!"
ANSWER = "Яму на улице Ленина заделают до пятницы, подрядчик уже выехал."
GROUP = -555


@dataclass
class World:
    territory: Territory
    org: Organization
    roads: Category
    moderator: User
    coordinator: User
    executor: User
    head: User


@pytest.fixture
def world(region) -> World:
    terr = f.territory("Северодольск", kind="city_district")
    org = f.organization("Администрация Северодольска")
    centre = f.organization("ЦУР")
    roads = f.category("Дороги", keywords="яма, дорога, асфальт")
    f.route(roads, org, terr)
    return World(terr, org, roads, f.user("moderator", (Role.MODERATOR, centre)),
                 f.user("coordinator", (Role.COORDINATOR, org)), f.user("executor", (Role.EXECUTOR, org)),
                 f.user("head", (Role.HEAD, org)))


def run(command: str) -> dict[str, int]:
    out = io.StringIO()
    call_command(command, "--once", stdout=out)
    return json.loads(out.getvalue())


def seed(network: str, networks, now: int) -> Source:
    if network == "vk":
        networks.vk.post(GROUP, 1, NOISE, now - 60)
        networks.vk.post(GROUP, 2, PROBLEM, now)
        return Source.objects.create(network="vk", name="Подслушано", kind="wall", target=str(GROUP),
                                     api_base=networks.base + "/vk/method/", token=VK_TOKEN)
    if network == "telegram":
        networks.telegram.message(-1001234, NOISE, now - 60, username="gorod")
        networks.telegram.message(-1001234, PROBLEM, now, username="gorod")
        return Source.objects.create(network="telegram", name="Чат города", kind="chat", target="-1001234",
                                     api_base=networks.base + "/tg/", token=TG_TOKEN)
    networks.ok.topic("7001", "t1", NOISE, (now - 60) * 1000)
    networks.ok.topic("7001", "t2", PROBLEM, now * 1000)
    return Source.objects.create(network="ok", name="Наш город в ОК", kind="wall", target="7001",
                                 api_base=networks.base + "/ok/fb.do", token=OK_TOKEN)


def refuse_next_reply(network: str, networks) -> None:
    if network == "vk":
        networks.vk.errors["wall.createComment"] = [6]  # Too many requests per second
    elif network == "telegram":
        networks.telegram.retry_after = [30]  # 429 with parameters.retry_after
    else:
        networks.ok.errors["discussions.comment"] = [8]  # FLOOD_BLOCKED


def replies(network: str, networks) -> list[str]:
    if network == "vk":
        return [c["text"] for c in networks.vk.created]
    if network == "telegram":
        return [m["text"] for m in networks.telegram.sent]
    return [c["text"] for c in networks.ok.created]


@pytest.mark.parametrize("network", ["vk", "telegram", "ok"])
def test_a_post_is_answered_under_itself_exactly_once(network, networks, world, client, _controlled_clock,
                                                      django_capture_on_commit_callbacks):
    now = int(dt.datetime.now(tz=dt.UTC).timestamp())
    seed(network, networks, now)
    assert run("social_fetch") == {"sources": 1, "fetched": 2, "new": 1, "duplicates": 0, "errors": 0}
    post = Post.objects.get(state=PostState.NEW)
    assert post.text == PROBLEM and post.raw and post.url and post.author
    assert Post.objects.get(state=PostState.IGNORED).text == NOISE  # kept, out of the queue
    assert (post.suggested_category, post.suggested_territory, post.suggested_organization) == (
        world.roads, world.territory, world.org)

    client.force_login(world.moderator)
    queue = client.get("/api/social/posts?state=new").json()
    assert [p["id"] for p in queue] == [post.pk] and "token" not in json.dumps(queue)
    accepted = client.post(f"/api/social/posts/{post.pk}/accept", {}, content_type="application/json")
    assert accepted.status_code == 200, accepted.content
    post.refresh_from_db()
    appeal = post.appeal
    assert appeal is not None and appeal.regime == Regime.SOCIAL and appeal.state == State.COORDINATION
    assert appeal.organization == world.org and appeal.social_url == post.url
    # Working hours: 9 from a Wednesday 10:00 (09:00–18:00 days) is Thursday 10:00.
    due = dt.datetime.fromisoformat("2026-12-03T10:00:00+03:00")
    assert appeal.due_at is not None and abs(appeal.due_at - due) < dt.timedelta(minutes=1)
    assert PostEvent.objects.filter(post=post, action="accepted").exists()

    s.appeal_assign(appeal_id=appeal.pk, user=world.coordinator, executor_id=world.executor.pk)
    s.appeal_send_for_approval(appeal_id=appeal.pk, user=world.executor, text=ANSWER)
    s.appeal_approve(appeal_id=appeal.pk, user=world.head)
    refuse_next_reply(network, networks)
    with django_capture_on_commit_callbacks(execute=True):
        s.appeal_publish(appeal_id=appeal.pk, user=world.head)
    attempt = PublishAttempt.objects.get(appeal=appeal)
    assert attempt.state == AttemptState.FAILED and attempt.tries == 1 and replies(network, networks) == []

    # The worker restarts: a pass before the network's wait is over sends nothing.
    assert run("social_publish") == {"published": 0, "failed": 0}
    _controlled_clock.shift(dt.timedelta(minutes=15))
    assert run("social_publish") == {"published": 1, "failed": 0}
    assert run("social_publish") == {"published": 0, "failed": 0}
    sent = replies(network, networks)
    assert len(sent) == 1 and sent[0].startswith(ANSWER) and appeal.number in sent[0]
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.SENT and attempt.reply_id and attempt.tries == 2
    assert network == "ok" or attempt.reply_url

    assert run("social_fetch")["new"] == 0  # the second fetch finds nothing new
    assert Post.objects.count() == 2

    figures = client.get("/api/social/metrics?start=2026-12-01&end=2026-12-31&by=network").json()
    assert len(figures) == 1 and figures[0]["key"] == network
    assert (figures[0]["found"], figures[0]["accepted"], figures[0]["answered"]) == (2, 1, 1)
    assert figures[0]["share_answered"] == 1.0 and figures[0]["share_on_time"] == 1.0
    assert 0.2 < figures[0]["median_hours_to_first_reply"] < 0.5  # fetched, answered and replied in 15 minutes
    by_org = client.get("/api/social/metrics?start=2026-12-01&end=2026-12-31&by=organization").json()
    assert {row["key"] for row in by_org} >= {world.org.name}
    assert client.get("/api/social/metrics?start=2026-12-01&end=2026-12-31&by=colour").status_code == 400


def test_a_reply_whose_answer_was_lost_is_found_under_the_post_not_sent_again(networks, world, _controlled_clock,
                                                                              django_capture_on_commit_callbacks):
    now = int(dt.datetime.now(tz=dt.UTC).timestamp())
    seed("vk", networks, now)
    run("social_fetch")
    post = Post.objects.get(state=PostState.NEW)
    from otklik.intake.social.services import post_accept

    post_accept(post_id=post.pk, user=world.moderator)
    post.refresh_from_db()
    s.appeal_assign(appeal_id=post.appeal_id, user=world.coordinator, executor_id=world.executor.pk)
    s.appeal_send_for_approval(appeal_id=post.appeal_id, user=world.executor, text=ANSWER)
    s.appeal_approve(appeal_id=post.appeal_id, user=world.head)
    networks.vk.lose_next_answer = True  # VK posts the comment, the answer never arrives
    with django_capture_on_commit_callbacks(execute=True):
        s.appeal_publish(appeal_id=post.appeal_id, user=world.head)
    attempt = PublishAttempt.objects.get()
    assert attempt.state == AttemptState.FAILED and attempt.verify_first
    _controlled_clock.shift(dt.timedelta(hours=1))
    assert run("social_publish") == {"published": 1, "failed": 0}
    assert len(networks.vk.created) == 1  # read back, not posted twice
    attempt.refresh_from_db()
    assert attempt.reply_id == str(networks.vk.created[0]["id"])


def test_a_worker_that_died_while_sending_is_resolved_by_reading_comments_back(networks, world, _controlled_clock):
    now = int(dt.datetime.now(tz=dt.UTC).timestamp())
    seed("vk", networks, now)
    run("social_fetch")
    post = Post.objects.get(state=PostState.NEW)
    from otklik.intake.social import services

    services.post_accept(post_id=post.pk, user=world.moderator)
    post.refresh_from_db()
    s.appeal_assign(appeal_id=post.appeal_id, user=world.coordinator, executor_id=world.executor.pk)
    s.appeal_send_for_approval(appeal_id=post.appeal_id, user=world.executor, text=ANSWER)
    s.appeal_approve(appeal_id=post.appeal_id, user=world.head)
    s.appeal_publish(appeal_id=post.appeal_id, user=world.head)  # the signal is lost: no on_commit here
    (attempt_id,) = services.replies_plan(appeal_id=post.appeal_id)
    assert services.attempt_claim(attempt_id=attempt_id) is not None  # ... and the worker dies
    assert run("social_publish") == {"published": 0, "failed": 0}  # still held by the dead worker
    _controlled_clock.shift(dt.timedelta(minutes=11))
    assert run("social_publish") == {"published": 1, "failed": 0}
    assert len(networks.vk.created) == 1 and networks.calls("vk", "wall.getComments")


def test_telegram_cannot_read_back_so_an_uncertain_reply_waits_for_a_person(networks, world, _controlled_clock):
    now = int(dt.datetime.now(tz=dt.UTC).timestamp())
    seed("telegram", networks, now)
    run("social_fetch")
    post = Post.objects.get(state=PostState.NEW)
    from otklik.intake.social import services

    services.post_accept(post_id=post.pk, user=world.moderator)
    post.refresh_from_db()
    s.appeal_assign(appeal_id=post.appeal_id, user=world.coordinator, executor_id=world.executor.pk)
    s.appeal_send_for_approval(appeal_id=post.appeal_id, user=world.executor, text=ANSWER)
    s.appeal_approve(appeal_id=post.appeal_id, user=world.head)
    s.appeal_publish(appeal_id=post.appeal_id, user=world.head)
    (attempt_id,) = services.replies_plan(appeal_id=post.appeal_id)
    services.attempt_claim(attempt_id=attempt_id)
    _controlled_clock.shift(dt.timedelta(minutes=11))
    assert run("social_publish") == {"published": 0, "failed": 1}
    assert PublishAttempt.objects.get().state == AttemptState.UNKNOWN and networks.telegram.sent == []


def test_an_intermediate_answer_and_the_final_one_are_two_replies(networks, world, django_capture_on_commit_callbacks):
    now = int(dt.datetime.now(tz=dt.UTC).timestamp())
    seed("vk", networks, now)
    run("social_fetch")
    post = Post.objects.get(state=PostState.NEW)
    from otklik.intake.social import services

    services.post_accept(post_id=post.pk, user=world.moderator)
    post.refresh_from_db()
    s.appeal_assign(appeal_id=post.appeal_id, user=world.coordinator, executor_id=world.executor.pk)
    with django_capture_on_commit_callbacks(execute=True):
        s.appeal_intermediate(appeal_id=post.appeal_id, user=world.executor, text="Проверяем, ответим в срок.")
    s.appeal_send_for_approval(appeal_id=post.appeal_id, user=world.executor, text=ANSWER)
    s.appeal_approve(appeal_id=post.appeal_id, user=world.head)
    with django_capture_on_commit_callbacks(execute=True):
        s.appeal_publish(appeal_id=post.appeal_id, user=world.head)
    texts = [c["text"] for c in networks.vk.created]
    assert len(texts) == 2 and texts[0].startswith("Проверяем") and texts[1].startswith(ANSWER)
    assert texts[0].endswith("/1") and texts[1].endswith("/2")
    assert services.replies_plan(appeal_id=post.appeal_id) == []  # planning again sends nothing
    assert run("social_publish") == {"published": 0, "failed": 0}


def test_the_scheduled_task_fetches_each_due_source_and_a_feed_post_gets_no_reply(networks, world):
    from otklik.intake.social import services
    from otklik.intake.social.tasks import fetch_due

    networks.feed.xml = ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Новости</title>"
                         f"<item><guid>n1</guid><title>{PROBLEM}</title><link>https://news.example/1</link></item>"
                         "</channel></rss>")
    Source.objects.create(network="feed", name="Новости Северодольска", kind="wall",
                          target=networks.base + "/feed.xml")
    fetch_due.enqueue()
    post = Post.objects.get()
    assert post.state == PostState.NEW and post.url == "https://news.example/1"
    fetch_due.enqueue()  # not due again for five minutes
    assert len(networks.calls("feed")) == 1
    services.post_accept(post_id=post.pk, user=world.moderator)
    post.refresh_from_db()
    s.appeal_assign(appeal_id=post.appeal_id, user=world.coordinator, executor_id=world.executor.pk)
    s.appeal_send_for_approval(appeal_id=post.appeal_id, user=world.executor, text=ANSWER)
    s.appeal_approve(appeal_id=post.appeal_id, user=world.head)
    s.appeal_publish(appeal_id=post.appeal_id, user=world.head)
    assert services.replies_plan(appeal_id=post.appeal_id) == [] and not PublishAttempt.objects.exists()
    assert run("social_publish") == {"published": 0, "failed": 0}
