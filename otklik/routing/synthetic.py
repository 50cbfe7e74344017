"""Generated labelled messages for tests and benchmarks: never the real appeals.

Each category has its own words; a share of messages borrow words of another category (people do write
about the road in a letter on lighting), so a classifier cannot be always right and its confidence has
something to be calibrated against. The organisation follows the category and the territory through a
table, as the region's routing does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

VOCABULARY: dict[str, tuple[str, ...]] = {
    "дороги": ("яма", "асфальт", "дорога", "выбоина", "обочина", "ремонт дороги", "разметка", "тротуар"),
    "освещение": ("фонарь", "освещение", "темно", "лампа", "столб", "не горит", "светильник", "опора"),
    "мусор": ("мусор", "контейнер", "свалка", "отходы", "вывоз", "площадка", "бак", "пакеты"),
    "транспорт": ("автобус", "маршрут", "остановка", "водитель", "расписание", "проезд", "рейс", "маршрутка"),
    "вода": ("вода", "водопровод", "труба", "напор", "канализация", "прорыв", "колодец", "слив"),
}
COMMON = ("просим", "помогите", "уже", "месяц", "жители", "дом", "улица", "возле", "давно", "обращались", "никто")
TERRITORIES = ("Северный район", "Южный район", "Город")


@dataclass(frozen=True)
class Message:
    text: str
    category: str
    territory: str
    organization: str


def organization_for(category: str, territory: str) -> str:
    """The routing table of the generated region: roads and transport are the region's, the rest local."""
    if category in ("дороги", "транспорт"):
        return f"Министерство: {category}"
    return f"Администрация: {territory}"


def messages(count: int, *, seed: int = 0, confusion: float = 0.25, categories: tuple[str, ...] = ()) -> list[Message]:
    rng = random.Random(seed)
    names = categories or tuple(VOCABULARY)
    result = []
    for _ in range(count):
        category = rng.choice(names)
        territory = rng.choice(TERRITORIES)
        own = VOCABULARY[category]
        words = [rng.choice(own) for _ in range(rng.randint(1, 3))]
        if rng.random() < confusion:
            other = rng.choice([n for n in names if n != category])
            words += [rng.choice(VOCABULARY[other]) for _ in range(rng.randint(1, 3))]
        words += [rng.choice(COMMON) for _ in range(rng.randint(3, 8))]
        rng.shuffle(words)
        result.append(Message(" ".join(words).capitalize() + ".", category, territory,
                              organization_for(category, territory)))
    return result
