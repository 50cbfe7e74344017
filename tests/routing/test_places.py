"""Places from the text over the region's gazetteer, imported from CSV."""

import io

import pytest
from django.core.management import CommandError, call_command

from otklik.appeals.models import Appeal
from otklik.routing import selectors
from otklik.routing.models import Place
from otklik.routing.places import Entry, Gazetteer, name_key
from otklik.routing.services import routing_models_train
from tests import factories as f

pytestmark = pytest.mark.django_db

CSV = """name,kind,territory,lat,lon
Большие Угоны,населённый пункт,Южный район,51.71,35.27
улица Ленина,улица,Южный район,51.70,35.26
улица Ленина,улица,Северный район,52.10,36.10
улица Садовая,улица,Северный район,52.11,36.11
Северный район,район,Северный район,,
"""


def _import(tmp_path, text=CSV, *args):
    (tmp_path / "places.csv").write_text(text, encoding="utf-8")
    out = io.StringIO()
    call_command("routing_gazetteer", str(tmp_path / "places.csv"), *args, stdout=out)
    return int(out.getvalue())


def test_names_match_in_any_word_form_and_the_most_precise_place_wins():
    entries = [
        Entry(1, "settlement", name_key("Большие Угоны", "settlement"), 10, 51.7, 35.2, "Большие Угоны"),
        Entry(2, "street", name_key("улица Ленина", "street"), 10, 51.7, 35.3, "улица Ленина"),
        Entry(3, "street", name_key("улица Ленина", "street"), 20, 52.1, 36.1, "улица Ленина"),
        Entry(4, "street", name_key("ул. Садовая", "street"), 20, 52.1, 36.1, "ул. Садовая"),
        Entry(5, "district", name_key("Северный район", "district"), 20, None, None, "Северный район"),
        Entry(6, "settlement", name_key("Мир", "settlement"), 30, None, None, "Мир"),
    ]
    places = Gazetteer(entries, {10: None, 20: None})
    assert places.find("Сидим без света в деревне Большие Угоны").entry.id == 1
    # «Ленина» is in two towns: it counts only next to a settlement that has it.
    assert places.find("В деревне Больших Угонах на ул. Ленина яма").entry.id == 2
    assert places.find("На улице Ленина яма") is None
    assert places.find("На Садовой улице не горит фонарь").entry.id == 4  # unique: it has the point
    assert places.find("Северный район, нет воды").entry.id == 5
    assert places.find("Во всём мире так") is None  # a common word is not a one-word place name
    assert places.find("пос. мир, нет воды").entry.id == 6


def test_the_gazetteer_is_imported_from_csv_and_gives_the_card_a_place(routing_region, tmp_path, history):
    assert _import(tmp_path) == 5
    assert Place.objects.get(name="Большие Угоны").territory == routing_region.territories["Южный район"]
    assert _import(tmp_path) == 5 and Place.objects.count() == 5  # importing again changes nothing
    routing_region.decided(history[:200])
    routing_models_train()
    found = selectors.suggestions(Appeal(text="Мусор не вывозят, контейнер полон, деревня Большие Угоны"))
    assert found.territory_from_text and "Большие Угоны" in found.territory
    assert found.organizations[0].name == "Администрация: Южный район"


def test_a_bad_row_imports_nothing_and_names_its_line(routing_region, tmp_path):
    bad = CSV + "Нигдеевка,населённый пункт,Нет такого района,,\nОкраина,улица,Южный район,200,1\n"
    with pytest.raises(CommandError) as error:
        _import(tmp_path, bad)
    assert "Строка 7" in str(error.value) and "Строка 8" in str(error.value)
    assert not Place.objects.exists()


def test_replace_drops_places_not_in_the_file(routing_region, tmp_path):
    _import(tmp_path)
    f.territory("Лишний")
    assert _import(tmp_path, "name,kind,territory,lat,lon\nБольшие Угоны,settlement,Южный район,,\n",
                   "--replace") == 1
    assert list(Place.objects.values_list("name", flat=True)) == ["Большие Угоны"]
