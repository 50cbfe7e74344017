"""Every connector against the local server speaking its network's documented protocol: shapes,
paging and positions, errors, rate limits and the secrets kept out of error texts."""

from __future__ import annotations

import time

import pytest

from otklik.intake.social.base import SourceSpec
from otklik.intake.social.feed import Feed
from otklik.intake.social.http import ConnectorError, RateLimited
from otklik.intake.social.ok import OK, signature
from otklik.intake.social.telegram import Telegram
from otklik.intake.social.vk import VK
from tests.social.fakes import OK_TOKEN, TG_TOKEN, VK_TOKEN

NOW = 1_764_666_000  # 2025-12-02, unix seconds
GROUP = -555


def vk_spec(networks, kind="wall", target=str(GROUP), token=VK_TOKEN):
    return SourceSpec("vk", kind, target, networks.base + "/vk/method/", token)


def drain(pages):
    items, cursors = [], []
    for page in pages:
        items.extend(page.items)
        cursors.append(page.cursor)
    return items, cursors


def test_vk_wall_pages_by_offset_and_keeps_the_position_only_after_the_last_page(networks):
    for post_id in range(1, 151):
        networks.vk.post(GROUP, post_id, f"Пост {post_id}", NOW + post_id)
    items, cursors = drain(VK().pages(vk_spec(networks), {}))
    # A first run starts at the newest page, not at the beginning of the community's history.
    assert [i.external_id for i in items[:2]] == [f"{GROUP}_150", f"{GROUP}_149"] and len(items) == 100
    assert cursors == [{"last_id": 150}]
    for post_id in range(151, 271):
        networks.vk.post(GROUP, post_id, f"Пост {post_id}", NOW + post_id)
    items, cursors = drain(VK().pages(vk_spec(networks), {"last_id": 150}))
    assert sorted(int(i.external_id.split("_")[1]) for i in items) == list(range(151, 271))
    assert cursors == [None, {"last_id": 270}]
    assert items[0].url == f"https://vk.com/wall{GROUP}_270" and items[0].thread == {"owner_id": GROUP,
                                                                                      "post_id": 270}
    sent = networks.calls("vk", "wall.get")[-1]
    assert sent["v"] == "5.199" and sent["owner_id"] == str(GROUP) and sent["offset"] == "100"


def test_vk_waits_a_second_after_too_many_requests_per_second_and_asks_again(networks):
    networks.vk.post(GROUP, 1, "Яма на дороге", NOW)
    networks.vk.errors["wall.get"] = [6]
    started = time.monotonic()
    items, _ = drain(VK().pages(vk_spec(networks), {}))
    assert [i.text for i in items] == ["Яма на дороге"]
    assert len(networks.calls("vk", "wall.get")) == 2 and time.monotonic() - started >= 0.9


def test_vk_rate_limit_reached_is_raised_for_the_worker_to_pause_the_source(networks):
    networks.vk.errors["wall.get"] = [29]
    with pytest.raises(RateLimited) as caught:
        drain(VK().pages(vk_spec(networks), {}))
    assert caught.value.retry_after == 3600 and "29" in caught.value.message
    assert len(networks.calls("vk", "wall.get")) == 1  # a daily quota is not hammered


def test_vk_errors_never_carry_the_token(networks):
    with pytest.raises(ConnectorError) as caught:
        drain(VK().pages(vk_spec(networks, token="vk1.a.wrong-token-123456789"), {}))
    assert caught.value.permanent and "authorization" in caught.value.message
    closed = SourceSpec("vk", "wall", "-1", "http://127.0.0.1:9/method/", VK_TOKEN)
    with pytest.raises(ConnectorError) as unreachable:
        VK(http=None).call(closed, "wall.get", owner_id=-1)
    assert VK_TOKEN not in str(unreachable.value) and unreachable.value.code == "unreachable"


def test_vk_search_follows_next_from_and_starts_the_next_run_at_the_newest_date(networks):
    networks.vk.search = [{"id": i, "owner_id": 1000 + i, "from_id": 1000 + i, "date": NOW + i,
                           "text": f"Северодольск, яма {i}"} for i in range(1, 451)]
    items, cursors = drain(VK().pages(vk_spec(networks, kind="search", target="Северодольск"), {"since": NOW}))
    assert len(items) == 450 and cursors == [None, None, {"since": NOW + 450}]
    assert [c["start_from"] for c in networks.calls("vk", "newsfeed.search")[1:]] == ["200", "400"]
    assert networks.calls("vk", "newsfeed.search")[0]["q"] == "Северодольск"


def test_vk_comments_under_official_posts_skip_the_page_own_answers_and_resume(networks):
    networks.vk.post(GROUP, 10, "Новости района", NOW)
    networks.vk.comment(GROUP, 10, 101, "Когда уберут снег на Ленина?", NOW + 1, 1001)
    networks.vk.comment(GROUP, 10, 102, "Уберём завтра", NOW + 2, GROUP)
    items, cursors = drain(VK().pages(vk_spec(networks, kind="comments"), {}))
    assert [(i.external_id, i.author) for i in items] == [(f"{GROUP}_10_c101", "id1001")]
    assert items[0].thread == {"owner_id": GROUP, "post_id": 10, "comment_id": 101}
    assert cursors[-1] == {"posts": {"10": 102}}
    networks.vk.comment(GROUP, 10, 103, "И во дворе тоже", NOW + 3, 1002)
    items, _ = drain(VK().pages(vk_spec(networks, kind="comments"), cursors[-1]))
    assert [i.external_id for i in items] == [f"{GROUP}_10_c103"]


def test_vk_reply_is_a_comment_from_the_community_and_is_found_again_by_its_marker(networks):
    networks.vk.post(GROUP, 10, "Яма", NOW)
    reply = VK().reply(vk_spec(networks), {"owner_id": GROUP, "post_id": 10, "comment_id": 101}, "Ответ №1/1")
    sent = networks.calls("vk", "wall.createComment")[0]
    assert sent["from_group"] == "555" and sent["reply_to_comment"] == "101" and sent["message"] == "Ответ №1/1"
    assert reply.url == f"https://vk.com/wall{GROUP}_10?reply={reply.reply_id}"
    found = VK().find_reply(vk_spec(networks), {"owner_id": GROUP, "post_id": 10}, "№1/1")
    assert found is not None and found.reply_id == reply.reply_id
    assert VK().find_reply(vk_spec(networks), {"owner_id": GROUP, "post_id": 10}, "№1/2") is None


def tg_spec(networks, target="-1001234"):
    return SourceSpec("telegram", "chat", target, networks.base + "/tg/", TG_TOKEN)


def test_telegram_get_updates_confirms_each_page_by_offset_and_keeps_only_the_chat(networks):
    for n in range(130):
        networks.telegram.message(-1001234 if n % 2 == 0 else -1009999, f"Сообщение {n}", NOW + n)
    items, cursors = drain(Telegram().pages(tg_spec(networks), {}))
    assert len(items) == 65 and all(i.thread["chat_id"] == -1001234 for i in items)
    assert cursors == [{"offset": 601}, {"offset": 631}]
    assert items[0].url == f"https://t.me/c/1234/{items[0].thread['message_id']}"
    # The next run starts after the last update: nothing is repeated.
    items, _ = drain(Telegram().pages(tg_spec(networks), cursors[-1]))
    assert items == [] and networks.telegram.confirmed == 631


def test_telegram_reply_uses_reply_parameters_and_raises_429_with_retry_after(networks):
    networks.telegram.retry_after = [7]
    thread = {"chat_id": -1001234, "message_id": 77, "chat_username": "gorod"}
    with pytest.raises(RateLimited) as caught:
        Telegram().reply(tg_spec(networks), thread, "Ответ")
    assert caught.value.retry_after == 7 and networks.telegram.sent == []
    reply = Telegram().reply(tg_spec(networks), thread, "Ответ")
    assert networks.telegram.sent[0]["reply_parameters"]["message_id"] == 77
    assert reply.url == f"https://t.me/gorod/{reply.reply_id}"
    with pytest.raises(ConnectorError) as cannot:
        Telegram().find_reply(tg_spec(networks), thread, "x")
    assert cannot.value.permanent


def test_telegram_errors_never_carry_the_bot_token(networks):
    bad = SourceSpec("telegram", "chat", "*", networks.base + "/tg/", TG_TOKEN + "x")
    with pytest.raises(ConnectorError) as caught:
        drain(Telegram().pages(bad, {}))
    assert "Unauthorized" in caught.value.message and TG_TOKEN not in str(caught.value)


def ok_spec(networks, kind="wall"):
    return SourceSpec("ok", kind, "7001", networks.base + "/ok/fb.do", OK_TOKEN)


def test_ok_signature_follows_the_documented_formula():
    import hashlib

    params = {"application_key": "A", "method": "users.getCurrentUser", "format": "json"}
    secret = hashlib.md5(b"tokensecret").hexdigest()
    expected = hashlib.md5(("application_key=Aformat=jsonmethod=users.getCurrentUser" + secret).encode()).hexdigest()
    assert signature(params, "token", "secret") == expected


def test_ok_topics_are_signed_paged_and_resumed(networks):
    for n in range(1, 81):
        networks.ok.topic("7001", f"t{n}", f"Тема {n}", (NOW + n) * 1000)
    items, cursors = drain(OK().pages(ok_spec(networks), {"since_ms": (NOW + 10) * 1000}))
    assert len(items) == 70 and cursors[-1] == {"since_ms": (NOW + 80) * 1000} and cursors[0] is None
    assert networks.ok.bad_signatures == 0
    assert items[0].author == "Ольга Смирнова" and items[0].url == "https://ok.ru/group/7001/topic/t80"
    items, _ = drain(OK().pages(ok_spec(networks), cursors[-1]))
    assert items == []


def test_ok_comments_reply_and_read_back(networks):
    networks.ok.topic("7001", "t1", "Новости", NOW * 1000)
    networks.ok.comments["t1"] = [{"id": "c1", "text": "Нет света на Садовой", "author_id": "88",
                                   "author_name": "Пётр", "date": "2026-12-02 09:00:00"}]
    items, cursors = drain(OK().pages(ok_spec(networks, "comments"), {}))
    assert [i.external_id for i in items] == ["7001_t1_cc1"] and cursors[-1] == {"anchors": {"t1": "1"}}
    reply = OK().reply(ok_spec(networks), items[0].thread, "Ответ 2026-000001/1")
    assert networks.ok.created[0]["reply_to_comment_id"] == "c1" and reply.reply_id
    assert OK().find_reply(ok_spec(networks), items[0].thread, "2026-000001/1").reply_id == reply.reply_id
    # The group's own comment is not taken for a citizen's message on the next run.
    items, _ = drain(OK().pages(ok_spec(networks, "comments"), cursors[-1]))
    assert items == []


def test_ok_flood_blocked_pauses_and_a_wrong_key_is_refused(networks):
    networks.ok.errors["mediatopic.getTopics"] = [8]
    with pytest.raises(RateLimited):
        drain(OK().pages(ok_spec(networks), {}))
    wrong = SourceSpec("ok", "wall", "7001", networks.base + "/ok/fb.do", OK_TOKEN.replace("fakesecret", "other"))
    with pytest.raises(ConnectorError) as caught:
        drain(OK().pages(wrong, {}))
    assert "104" in caught.value.message and "fakesecret" not in str(caught.value)


RSS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Новости</title>
<item><guid>n-1</guid><title>Прорыв трубы на Ленина</title><link>https://news.example/1</link>
<description>Вода заливает двор</description><pubDate>Wed, 02 Dec 2026 07:00:00 GMT</pubDate></item>
</channel></rss>"""


def test_feed_reads_rss_then_costs_nothing_while_unchanged(networks):
    networks.feed.xml = RSS
    spec = SourceSpec("feed", "wall", networks.base + "/feed.xml", "", "")
    items, cursors = drain(Feed().pages(spec, {}))
    assert [i.text for i in items] == ["Прорыв трубы на Ленина\nВода заливает двор"]
    assert items[0].url == "https://news.example/1" and cursors == [{"etag": '"v1"'}]
    assert drain(Feed().pages(spec, cursors[0])) == ([], [])
    assert networks.requests[-1][2]["If-None-Match"] == '"v1"'


def test_feed_reads_json_feed_and_waits_out_a_busy_answer(networks):
    networks.feed.json_feed = {"version": "https://jsonfeed.org/version/1.1", "title": "Новости", "items": [
        {"id": "a", "url": "https://news.example/a", "content_text": "Нет света", "date_published":
         "2026-12-02T09:00:00+03:00", "authors": [{"name": "Редакция"}]}]}
    networks.feed.status = [503]
    items, _ = drain(Feed().pages(SourceSpec("feed", "wall", networks.base + "/feed.json", "", ""), {}))
    assert [(i.text, i.author) for i in items] == [("Нет света", "Редакция")]


def test_vk_calls_are_spaced_to_three_a_second(networks):
    networks.vk.post(GROUP, 1, "Пост", NOW)
    started = time.monotonic()
    for _ in range(4):
        VK().call(vk_spec(networks), "wall.get", owner_id=GROUP, count=1)
    assert time.monotonic() - started >= 0.95  # three gaps of a third of a second
