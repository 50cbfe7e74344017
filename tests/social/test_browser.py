"""In Chromium: the moderator opens the social posts from the workspace menu, accepts a problem report,
which becomes a message of the social regime, and rejects an advertisement with a reason."""

from __future__ import annotations

import re

import pytest

from otklik.appeals.lifecycle import Regime
from otklik.intake.social.models import Post, PostState
from tests.browser_fixtures import login

from .test_moderation import scene, store  # noqa: F401 - the fixture is used by name

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_moderator_works_the_social_queue_in_the_browser(page, live_server, screenshot, scene):  # noqa: F811
    store(scene, ["В Северодольске яма на дороге у школы номер пять, машины бьют колёса",
                  "Продам гараж в Северодольске недорого"])
    road, garage = Post.objects.order_by("external_id")
    login(page, scene["moderator"].username)
    page.click("#queue-nav >> text=Посты из соцсетей")
    page.wait_for_selector("#post-states")
    assert re.search(r"/workspace/social/", page.url), page.url
    assert "Дороги" in page.inner_text(f"#post-{road.pk}")
    assert page.locator(f"#post-{garage.pk}").count() == 0  # not a problem: kept, not queued
    screenshot(page, "queue")
    page.click(f"#post-{road.pk} form[action$='/accept/'] button")
    page.wait_for_selector("#post-states")
    road.refresh_from_db()
    assert road.state == PostState.ACCEPTED and road.appeal.regime == Regime.SOCIAL
    page.click("#post-states >> text=Не проблема или не наша территория")
    page.fill(f"#post-{garage.pk} form[action$='/reject/'] input[type=text]", "Объявление о продаже")
    page.click(f"#post-{garage.pk} form[action$='/reject/'] button")
    page.wait_for_selector("#post-states")
    garage.refresh_from_db()
    assert garage.state == PostState.REJECTED and garage.reject_reason == "Объявление о продаже"
    screenshot(page, "rejected")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.reload()
    screenshot(page, "wide")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/workspace/social/?state=accepted")
    assert road.appeal.number in page.inner_text("body")
    screenshot(page, "phone")
