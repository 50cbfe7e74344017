"""The reports pages in a real browser: charts drawn by the packaged Chart.js, tables under them,
a report made in the background and opened."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from otklik.appeals.sweeps import sweep
from otklik.reports.rollup import rollup_update
from tests.browser_fixtures import login
from tests.reports.conftest import make_appeal

# Latin words a Russian page may show: formats and names.
ALLOWED = {"XLSX", "PDF", "ZIP", "GUID", "Chart"}


def english_words(tab) -> set[str]:
    text = tab.locator("main").inner_text()
    return {word for word in re.findall(r"[A-Za-z]{4,}", text) if word not in ALLOWED}

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_coordinator_reads_the_dashboard_and_makes_a_report(rworld, page, screenshot):
    now = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    last_month = (now.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    for day, org, hours in ((1, 0, 30), (3, 0, 300), (5, 1, 20), (8, 2, 50)):
        make_appeal(rworld, at=last_month + dt.timedelta(days=day), people=rworld.orgs[org], answer_after_hours=hours,
                    category=rworld.heating if org == 2 else rworld.roads, rating=4)
    make_appeal(rworld, at=now - dt.timedelta(days=2), people=rworld.orgs[1], answer_after_hours=10)
    make_appeal(rworld, at=now - dt.timedelta(hours=3))
    make_appeal(rworld, at=last_month + dt.timedelta(days=9), category=rworld.social, regime="social",
                channel="social", answer_after_hours=3, social_author="@citizen")
    rollup_update(gap_wait=dt.timedelta(0))

    login(page, "regional")
    page.goto(f"/reports/?date_from={last_month:%Y-%m-%d}&date_to={now:%Y-%m-%d}")
    assert not english_words(page), english_words(page)
    page.wait_for_function("() => document.querySelectorAll('canvas').length === 5 && "
                           "[...document.querySelectorAll('canvas')].every(c => c.width > 0)")
    assert page.locator("[data-kpi=received]").inner_text() == "7"
    # Chart.js really drew: the organisations chart has coloured pixels.
    drawn = page.evaluate("""() => {
        const c = document.getElementById('chart-organizations');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let coloured = 0; for (let i = 0; i < d.length; i += 4) { if (d[i + 3] > 0 && d[i] !== d[i + 1]) coloured++; }
        return coloured; }""")
    assert drawn > 500
    # Long names are wrapped onto lines, never cut: each axis label reads as the whole name.
    shown = page.evaluate("""() => ['chart-categories', 'chart-organizations'].map(id => {
        const chart = Chart.getChart(id);
        return [chart.data.labels, chart.scales.y.ticks.map(t => [].concat(t.label).join(' '))]; })""")
    for names, labels in shown:
        assert labels == names and names
    assert page.locator("#ranking tbody tr").count() >= 1
    screenshot(page, "dashboard")
    page.locator("details.table summary").first.click()
    assert page.locator("details.table table").first.is_visible()

    page.goto("/reports/monthly/")
    page.select_option("#id_kind", "monthly")
    page.fill("#id_month", last_month.strftime("%Y-%m"))
    page.click("#report-form button[type=submit]")
    page.wait_for_url("**/reports/jobs/**")
    page.click("text=Открыть отчёт")
    assert page.locator("h1").first.inner_text().startswith("Ежемесячный отчёт")
    assert not english_words(page)
    screenshot(page, "report")


def test_the_register_and_sstu_pages_speak_russian(rworld, page, screenshot):
    now = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    make_appeal(rworld, at=now - dt.timedelta(days=25), category=rworld.heating)
    make_appeal(rworld, at=now - dt.timedelta(days=6), regime="fz59", channel="email", answer_after_hours=30)
    sweep(now=now)
    login(page, "regional")
    page.goto("/reports/breaches/")
    page.select_option("select[id$=measure]", "reprimand")
    page.select_option("select[id$=person]", str(rworld.orgs[0].executor.pk))
    page.click("form.decision-form button[type=submit]")
    assert page.locator("table.grid tbody tr").count() == 1
    assert not english_words(page), english_words(page)
    screenshot(page, "register")
    page.goto("/reports/sstu/")
    page.click("#export-form button[type=submit]")
    page.wait_for_url("**/reports/jobs/**")
    page.goto("/reports/sstu/")
    assert page.locator("#monitoring tbody tr").count() == 1
    assert not english_words(page), english_words(page)
    screenshot(page, "sstu")
