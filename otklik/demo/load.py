"""Synthetic load for benchmarks: ``manage.py generate_load`` plays stories through the bulk sink.

The stories are the ones of ``otklik/demo/stories.py`` (the demo plays the same planner through the
services); here every appeal's rows, derived while its story is chosen, go to the database with COPY
on PostgreSQL (``bulk_create`` elsewhere), a batch at a time. When the registry is empty a synthetic
region is created first (territories, ~30 organisations with their staff, ~40 categories with routing).
Notices are not generated; what fell due after an appeal's last step is left for the real sweeper.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from otklik.accounts.models import Membership, Role, User
from otklik.appeals.lifecycle import OPEN_STATES
from otklik.appeals.models import NumberSequence
from otklik.demo.sinks import BulkSink, CopySink, OrmSink
from otklik.demo.stories import Planner, Profile, StoryError, load_registry
from otklik.registry.models import Category, Organization, RoutingRule, Territory
from otklik.registry.selectors import region_calendar, region_settings

LoadError = StoryError


# Where a synthetic category is answered: by a regional body (named) or by the territory's own
# administration ("local") or its improvement department ("improvement"), with the body as fallback.
_CATEGORIES: list[tuple[str, str, str, int, str, float, str, str]] = [
    # group, code, name, days, season, weight, body, local
    ("ЖКХ", "heating", "Нет отопления", 10, "heating", 6.0, "ТС", "local"),
    ("ЖКХ", "cold_flat", "Низкая температура в квартире", 10, "heating", 4.0, "ТС", "local"),
    ("ЖКХ", "hot_water", "Нет горячей воды", 10, "hot_water", 3.0, "ТС", "local"),
    ("ЖКХ", "cold_water", "Нет холодной воды", 10, "flat", 2.0, "ВК", "local"),
    ("ЖКХ", "power", "Перебои с электроснабжением", 10, "flat", 2.0, "ЭК", ""),
    ("ЖКХ", "gas", "Газоснабжение", 10, "flat", 0.8, "ГАЗ", ""),
    ("ЖКХ", "roof", "Протечка кровли", 30, "roads", 2.0, "ГЖИ", ""),
    ("ЖКХ", "management", "Работа управляющей компании", 30, "flat", 4.0, "ГЖИ", ""),
    ("ЖКХ", "overhaul", "Капитальный ремонт дома", 30, "flat", 2.0, "ФКР", ""),
    ("ЖКХ", "entrance", "Уборка и ремонт подъездов", 30, "flat", 2.0, "ГЖИ", ""),
    ("Дороги", "potholes", "Ямы на дорогах", 30, "roads", 6.0, "МТ", "local"),
    ("Дороги", "yard_potholes", "Ямы во дворах", 30, "roads", 4.0, "МТ", "improvement"),
    ("Дороги", "signs", "Дорожные знаки и разметка", 30, "summer", 1.5, "МТ", ""),
    ("Дороги", "lights", "Неисправные светофоры", 10, "flat", 1.0, "МТ", "local"),
    ("Дороги", "snow_roads", "Уборка снега на дорогах", 10, "snow", 5.0, "МТ", "local"),
    ("Дороги", "ice", "Гололёд на тротуарах", 10, "snow", 3.0, "МТ", "improvement"),
    ("Благоустройство", "street_lighting", "Уличное освещение", 30, "dark", 3.0, "МЖКХ", "improvement"),
    ("Благоустройство", "playgrounds", "Детские площадки", 30, "summer", 2.0, "МЖКХ", "improvement"),
    ("Благоустройство", "grass", "Покос травы и озеленение", 30, "summer", 2.0, "МЖКХ", "improvement"),
    ("Благоустройство", "trees", "Аварийные деревья", 10, "summer", 1.5, "МЖКХ", "improvement"),
    ("Благоустройство", "parks", "Парки и скверы", 30, "summer", 1.5, "МЖКХ", "local"),
    ("Благоустройство", "yards", "Благоустройство дворов", 30, "summer", 2.0, "МЖКХ", "improvement"),
    ("Мусор и ТКО", "garbage", "Вывоз мусора", 10, "summer", 4.0, "ТКО", ""),
    ("Мусор и ТКО", "dumps", "Несанкционированные свалки", 30, "summer", 2.0, "МПР", "local"),
    ("Мусор и ТКО", "waste_fee", "Плата за вывоз ТКО", 30, "flat", 1.0, "ТКО", ""),
    ("Общественный транспорт", "routes", "Маршруты и расписание", 30, "school", 2.5, "ПТ", ""),
    ("Общественный транспорт", "stops", "Состояние остановок", 30, "flat", 1.0, "МТ", "local"),
    ("Общественный транспорт", "drivers", "Поведение водителей", 30, "flat", 1.0, "ПТ", ""),
    ("Здравоохранение", "doctor", "Запись к врачу", 10, "flu", 3.0, "МЗ", ""),
    ("Здравоохранение", "medicines", "Лекарственное обеспечение", 10, "flu", 2.0, "МЗ", ""),
    ("Здравоохранение", "clinics", "Работа поликлиник", 30, "flu", 2.0, "П1", ""),
    ("Образование", "kindergartens", "Детские сады", 30, "school", 1.5, "МО", ""),
    ("Образование", "schools", "Школы", 30, "school", 1.5, "МО", ""),
    ("Образование", "diary", "Электронный дневник", 30, "school", 1.0, "МЦ", ""),
    ("Социальная защита", "benefits", "Пособия и выплаты", 30, "flat", 2.0, "МСЗ", ""),
    ("Социальная защита", "privileges", "Льготы", 30, "flat", 1.5, "МСЗ", ""),
    ("Экология", "air", "Загрязнение воздуха", 30, "summer", 1.0, "МПР", ""),
    ("Экология", "hogweed", "Борщевик Сосновского", 30, "summer", 1.0, "МПР", "local"),
    ("Связь", "mobile", "Мобильная связь и интернет", 30, "flat", 1.0, "МЦ", ""),
    ("Животные", "stray", "Безнадзорные животные", 30, "flat", 1.5, "ВЕТ", "local"),
    ("Строительство", "illegal_building", "Незаконное строительство", 30, "flat", 0.8, "МС", "local"),
    ("Иное", "other", "Иное", 30, "flat", 1.0, "", "local"),
]

_BODIES: list[tuple[str, str, str]] = [
    # key, name, kind
    ("ЦУР", "Центр управления регионом", Organization.Kind.REGIONAL_BODY),
    ("МЖКХ", "Министерство жилищно-коммунального хозяйства", Organization.Kind.REGIONAL_BODY),
    ("МТ", "Министерство транспорта и автомобильных дорог", Organization.Kind.REGIONAL_BODY),
    ("МЗ", "Министерство здравоохранения", Organization.Kind.REGIONAL_BODY),
    ("МО", "Министерство образования", Organization.Kind.REGIONAL_BODY),
    ("МСЗ", "Министерство социальной защиты населения", Organization.Kind.REGIONAL_BODY),
    ("МПР", "Министерство природных ресурсов и экологии", Organization.Kind.REGIONAL_BODY),
    ("МК", "Министерство культуры", Organization.Kind.REGIONAL_BODY),
    ("МСП", "Министерство спорта", Organization.Kind.REGIONAL_BODY),
    ("МС", "Министерство строительства и архитектуры", Organization.Kind.REGIONAL_BODY),
    ("МПТ", "Министерство промышленности и торговли", Organization.Kind.REGIONAL_BODY),
    ("МЦ", "Министерство цифрового развития и связи", Organization.Kind.REGIONAL_BODY),
    ("ГЖИ", "Государственная жилищная инспекция", Organization.Kind.REGIONAL_BODY),
    ("ВЕТ", "Управление ветеринарии", Organization.Kind.REGIONAL_BODY),
    ("ТКО", "Региональный оператор по обращению с ТКО", Organization.Kind.OTHER),
    ("ФКР", "Фонд капитального ремонта многоквартирных домов", Organization.Kind.OTHER),
    ("ЭК", "Региональная электросетевая компания", Organization.Kind.OTHER),
    ("ГАЗ", "Газораспределительная организация", Organization.Kind.OTHER),
    ("ТС", "АО «Теплосеть»", Organization.Kind.OTHER),
    ("ВК", "МУП «Водоканал»", Organization.Kind.OTHER),
    ("ПТ", "ГУП «Пассажирский транспорт»", Organization.Kind.INSTITUTION),
    ("П1", "Городская поликлиника № 1", Organization.Kind.INSTITUTION),
]

# Territories: name, kind, centre, share of appeals, administration, improvement department.
_TERRITORIES: list[tuple[str, str, float, float, float, str, str]] = [
    ("Город Северск", Territory.Kind.CITY_DISTRICT, 55.01, 37.02, 0.34, "Администрация города Северска",
     "МКУ «Управление благоустройства города Северска»"),
    ("Город Южногорск", Territory.Kind.CITY_DISTRICT, 54.52, 37.41, 0.24, "Администрация города Южногорска",
     "МКУ «Управление благоустройства города Южногорска»"),
    ("Лесной район", Territory.Kind.MUNICIPAL_DISTRICT, 55.32, 36.55, 0.12, "Администрация Лесного района", ""),
    ("Речной район", Territory.Kind.MUNICIPAL_DISTRICT, 54.85, 38.05, 0.12, "Администрация Речного района", ""),
    ("Полевой район", Territory.Kind.MUNICIPAL_DISTRICT, 54.40, 36.70, 0.10, "Администрация Полевого района", ""),
    ("Озёрный район", Territory.Kind.MUNICIPAL_DISTRICT, 55.50, 37.80, 0.08, "Администрация Озёрного района", ""),
]
SYNTHETIC_REGION = "Синтетическая область"


class SyntheticProfile(Profile):
    """The synthetic region's categories come in their seasons with their weights; its territories
    with their shares (other registries: the guesses of :class:`Profile`)."""

    seasons = {f"load-{code}": (season, weight) for _g, code, _n, _d, season, weight, _b, _l in _CATEGORIES}
    shares = {name: share for name, _k, _la, _lo, share, _a, _i in _TERRITORIES}

    def category_weight(self, category: Category, index: int) -> tuple[str, float]:
        return self.seasons.get(category.code) or super().category_weight(category, index)

    def territory_weight(self, territory: Territory, index: int) -> float:
        return self.shares.get(territory.name) or super().territory_weight(territory, index)


def ensure_registry() -> bool:
    """Create the synthetic region when the registry has no categories or no organisation with staff.

    Returns whether anything was created. Re-running is harmless (rows are found by their names).
    """
    staffed = Membership.objects.filter(role=Role.EXECUTOR, organization__is_active=True).exists()
    if staffed and Category.objects.filter(is_active=True).exists():
        return False
    rng = random.Random(20260101)
    with transaction.atomic():
        region_row = region_settings()
        if not region_row.name:
            region_row.name = SYNTHETIC_REGION
            region_row.save(update_fields=["name"])
        root, _ = Territory.objects.get_or_create(name=SYNTHETIC_REGION, parent=None,
                                                  defaults={"kind": Territory.Kind.REGION})
        bodies: dict[str, Organization] = {}
        for key, name, kind in _BODIES:
            bodies[key], _ = Organization.objects.get_or_create(
                name=name, defaults={"kind": kind, "short_name": key, "territory": root})
        territories: list[tuple[Territory, Organization, Organization | None]] = []
        for name, tkind, lat, lon, _share, admin_name, improvement_name in _TERRITORIES:
            terr, _ = Territory.objects.get_or_create(
                name=name, parent=root, defaults={"kind": tkind, "centre_lat": lat, "centre_lon": lon})
            admin, _ = Organization.objects.get_or_create(
                name=admin_name, defaults={"kind": Organization.Kind.LOCAL_GOVERNMENT, "territory": terr})
            improvement = None
            if improvement_name:
                improvement, _ = Organization.objects.get_or_create(
                    name=improvement_name, defaults={"kind": Organization.Kind.INSTITUTION, "territory": terr,
                                                     "parent": admin})
            territories.append((terr, admin, improvement))
        organizations = sorted(
            {org.pk: org for org in [*bodies.values(), *(t[1] for t in territories),
                                     *(t[2] for t in territories if t[2] is not None)]}.values(),
            key=lambda org: org.pk,
        )
        _ensure_staff(organizations, bodies["ЦУР"], rng)
        groups: dict[str, Category] = {}
        for group, code, name, days, _season, _weight, body_key, local in _CATEGORIES:
            if group not in groups:
                groups[group], _ = Category.objects.get_or_create(
                    code=f"load-{len(groups) + 1:02d}", defaults={"name": group})
            category, _ = Category.objects.get_or_create(
                code=f"load-{code}",
                defaults={"name": name, "parent": groups[group], "answer_days": days,
                          "procedure": Category.Procedure.ACCELERATED if days <= 10 else Category.Procedure.ORDINARY},
            )
            fallback = bodies.get(body_key) or territories[0][1]
            RoutingRule.objects.get_or_create(category=category, territory=None,
                                              defaults={"organization": fallback})
            if local:
                for terr, admin, improvement in territories:
                    target = improvement if local == "improvement" and improvement else admin
                    RoutingRule.objects.get_or_create(category=category, territory=terr,
                                                      defaults={"organization": target})
    return True


def _ensure_staff(organizations: list[Organization], centre: Organization, rng: random.Random) -> None:
    """A head, a coordinator and three executors per organisation; moderators at the centre.

    Passwords are unusable: a benchmark that signs in sets one for the user it needs.
    """
    existing = set(User.objects.filter(username__startswith="load-").values_list("username", flat=True))
    users: list[User] = []
    roles: list[tuple[str, int, str]] = []
    for index, org in enumerate(organizations, start=1):
        plan = ([Role.MODERATOR] * 3 + [Role.REGIONAL_COORDINATOR]) if org.pk == centre.pk else (
            [Role.HEAD, Role.COORDINATOR] + [Role.EXECUTOR] * 3)
        counts: dict[str, int] = {}
        for role in plan:
            counts[role] = counts.get(role, 0) + 1
            username = f"load-{index:02d}-{role}-{counts[role]}"
            roles.append((username, org.pk, role))
            if username not in existing:
                surname, first, patronymic = SyntheticProfile().person(rng)
                person = User(username=username, last_name=surname, first_name=first, patronymic=patronymic,
                              email=f"{username}@example.org", position=str(Role(role).label))
                person.set_unusable_password()
                users.append(person)
    User.objects.bulk_create(users)
    ids = dict(User.objects.filter(username__startswith="load-").values_list("username", "pk"))
    Membership.objects.bulk_create(
        [Membership(user_id=ids[username], organization_id=org_id, role=role) for username, org_id, role in roles],
        ignore_conflicts=True,
    )


@dataclass
class LoadResult:
    appeals: int = 0
    events: int = 0
    breaches: int = 0
    open: int = 0
    seconds: float = 0.0
    created_registry: bool = False
    states: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.appeals / self.seconds if self.seconds else 0.0


def reserve_numbers(years: list[int]) -> dict[int, Iterator[int]]:
    """Take a block of numbers for each year from NumberSequence, as many as the year has appeals."""
    counts: dict[int, int] = {}
    for year in years:
        counts[year] = counts.get(year, 0) + 1
    blocks: dict[int, Iterator[int]] = {}
    with transaction.atomic():
        for year, count in sorted(counts.items()):
            NumberSequence.objects.get_or_create(year=year)
            NumberSequence.objects.filter(year=year).update(last=F("last") + count)
            last = NumberSequence.objects.get(year=year).last
            blocks[year] = iter(range(last - count + 1, last + 1))
    return blocks


def generate(
    *,
    appeals: int,
    seed: int,
    months: int = 12,
    batch: int = 5000,
    now: dt.datetime | None = None,
    skip_fk_checks: bool = False,
    progress: Callable[[LoadResult], None] | None = None,
) -> LoadResult:
    """Write ``appeals`` appeals received over the last ``months`` months, with their histories.

    On PostgreSQL outside a transaction the batches are committed one by one from a writer thread;
    inside the caller's transaction (tests) everything goes into that transaction.
    """
    started = time.perf_counter()
    now = now or timezone.now()
    result = LoadResult(created_registry=ensure_registry())
    rng = random.Random(seed)
    region = region_settings()
    profile = SyntheticProfile()
    planner = Planner(registry=load_registry(profile, rng), profile=profile, region=region,
                      cal=region_calendar(region), now=now)
    received = planner.arrivals(appeals, now - dt.timedelta(days=round(months * 30.44)), now, rng)
    years = [moment.astimezone(planner.tz).year for moment in received]
    numbers = reserve_numbers(years)
    threaded = False
    sink: BulkSink
    if connection.vendor == "postgresql":
        if skip_fk_checks and not _is_superuser():
            raise LoadError("Skipping foreign-key checks needs a PostgreSQL superuser.")
        threaded = not connection.in_atomic_block
        sink = CopySink(threaded=threaded, skip_fk_checks=skip_fk_checks)
    else:
        sink = OrmSink()
    try:
        for first in range(0, appeals, batch):
            chunk = range(first, min(first + batch, appeals))
            with contextlib.nullcontext() if threaded else transaction.atomic():
                ids = sink.reserve_ids(len(chunk))
                stories = [planner.plan(index, received[index], random.Random(rng.random()), appeal_id=appeal_id,
                                        number=f"{years[index]}-{next(numbers[years[index]]):06d}")
                           for appeal_id, index in zip(ids, chunk, strict=True)]
                written = sink.write(stories)
            for story in stories:
                result.states[story.state] = result.states.get(story.state, 0) + 1
            result.appeals += len(stories)
            result.events += written[0]
            result.breaches += written[1]
            result.seconds = time.perf_counter() - started
            if progress is not None:
                progress(result)
    finally:
        sink.close()
    result.open = sum(count for state, count in result.states.items() if state in OPEN_STATES)
    result.seconds = time.perf_counter() - started
    return result


def _is_superuser() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])
