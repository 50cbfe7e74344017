from otklik.routing.text import clean, lemmas, tokens


def test_markup_entities_and_contacts_are_removed_before_reading():
    text = "<p>Яма&nbsp;у дома</p> пишите на a@b.ru или +7 (900) 123-45-67, см. https://x.ru/a"
    assert clean(text) == "Яма у дома пишите на или , см."


def test_tokens_drop_punctuation_and_lemmas_normalise_word_forms():
    assert tokens("Нет света, ул. Ленина!") == ["нет", "света", "ул", "ленина"]
    assert lemmas("Нет света на улицах") == ["нет", "свет", "на", "улица"]
