from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from otklik.appeals import services as s
from otklik.reports.rollup import rollup_update
from otklik.reports.selectors import DashboardFilters, dashboard, report_scope
from tests.reports.conftest import local, make_appeal

pytestmark = pytest.mark.django_db
MARCH = DashboardFilters(date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 31), min_volume=2)


@pytest.fixture
def scene(rworld):
    """Org 0: three answers (two on time, one late), one overdue open appeal, one postponed.
    Org 1: one answer on time. A social post answered by org 0 after an intermediate reply in 2 h."""
    w = rworld
    a, b = w.orgs[0], w.orgs[1]
    make_appeal(w, at=local(2026, 3, 2), people=a, answer_after_hours=48, rating=5)
    make_appeal(w, at=local(2026, 3, 3), people=a, answer_after_hours=72, rating=2)
    make_appeal(w, at=local(2026, 3, 3), people=a, category=w.heating, answer_after_hours=24 * 20)  # 10 days: late
    make_appeal(w, at=local(2026, 3, 4), people=a, category=w.heating, territory=w.territories[2])  # overdue later
    postponed = make_appeal(w, at=local(2026, 3, 5), people=a)
    s.appeal_postpone(appeal_id=postponed.pk, user=a.coordinator, until=dt.date(2026, 5, 20), reason="Ремонт",
                      now=local(2026, 3, 10))
    make_appeal(w, at=local(2026, 3, 6), people=b, answer_after_hours=24, territory=w.territories[1])
    post = make_appeal(w, at=local(2026, 3, 7, 10), people=a, category=w.social, regime="social", channel="social",
                       social_author="@citizen")
    s.appeal_intermediate(appeal_id=post.pk, user=a.executor, text="Разбираемся", now=local(2026, 3, 7, 12))
    make_appeal(w, at=local(2026, 4, 2), people=b, answer_after_hours=5)  # outside March
    rollup_update(gap_wait=dt.timedelta(0))
    return w


def test_it_computes_the_figures_of_the_period(scene):
    figures = dashboard(scene.regional, MARCH, now=local(2026, 3, 31, 12))
    totals = figures["totals"]
    assert totals["received"] == 7  # submitted in March, region-wide
    assert (totals["answered"], totals["on_time"], totals["late"]) == (4, 3, 1)
    assert totals["on_time_share"] == 75.0
    assert totals["postponed"] == 1
    # The heating appeal of 4 March (due 14 March) and the social post (7 working days after its reply).
    assert totals["overdue_now"] == 2
    # Reconsidered after the low rating, overdue, postponed, the social post.
    assert totals["open_now"] == 4
    assert totals["avg_answer_hours"] == pytest.approx((48 + 72 + 480 + 24) / 4, abs=0.5)
    assert 24 < totals["median_answer_hours"] <= 72
    assert (totals["rated"], totals["avg_rating"], totals["low_rating_share"]) == (2, 3.5, 50.0)
    assert figures["social"]["first_replies"] == 1
    assert figures["social"]["avg_first_reply_hours"] == pytest.approx(2.0, abs=0.05)
    assert figures["social"]["answered_share"] == 0.0
    by_category = {row["name"]: row["received"] for row in figures["by_category"]}
    assert by_category == {"Дороги": 4, "Нет отопления": 2, "Благоустройство": 1}
    ranking = figures["ranking"]
    assert [row["name"] for row in ranking["ranked"]] == ["Администрация Тестовска"]  # 3 answers ≥ 2
    assert [row["name"] for row in ranking["unranked"]] == ["Администрация района"]


def test_it_shows_an_organisation_only_its_own_figures(scene):
    own = dashboard(scene.orgs[1].head, MARCH, now=local(2026, 3, 31, 12))
    assert {row["id"] for row in own["by_organization"]} == {scene.orgs[1].org.pk}
    assert own["totals"]["received"] == 1 and own["totals"]["answered"] == 1
    assert own["totals"]["overdue_now"] == 0
    # Asking for another organisation's figures gives nothing, not that organisation's data.
    other = dashboard(scene.orgs[1].head, DashboardFilters(**{**MARCH.__dict__, "organization_id":
                                                              scene.orgs[0].org.pk}), now=local(2026, 3, 31, 12))
    assert other["totals"]["answered"] == 0 and other["by_organization"] == []
    assert not report_scope(scene.orgs[1].executor).allowed


def test_it_filters_by_territory_with_its_settlements_and_by_category(scene):
    district = scene.territories[1]
    figures = dashboard(scene.regional, DashboardFilters(**{**MARCH.__dict__, "territory_id": district.pk}),
                        now=local(2026, 3, 31, 12))
    # The district itself (org 1's answer) and its village (the overdue heating appeal).
    assert figures["totals"]["received"] == 2
    assert figures["totals"]["overdue_now"] == 1
    heating = dashboard(scene.regional, DashboardFilters(**{**MARCH.__dict__, "category_id": scene.heating.pk}),
                        now=local(2026, 3, 31, 12))
    assert heating["totals"]["received"] == 2 and heating["totals"]["late"] == 1


def test_it_renders_the_page_with_charts_and_their_tables(scene, client):
    client.force_login(scene.regional)
    with time_machine.travel(local(2026, 3, 31, 12), tick=False):
        page = client.get("/reports/", {"date_from": "2026-03-01", "date_to": "2026-03-31"})
    assert page.status_code == 200
    html = page.content.decode()
    for canvas in ("chart-series", "chart-channels", "chart-categories", "chart-territories", "chart-organizations"):
        assert f'id="{canvas}"' in html
    assert html.count("<details class=\"table\">") == 5
    assert "Администрация Тестовска" in html and 'id="ranking"' in html
    script = client.get("/reports/assets/chart.js")
    assert script.status_code == 200 and b"Chart.js v4." in script.content[:200]  # the npm package, not 2.9
    client.force_login(scene.orgs[0].executor)
    assert client.get("/reports/").status_code == 403


def test_the_category_filter_shows_the_tree_with_parents_before_their_children(scene, client):
    from tests import factories

    housing = factories.category("ЖКХ")
    factories.category("Отопление", parent=housing)
    factories.category("Вода", parent=housing)
    factories.category("Благоустройство")
    client.force_login(scene.regional)
    html = client.get("/reports/").content.decode()
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', html[html.index('name="category"'):])
    names = [label.replace("\xa0", " ").replace("&nbsp;", " ") for _pk, label in options]
    start = names.index("ЖКХ")
    assert names[start:start + 3] == ["ЖКХ", "  — Вода", "  — Отопление"]
    assert names.index("Благоустройство") < start
