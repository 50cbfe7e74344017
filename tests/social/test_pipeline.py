"""The pipeline's suggestions: keyword phrases weighted by how telling they are, the routing classifier once
a version is active, the gazetteer for the place."""

from __future__ import annotations

import pytest

from otklik.intake.social.pipeline import Pipeline, Recent
from otklik.routing.services import routing_models_train
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def categories(region):
    f.territory("Северодольск", kind="city_district")
    return {
        "home": f.category("ЖКХ", keywords="дом, коммунальные услуги"),
        "heat": f.category("Отопление", keywords="отопление, батарея, холодно"),
        "care": f.category("Уход на дому", keywords="уход на дому, соцработник"),
        "light": f.category("Освещение", keywords="фонарь, освещение, темно, не горит свет"),
        "roads": f.category("Дороги", keywords="яма, дорога, асфальт, выбоина"),
    }


def judge(text):
    return Pipeline().judge(text, Recent(), source_territory=None, source_organization=None)


def test_a_phrase_counts_only_whole_and_a_rare_word_beats_a_common_one(categories):
    assert judge("В Северодольске в доме 5 холодная батарея").category_id == categories["heat"].pk
    assert judge("В Северодольске у дома 5 яма").category_id == categories["roads"].pk  # not «уход на дому»
    verdict = judge("В Северодольске у дома 5 сломан фонарь")
    assert verdict.category_id == categories["light"].pk and verdict.is_problem and verdict.in_territory


def test_the_routing_classifier_decides_once_a_version_is_active(categories):
    misspelled = "Фанари не горят во дворе"
    assert judge(misspelled).category_id is None  # no keyword phrase is in it
    assert routing_models_train()  # a cold-start version from the categories' keywords
    assert judge(misspelled).category_id == categories["light"].pk
