"""The demo's fake network: its posts (marked as a demo) reach the queue and the answers go back."""

from __future__ import annotations

import threading

import pytest

from otklik.demo.social_network import DEMO_OWNER, DEMO_TOKEN, MARK, DemoNetwork
from otklik.intake.social.fetch import fetch_all
from otklik.intake.social.models import Post, PostState, Source
from otklik.intake.social.vk import VK
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_demo_posts_arrive_marked_and_a_reply_is_shown(region):
    f.territory("Город Северодольск", kind="city_district")
    network = DemoNetwork(port=0, interval=3600)
    threading.Thread(target=network.server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{network.server.server_address[1]}/method/"
        source = Source.objects.create(network="vk", name="ДЕМО", kind="wall", target=str(DEMO_OWNER),
                                       api_base=base, token=DEMO_TOKEN)
        network.publish_next()
        summary = fetch_all()
        assert (summary.fetched, summary.new) == (1, 1)
        post = Post.objects.get()
        assert post.state == PostState.NEW and post.text.startswith(MARK)
        from otklik.intake.social.fetch import spec_of

        VK().reply(spec_of(source), post.thread, "Ответ")
        assert [r["text"] for r in network.replies] == ["Ответ"]
    finally:
        network.server.shutdown()
        network.server.server_close()
