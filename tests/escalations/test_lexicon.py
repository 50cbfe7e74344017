"""The significance lexicon: signals on lemmas, negation both ways (pure Python, no database)."""

import pytest

from otklik.escalations.lexicon import Lexicon, default_lexicon


@pytest.mark.parametrize("text, phrase", [
    ("Третий день нет света на улице Ленина", "нет света"),
    ("Света не было всю ночь", "нет света"),
    ("Сидим без отопления", "нет отопления"),
    ("Свет не дали до сих пор", "нет света"),
    ("Свет дали, но нет воды", "нет воды"),
    ("В подъезде пожар!", "пожар"),
    ("Дети в опасности: открыт люк у школы", "дети в опасности"),
    ("Обрушился балкон в доме 5", "обрушился"),
])
def test_a_stated_signal_matches_in_any_word_form(text, phrase):
    hit = default_lexicon().match(text)
    assert hit is not None and hit.phrase.text == phrase


@pytest.mark.parametrize("text", [
    "Свет дали, спасибо",
    "Свет уже есть",
    "Воду включили утром",
    "Отопление восстановили, батареи горячие",
    "Пожара не было, это учения",
    "Аварию устранили",
    "Яма на дороге у дома 3",
])
def test_a_negated_or_restored_signal_does_not_match(text):
    assert default_lexicon().match(text) is None


def test_the_region_lexicon_replaces_the_built_in_one():
    lexicon = Lexicon([("сосулька", "ice")])
    assert lexicon.match("С крыши свисают сосульки над входом").phrase.group == "ice"
    assert lexicon.match("Нет света") is None
