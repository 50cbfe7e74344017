"""Issue 16 §5: SQLite (FTS5 + Snowball) and PostgreSQL (the ``russian`` configuration, Snowball too)
find the same appeals. CI runs this file on both databases with the same expectations."""

import pytest

from otklik.appeals import selectors
from otklik.appeals import services as s

pytestmark = pytest.mark.django_db

TEXTS = {
    "lamps": "Не горят фонари во дворе дома",
    "road": "Дорогу размыло после дождей, улица Садовая",
    "heating": "В квартире нет отопления, батареи холодные",
    "pit": "Глубокие ямы на проспекте",
    "yard": "Во дворе не вывозят мусор",
}
QUERIES = {
    "фонарь": {"lamps"},
    "фонарей": {"lamps"},
    "двор": {"lamps", "yard"},
    "дороги": {"road"},
    "садовой": {"road"},
    "отопление": {"heating"},
    "холодные батареи": {"heating"},
    "яма": {"pit"},
    "мусора": {"yard"},
    "трамвай": set(),
}


@pytest.mark.parametrize("query", sorted(QUERIES))
def test_the_same_words_find_the_same_appeals_on_every_database(world, query):
    ids = {}
    for name, text in TEXTS.items():
        appeal = s.appeal_submit(text=text, category=world.category, territory=world.territory)
        ids[s.appeal_accept(appeal_id=appeal.pk, user=world.moderator).pk] = name
    found = selectors.search_appeals(world.regional, selectors.AppealFilters(text=query))
    assert {ids[a.pk] for a in found} == QUERIES[query]
