"""Generated streams of messages for tests, benchmarks and the demo: ordinary traffic with daily noise,
a weekly rhythm and a season, plus bursts (an incident: many messages of one problem in one place).

Deterministic for a seed; no database. Times are aware datetimes in the region's zone.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from otklik.escalations.detector import Item

DISTRICTS = ("Центральный", "Северный", "Южный", "Заречный", "Промышленный", "Лесной")
CATEGORIES = ("Дороги", "ЖКХ", "Благоустройство", "Транспорт", "Экология", "Здравоохранение")
ORDINARY = (
    "Яма на дороге возле дома {n}, просим отремонтировать",
    "Не вывозят мусор с контейнерной площадки у дома {n}",
    "Сломана скамейка на детской площадке во дворе дома {n}",
    "Не горит фонарь у подъезда дома {n}",
    "Автобус номер {n} ходит с большими интервалами",
    "Прошу покосить траву во дворе дома {n}",
    "Свет дали, спасибо, но подъезд {n} до сих пор не убран",
    "Во дворе дома {n} нужна парковка",
)
WEEKDAY = (1.3, 1.2, 1.1, 1.1, 1.0, 0.6, 0.5)  # Monday first: people write on working days


@dataclass(frozen=True)
class Burst:
    start: dt.datetime
    hours: float
    count: int
    category: str
    district: str
    text: str = "Из крана течёт ржавая мутная вода, дом {n}"


def poisson(rng: random.Random, mean: float) -> int:
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def stream(*, start: dt.date, days: int, daily: float = 60.0, seed: int = 1, season: float = 0.4,
           weekly: bool = True, bursts: tuple[Burst, ...] = (), tz: str = "Europe/Moscow",
           districts: tuple[str, ...] = DISTRICTS, categories: tuple[str, ...] = CATEGORIES) -> list[Item]:
    """``daily`` messages a day on average over the region, spread over districts and categories with
    fixed unequal shares; ``season`` is the yearly amplitude (0.4: ±40 %, highest in January)."""
    rng = random.Random(seed)
    zone = ZoneInfo(tz)
    shares = {(c, d): (i + 1) * (j + 2) for i, c in enumerate(categories) for j, d in enumerate(districts)}
    total = sum(shares.values())
    items: list[Item] = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        factor = 1 + season * math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365)
        if weekly:
            factor *= WEEKDAY[day.weekday()]
        for (category, district), share in shares.items():
            for _ in range(poisson(rng, daily * factor * share / total)):
                # Daytime mostly: 7:00–23:00 local.
                seconds = int(rng.triangular(7 * 3600, 23 * 3600, 13 * 3600))
                at = dt.datetime.combine(day, dt.time(), zone) + dt.timedelta(seconds=seconds)
                text = rng.choice(ORDINARY).format(n=rng.randint(1, 200))
                items.append(Item(created=at, text=text, category=category, territory=district))
    for burst in bursts:
        for k in range(burst.count):
            at = burst.start + dt.timedelta(hours=burst.hours * k / max(burst.count, 1))
            items.append(Item(created=at, text=burst.text.format(n=rng.randint(1, 200)),
                              category=burst.category, territory=burst.district))
    items.sort(key=lambda item: item.created)
    return [Item(created=i.created, text=i.text, category=i.category, territory=i.territory, ref=n)
            for n, i in enumerate(items)]
