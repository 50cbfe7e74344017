"""In Chromium: the regional coordinator opens the escalations from the workspace menu, sees the clock to
the report, acknowledges, edits the drafted report and sends it; the list then shows it reported."""

from __future__ import annotations

import re

import pytest

from otklik.accounts.models import Role
from otklik.appeals import services as appeals
from otklik.escalations.models import Escalation
from tests import factories as f
from tests.browser_fixtures import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_coordinator_reports_an_escalation_in_the_browser(page, live_server, screenshot, region):
    district = f.territory("Заречный район")
    org = f.organization("Администрация Заречного района", territory=district)
    heating = f.category("Отопление")
    f.route(heating, org, district)
    regional = f.user("regional", (Role.REGIONAL_COORDINATOR, org))
    for text in ("Нет отопления в доме 5, дети мёрзнут", "Нет отопления во всём доме 7"):
        appeals.appeal_submit(text=text, category=heating, territory=district, latitude=63.56, longitude=53.69)
    esc = Escalation.objects.get()  # tasks run inline and the live server commits: detection ran

    login(page, regional.username)
    page.goto("/workspace/")
    page.click("#queue-nav >> text=Эскалации")
    page.wait_for_url(re.compile(r".*/workspace/escalations/$"))
    row = page.inner_text("#escalations tbody")
    assert "Социально значимое сообщение" in row and "Заречный район" in row and "Отопление" in row
    assert re.search(r"\b2[34]:\d\d\b", row), row  # the clock: about a day left
    screenshot(page, "active")
    page.click(f"#escalations a[href='/workspace/escalations/{esc.pk}/']")
    assert "нет отопления" in page.inner_text(".esc-facts").lower() or "Отопление" in page.inner_text(".esc-facts")
    screenshot(page, "detail")
    page.click("#acknowledge")
    assert "Эскалация принята." in page.inner_text("body")
    draft = page.input_value("#report textarea")
    assert "Заречный район" in draft and "Сколько сообщений: 2." in draft
    page.fill("#report textarea", draft + "\nТеплоснабжающая организация устраняет аварию.")
    page.click("#send-report")
    assert "Доклад отправлен получателям в PDF." in page.inner_text("body")
    assert page.locator("text=Доклад (PDF)").count() == 1
    screenshot(page, "reported")
    esc.refresh_from_db()
    assert esc.state == Escalation.State.REPORTED and "устраняет аварию" in esc.report_text
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.reload()
    screenshot(page, "wide")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/workspace/escalations/?history=0")
    screenshot(page, "phone")
