"""Synthetic load: realistic appeals with their full event histories, written in bulk.

**This module bypasses services.py on purpose.** The services lock a row, write it and record one event
per call; a million appeals that way would take hours. Here every appeal's whole story is simulated
in memory and written with COPY on PostgreSQL (``bulk_create`` elsewhere). What the services
guarantee is kept by construction:

* every event is a row of ``lifecycle.TABLE`` taken from the appeal's current state, in a regime and
  by a role the row allows (``_begin`` refuses anything else), so the events replay from ``""`` through
  ``submit`` to the stored state;
* the deadline columns are computed by the functions of ``appeals/deadlines.py`` on the region's
  ``WorkingCalendar`` (read once, memoised: the same answers without a lookup per row);
* numbers come from ``NumberSequence`` (a block per year is reserved up front, so the services go on after it).

The simulated sweeper runs whenever an appeal is touched: warnings, overdue marks and
``DeadlineBreach`` rows for terms that ran out before an appeal's last event are there, as the sweeper
would have left them; what fell due after an appeal's last event is left for the real sweeper, so the
first ``sweep()`` after a generation has work (overdue, approaching, stage breaches, postponed
appeals that need an executor). Notices are not generated.

Use it for benchmarks and demonstration databases only: when the registry is empty it creates a
synthetic region (territories, ~30 organisations with their staff, ~40 categories with routing).
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import itertools
import json
import math
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation

from otklik.accounts.models import Membership, Role, User
from otklik.appeals import chain, deadlines
from otklik.appeals.lifecycle import APPLICANT, OPEN_STATES, SYSTEM, TABLE, Action, Regime, State, Transition
from otklik.appeals.models import Appeal, AppealEvent, Channel, DeadlineBreach, NumberSequence, Stage
from otklik.appeals.services import FZ59_NO_ANSWER_GROUNDS, REJECT_REASONS, rework_reasons
from otklik.core.calendar import WorkingCalendar
from otklik.registry.models import Category, Organization, RegionSettings, RoutingRule, Territory
from otklik.registry.selectors import region_calendar, region_settings

# The simulated sweeper runs every minute: a deadline is acted on one minute after it passes.
SWEEP_LAG = dt.timedelta(minutes=1)
ONE_DAY = dt.timedelta(days=1)


class LoadError(Exception):
    """The generator tried something the lifecycle does not allow: a bug in the story, never data."""


class _Stop(Exception):
    """The appeal's next step would happen after the cutoff (or never): it stays where it is."""


# --- the calendar, memoised ---------------------------------------------------------------------------


class CachedCalendar(WorkingCalendar):
    """The region's ``WorkingCalendar`` with memoised answers.

    Every method gives exactly what the parent gives (the results depend only on the arguments), so
    deadlines computed through it are the ones the services compute. ``WorkingCalendar`` is a frozen
    dataclass; a subclass may still hold its own caches.
    """

    _working: dict[dt.date, bool]
    _calendar_days: dict[tuple[dt.date, int, bool], dt.datetime]
    _working_days: dict[tuple[dt.date, int], dt.datetime]
    _ends: dict[dt.date, dt.datetime]

    @classmethod
    def of(cls, cal: WorkingCalendar) -> CachedCalendar:
        fast = cls(tz=cal.tz, extra_days_off=cal.extra_days_off, extra_working_days=cal.extra_working_days,
                   workday_start=cal.workday_start, workday_end=cal.workday_end)
        fast._working = {}
        fast._calendar_days = {}
        fast._working_days = {}
        fast._ends = {}
        return fast

    def is_working_day(self, day: dt.date) -> bool:
        found = self._working.get(day)
        if found is None:
            found = self._working[day] = super().is_working_day(day)
        return found

    def end_of_day(self, day: dt.date) -> dt.datetime:
        found = self._ends.get(day)
        if found is None:
            found = self._ends[day] = super().end_of_day(day)
        return found

    def add_calendar_days(self, start: dt.datetime, days: int, *, move_off_day: bool = True) -> dt.datetime:
        key = (self.local_date(start), days, move_off_day)
        found = self._calendar_days.get(key)
        if found is None:
            found = self._calendar_days[key] = super().add_calendar_days(start, days, move_off_day=move_off_day)
        return found

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        key = (self.local_date(start), days)
        found = self._working_days.get(key)
        if found is None:
            found = self._working_days[key] = super().add_working_days(start, days)
        return found


# --- the synthetic registry ---------------------------------------------------------------------------

# Seasonal profiles: a factor for each month, January first.
SEASONS: dict[str, tuple[float, ...]] = {
    "flat": (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1),
    "heating": (3.2, 2.8, 1.8, 0.8, 0.15, 0.05, 0.05, 0.05, 0.6, 2.2, 2.8, 3.2),
    "snow": (3.5, 3.2, 1.6, 0.2, 0.02, 0.01, 0.01, 0.01, 0.02, 0.2, 1.5, 3.0),
    "roads": (0.7, 0.8, 1.3, 2.0, 1.8, 1.2, 1.0, 0.9, 0.9, 0.9, 0.8, 0.7),
    "summer": (0.2, 0.2, 0.4, 0.9, 1.6, 2.0, 2.1, 1.9, 1.2, 0.6, 0.3, 0.2),
    "hot_water": (0.8, 0.8, 0.8, 0.9, 1.6, 2.2, 2.0, 1.3, 0.8, 0.8, 0.8, 0.8),
    "dark": (1.5, 1.3, 1.0, 0.7, 0.5, 0.4, 0.4, 0.6, 0.9, 1.3, 1.6, 1.7),
    "flu": (1.6, 1.5, 1.2, 1.0, 0.8, 0.7, 0.7, 0.8, 1.0, 1.2, 1.3, 1.5),
    "school": (1.1, 1.1, 1.0, 1.0, 0.9, 0.5, 0.4, 1.1, 1.6, 1.1, 1.0, 1.0),
}
# Overall volume by month (people write more in winter).
MONTH_VOLUME = (1.10, 1.06, 1.00, 1.03, 1.00, 0.95, 0.90, 0.92, 1.00, 1.05, 1.10, 1.15)
WEEKDAY_VOLUME = (1.18, 1.10, 1.06, 1.02, 0.95, 0.58, 0.50)  # Monday first
DAY_OFF_VOLUME = 0.52
HOUR_VOLUME = (0.3, 0.2, 0.12, 0.1, 0.1, 0.2, 0.5, 1.2, 2.5, 3.5, 3.8, 3.6,
               3.2, 3.3, 3.4, 3.3, 3.0, 2.8, 2.5, 2.4, 2.3, 2.0, 1.4, 0.8)

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

_SURNAMES = ("Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков",
             "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов",
             "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев")
_FIRST = ("Александр", "Сергей", "Дмитрий", "Андрей", "Алексей", "Иван", "Михаил", "Николай", "Елена", "Ольга",
          "Наталья", "Татьяна", "Ирина", "Анна", "Светлана", "Мария", "Юлия", "Екатерина")
_PATRONYMIC = ("Александров", "Сергеев", "Дмитриев", "Андреев", "Иванов", "Михайлов", "Николаев", "Петров",
               "Викторов", "Владимиров")
_STREETS = ("ул. Ленина", "ул. Мира", "ул. Советская", "ул. Садовая", "ул. Школьная", "ул. Гагарина",
            "ул. Молодёжная", "ул. Лесная", "ул. Заречная", "пр. Победы", "ул. Кирова", "ул. Пушкина",
            "ул. Набережная", "ул. Первомайская", "ул. Строителей", "ул. Полевая", "ул. Новая", "ул. Мичурина",
            "ул. Комсомольская", "ул. Чехова", "ул. Горького", "пер. Почтовый", "ул. Юбилейная", "ул. Северная")
_TAILS = ("Прошу принять меры.", "Обращаюсь уже не первый раз.", "Просим разобраться и сообщить о сроках.",
          "Фото прилагаю.", "Жители дома очень недовольны.", "Прошу проверить и устранить.",
          "Ситуация повторяется каждую неделю.", "Дети и пожилые люди не могут пройти.", "")
_ANSWERS = ("Ваше сообщение рассмотрено. Работы выполнены, проблема устранена.",
            "Ваше сообщение рассмотрено. Работы включены в план и будут выполнены до {date}.",
            "Ваше сообщение рассмотрено. Проведена проверка, управляющей организации выдано предписание.",
            "Ваше сообщение рассмотрено. Даны разъяснения: вопрос будет решён в рамках программы на следующий год.",
            "Ваше сообщение рассмотрено. Специалисты выехали на место, неисправность устранена {date}.")
_LOW_RATING_COMMENTS = ("Проблема не решена.", "Ответ формальный, ничего не сделано.",
                        "Работы не проводились, всё по-прежнему.", "Сроки не указаны.")
_REDIRECT_REASONS = ("Вопрос не относится к компетенции организации.",
                     "Объект находится на обслуживании другой организации.",
                     "Вопрос относится к ведению органа местного самоуправления.")
_POSTPONE_REASONS = ("Работы возможны только в тёплое время года.", "Требуется выделение финансирования.",
                     "Работы включены в план на следующий квартал.", "Необходимо провести конкурсные процедуры.")


def _fio(rng: random.Random) -> str:
    surname = rng.choice(_SURNAMES)
    first = rng.choice(_FIRST)
    female = first.endswith("а") or first.endswith("я")
    patronymic = rng.choice(_PATRONYMIC) + ("на" if female else "ич")
    if female:
        surname += "а"
    return f"{surname} {first} {patronymic}"


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
                surname, first, patronymic = _fio(rng).split()
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


# --- the registry, read once ---------------------------------------------------------------------------


@dataclass
class _Org:
    id: int
    coordinators: list[int]
    executors: list[int]
    heads: list[int]


@dataclass
class _Registry:
    categories: list[Category]
    month_cum: list[list[float]]  # cumulative category weights for each month
    territories: list[Territory | None]
    territory_cum: list[float]
    orgs: dict[int, _Org]
    workable: list[int]
    route: dict[tuple[int, int | None], int]
    moderators: list[int]
    phrases: dict[int, str]
    departments: list[str]


def _season_of(category: Category) -> tuple[str, float, str]:
    """Season, weight and phrase of a category: exact for the synthetic list, guessed from the name otherwise."""
    for _group, code, name, _days, season, weight, _body, _local in _CATEGORIES:
        if category.code == f"load-{code}":
            return season, weight, name
    name = category.name.lower()
    rules = (("отоплен", "heating"), ("тепл", "heating"), ("снег", "snow"), ("налед", "snow"),
             ("гололед", "snow"), ("гололёд", "snow"), ("ям", "roads"), ("дорог", "roads"),
             ("трав", "summer"), ("озелен", "summer"), ("борщевик", "summer"), ("благоустр", "summer"),
             ("горяч", "hot_water"), ("освещ", "dark"), ("фонар", "dark"), ("врач", "flu"), ("школ", "school"))
    for needle, season in rules:
        if needle in name:
            return season, 1.0, category.name
    return "flat", 1.0, category.name


def load_registry(rng: random.Random) -> _Registry:
    categories = list(Category.objects.filter(is_active=True, children__isnull=True).order_by("pk"))
    if not categories:
        raise LoadError("No active category: run without a registry to create the synthetic one.")
    weights = []
    phrases = {}
    for index, category in enumerate(categories):
        season, weight, phrase = _season_of(category)
        if not category.code.startswith("load-"):
            weight = 1.0 / (1 + index % 7) ** 0.7  # some categories are far more common than others
        weights.append((season, weight))
        phrases[category.pk] = phrase
    month_cum = [list(itertools.accumulate(w * SEASONS[s][m] for s, w in weights)) for m in range(12)]

    territories: list[Territory | None] = list(
        Territory.objects.exclude(kind=Territory.Kind.REGION).order_by("pk")) or [None]
    shares = {name: share for name, _k, _la, _lo, share, _a, _i in _TERRITORIES}
    territory_cum = list(itertools.accumulate(
        shares.get(t.name, 1.0 / (1 + i) ** 0.5) if t else 1.0 for i, t in enumerate(territories)))

    staff: dict[int, dict[str, list[int]]] = {}
    for user_id, org_id, role in (Membership.objects.filter(user__is_active=True, organization__is_active=True)
                                  .order_by("organization_id", "role", "user_id")
                                  .values_list("user_id", "organization_id", "role")):
        staff.setdefault(org_id, {}).setdefault(role, []).append(user_id)
    orgs = {
        org_id: _Org(org_id, roles.get(Role.COORDINATOR, []), roles.get(Role.EXECUTOR, []), roles.get(Role.HEAD, []))
        for org_id, roles in staff.items()
    }
    workable = sorted(o.id for o in orgs.values() if o.coordinators and o.executors and o.heads)
    if not workable:
        raise LoadError("No organisation has a coordinator, an executor and a head.")
    moderators = sorted({uid for roles in staff.values() for uid in roles.get(Role.MODERATOR, [])})
    route = _routes(categories, territories, set(workable), rng)
    departments = ["Прокуратура области", "Управление МВД по области", "Управление Роспотребнадзора по области",
                   "Государственная инспекция труда", "Отделение Социального фонда России"]
    return _Registry(categories, month_cum, territories, territory_cum, orgs, workable, route, moderators,
                     phrases, departments)


def _routes(categories: list[Category], territories: list[Territory | None], workable: set[int],
            rng: random.Random) -> dict[tuple[int, int | None], int]:
    """``selectors.route_organization`` for every (category, territory), from three queries instead of thousands.

    The same walk: the territory and its parents, then no territory; then the same for the parent
    category. Where no workable organisation handles a pair, the moderator picks one at random.
    """
    territory_parent = dict(Territory.objects.values_list("pk", "parent_id"))
    category_parent = dict(Category.objects.values_list("pk", "parent_id"))
    active = set(Organization.objects.filter(is_active=True).values_list("pk", flat=True))
    rules: dict[int, dict[int | None, int]] = {}
    for category_id, territory_id, org_id in RoutingRule.objects.values_list("category_id", "territory_id",
                                                                               "organization_id"):
        rules.setdefault(category_id, {})[territory_id] = org_id
    result: dict[tuple[int, int | None], int] = {}
    for category in categories:
        for territory in territories:
            chain: list[int | None] = []
            node = territory.pk if territory else None
            while node is not None and node not in chain:
                chain.append(node)
                node = territory_parent.get(node)
            chain.append(None)
            found = None
            cat: int | None = category.pk
            seen: set[int] = set()
            while cat is not None and found is None and cat not in seen:
                seen.add(cat)
                by_territory = rules.get(cat, {})
                for candidate in chain:
                    rule_org = by_territory.get(candidate)
                    if rule_org is not None and rule_org in active:
                        found = rule_org
                        break
                cat = category_parent.get(cat)
            key = (category.pk, territory.pk if territory else None)
            result[key] = found if found in workable else rng.choice(sorted(workable))
    return result


# --- behaviour of each regime -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Profile:
    """Mean delays of each step (hours) and how often each branch of the story is taken."""

    register_h: float
    moderate_h: float
    coordinate_h: float
    draft_h: float
    intermediate_h: float
    approve_h: float
    publish_h: float
    rework_h: float
    late_h: float
    reject: float
    reclassify: float
    redirect: float
    return_to_moderation: float
    transfer: float
    intermediate: float
    postpone: float
    extend: float
    leave: float
    rework: float
    rate: float
    late: float
    stuck: float


PROFILES: dict[str, _Profile] = {
    Regime.POS: _Profile(register_h=0, moderate_h=3, coordinate_h=5, draft_h=30, intermediate_h=24, approve_h=5,
                         publish_h=2, rework_h=16, late_h=80, reject=0.05, reclassify=0.03, redirect=0.05,
                         return_to_moderation=0.02, transfer=0, intermediate=0.10, postpone=0.07, extend=0,
                         leave=0, rework=0.10, rate=0.55, late=0.11, stuck=0.025),
    Regime.FZ59: _Profile(register_h=20, moderate_h=6, coordinate_h=8, draft_h=48, intermediate_h=48, approve_h=8,
                          publish_h=4, rework_h=24, late_h=100, reject=0, reclassify=0.02, redirect=0.06,
                          return_to_moderation=0.02, transfer=0.04, intermediate=0.05, postpone=0, extend=0.06,
                          leave=0.02, rework=0.12, rate=0, late=0.05, stuck=0.015),
    Regime.SOCIAL: _Profile(register_h=0, moderate_h=0.4, coordinate_h=0.5, draft_h=1, intermediate_h=1.5,
                            approve_h=0.5, publish_h=0.3, rework_h=1, late_h=6, reject=0.08, reclassify=0.02,
                            redirect=0.04, return_to_moderation=0.02, transfer=0, intermediate=0.30, postpone=0.03,
                            extend=0, leave=0, rework=0.06, rate=0.25, late=0.18, stuck=0.02),
}
REGIME_SHARES = ((Regime.POS, 0.78), (Regime.SOCIAL, 0.12), (Regime.FZ59, 0.10))
CHANNELS: dict[str, tuple[tuple[str, float], ...]] = {
    Regime.POS: ((Channel.PORTAL, 0.62), (Channel.WIDGET, 0.2), (Channel.API, 0.1), (Channel.OPEN311, 0.08)),
    Regime.FZ59: ((Channel.PORTAL, 0.55), (Channel.PAPER, 0.2), (Channel.EMAIL, 0.15), (Channel.RECEPTION, 0.1)),
    Regime.SOCIAL: ((Channel.SOCIAL, 1.0),),
}
RATINGS = ((5, 45), (4, 20), (3, 12), (2, 10), (1, 13))


def _cum(pairs: tuple[tuple[Any, float], ...]) -> tuple[list[Any], list[float]]:
    return [p[0] for p in pairs], list(itertools.accumulate(p[1] for p in pairs))


# --- the result -----------------------------------------------------------------------------------------


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


# --- one appeal's story ---------------------------------------------------------------------------------

APPEAL_FIELDS = [f for f in Appeal._meta.concrete_fields if not f.primary_key]
APPEAL_ATTNAMES = ["id", *(f.attname for f in APPEAL_FIELDS)]
EVENT_COLUMNS = ("appeal_id", "at", "action", "actor_id", "role", "acting_for_id", "organization_id",
                 "from_state", "to_state", "reason", "payload", "prev_hash", "hash")
BREACH_COLUMNS = ("appeal_id", "stage", "due_at", "detected_at", "organization_id", "executor_id",
                  "coordinator_id", "state", "internal")

EventRow = tuple[int, dt.datetime, str, int | None, str, None, int | None, str, str, str, dict[str, Any], str, str]
BreachRow = tuple[int, str, dt.datetime, dt.datetime, int | None, int | None, int | None, str, bool]


class _Draft:
    """An appeal being written: the attributes of ``Appeal`` (and ``category``), nothing else.

    ``deadlines.py`` reads and sets attributes only, so it works on a draft exactly as on a model
    instance, and a draft costs a fraction of one.
    """

    # Every concrete field of Appeal is set from its default first (``_defaults``); these are the ones
    # the story touches.
    id: int
    number: str
    regime: str
    channel: str
    state: str
    applicant_id: int | None
    applicant_name: str
    applicant_email: str
    applicant_phone: str
    applicant_address: str
    social_author: str
    social_url: str
    access_token: str
    text: str
    address: str
    latitude: float | None
    longitude: float | None
    territory_id: int | None
    category_id: int
    organization_id: int | None
    coordinator_id: int | None
    executor_id: int | None
    significant: bool
    high_importance: bool
    duplicate_of_id: int | None
    draft_answer: str
    answer_text: str
    intermediate_text: str
    rating: int | None
    rating_comment: str
    reconsideration_count: int
    redirect_count: int
    extension_days: int
    received_at: dt.datetime
    registered_at: dt.datetime | None
    state_changed_at: dt.datetime
    answered_at: dt.datetime | None
    closed_at: dt.datetime | None
    term_started_at: dt.datetime | None
    due_at: dt.datetime | None
    warn_at: dt.datetime | None
    stage: str
    stage_due_at: dt.datetime | None
    redirect_due_at: dt.datetime | None
    postponed_at: dt.datetime | None
    postponed_until: dt.date | None
    executor_alarm_at: dt.datetime | None
    warned_at: dt.datetime | None
    overdue_marked_at: dt.datetime | None
    stage_overdue_marked_at: dt.datetime | None
    executor_alarm_marked_at: dt.datetime | None
    consideration_started_at: dt.datetime | None
    last_event_hash: str
    resolution_on: dt.date | None
    resolution_due_at: dt.datetime | None
    resolved_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    # Not fields: the category object (deadlines.answer_days reads it) and the breaches written so far.
    category: Category
    breached: set[tuple[str, dt.datetime]]


def _defaults() -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in APPEAL_FIELDS:
        values[f.attname] = None if f.name in {"access_token", "created_at", "updated_at"} else f.get_default()
    return values


class Generator:
    """Simulates appeals one after another and hands their rows to a sink in batches."""

    def __init__(self, *, seed: int, now: dt.datetime, months: int, registry: _Registry, rng: random.Random,
                 region: RegionSettings, cal: WorkingCalendar) -> None:
        self.rng = rng
        self.seed = seed
        self.now = now
        self.months = months
        self.reg = registry
        self.region = region
        self.cal = CachedCalendar.of(cal)
        self.tz = self.cal.tz
        self.defaults = _defaults()
        self.events: list[EventRow] = []
        self.breaches: list[BreachRow] = []
        self.last_by_place: dict[tuple[int, int | None], int] = {}
        self.regimes, self.regime_cum = _cum(REGIME_SHARES)
        self.channels = {regime: _cum(pairs) for regime, pairs in CHANNELS.items()}
        self.ratings, self.rating_cum = _cum(tuple((r, float(w)) for r, w in RATINGS))
        self.hour_cum = list(itertools.accumulate(HOUR_VOLUME))
        with translation.override(settings.LANGUAGE_CODE):
            self.reject_reasons = {key: str(label) for key, label in REJECT_REASONS.items()}
            self.rework_reasons = {key: str(label) for key, label in rework_reasons(region).items()}
            self.grounds = {key: str(label) for key, label in FZ59_NO_ANSWER_GROUNDS.items()}
        self.work_start = self.cal.workday_start
        self.work_end = self.cal.workday_end
        work_hours = (dt.datetime.combine(dt.date.min, self.work_end)
                      - dt.datetime.combine(dt.date.min, self.work_start)).total_seconds() / 3600
        # Work left over from the evening is picked up in the first hours of the next working day.
        self.opening_spread = min(3.0, work_hours)

    # --- when appeals arrive

    def arrivals(self, count: int) -> list[float]:
        """``count`` receipt moments (POSIX seconds, sorted) over the last ``months`` months."""
        rng = self.rng
        end_local = self.now.astimezone(self.tz)
        first = (end_local - dt.timedelta(days=round(self.months * 30.44))).date()
        days: list[dt.date] = []
        weights: list[float] = []
        day = first
        while day <= end_local.date():
            if self.cal.is_working_day(day):
                weight = WEEKDAY_VOLUME[day.weekday()]
            else:
                weight = min(DAY_OFF_VOLUME, WEEKDAY_VOLUME[day.weekday()])
            days.append(day)
            weights.append(weight * MONTH_VOLUME[day.month - 1])
            day += dt.timedelta(days=1)
        cum = list(itertools.accumulate(weights))
        midnights = [dt.datetime.combine(d, dt.time(0, 0), tzinfo=self.tz).timestamp() for d in days]
        hour_cum, hour_total, total = self.hour_cum, self.hour_cum[-1], cum[-1]
        limit = self.now.timestamp()
        moments: list[float] = []
        while len(moments) < count:
            index = bisect.bisect(cum, rng.random() * total)
            hour = bisect.bisect(hour_cum, rng.random() * hour_total)
            moment = midnights[index] + hour * 3600 + rng.random() * 3600
            if moment <= limit:
                moments.append(float(int(moment)))
        moments.sort()
        return moments

    # --- time helpers

    def _staff(self, after: dt.datetime, mean_hours: float) -> dt.datetime:
        """When staff act next: a random delay, then moved into the working hours of a working day."""
        random_ = self.rng.random
        # random.expovariate(1 / mean_hours), inlined: this runs a few million times.
        delay = -math.log(1.0 - random_()) * mean_hours if mean_hours > 0 else 0.0
        if random_() < 0.03:
            delay *= 8  # some things lie on a desk for long
        moment = after + dt.timedelta(hours=delay)
        local = moment.astimezone(self.tz)
        day = local.date()
        clock = local.time()
        working = self.cal.is_working_day
        if working(day) and self.work_start <= clock < self.work_end:
            return moment
        if not (working(day) and clock < self.work_start):
            day += ONE_DAY
            while not working(day):
                day += ONE_DAY
        opens = dt.datetime.combine(day, self.work_start, tzinfo=self.tz)
        return opens + dt.timedelta(hours=random_() * self.opening_spread)

    def _check(self, at: dt.datetime) -> None:
        if at > self.now:
            raise _Stop

    def _moderator(self) -> tuple[int | None, str]:
        mods = self.reg.moderators
        return (self.rng.choice(mods) if mods else None), Role.MODERATOR

    # --- the transition machinery (mirrors services._perform)

    def _sweep(self, d: _Draft, at: dt.datetime) -> None:
        """What the minute-by-minute sweeper would have done to ``d`` before ``at``."""
        state = d.state
        if state in OPEN_STATES:
            if d.warn_at is not None and d.warned_at is None and d.warn_at + SWEEP_LAG <= at:
                d.warned_at = d.warn_at + SWEEP_LAG
            if d.due_at is not None and d.overdue_marked_at is None and d.due_at + SWEEP_LAG <= at:
                d.overdue_marked_at = d.due_at + SWEEP_LAG
                self._breach(d, Stage.ANSWER, d.due_at)
            stage_due = d.stage_due_at
            if (stage_due is not None and d.stage_overdue_marked_at is None and stage_due + SWEEP_LAG <= at
                    and (d.due_at is None or stage_due < d.due_at)):
                d.stage_overdue_marked_at = stage_due + SWEEP_LAG
                self._breach(d, d.stage or Stage.EXECUTION, stage_due,
                             internal=not self.region.stage_breaches_in_register)
        if (state == State.POSTPONED and d.executor_alarm_at is not None and d.executor_alarm_marked_at is None
                and d.executor_alarm_at + SWEEP_LAG <= at):
            d.executor_alarm_marked_at = d.executor_alarm_at + SWEEP_LAG

    def _breach(self, d: _Draft, stage: str, due: dt.datetime, *, internal: bool = False) -> None:
        key = (stage, due)
        if key in d.breached:
            return
        d.breached.add(key)
        self.breaches.append((d.id, stage, due, due + SWEEP_LAG, d.organization_id, d.executor_id, d.coordinator_id,
                              d.state, internal))

    def _begin(self, d: _Draft, action: Action, at: dt.datetime, role: str) -> Transition:
        if at > self.now:
            raise _Stop
        row = TABLE.get((cast(State, d.state), action))
        if row is None or d.regime not in row.regimes or role not in row.roles:
            raise LoadError(f"{action} by {role} is not allowed from {d.state} ({d.regime})")
        self._sweep(d, at)
        return row

    def _end(self, d: _Draft, row: Transition, at: dt.datetime, actor: int | None, role: str,
             payload: dict[str, Any] | None = None, reason: str = "") -> None:
        from_state = d.state
        d.state = row.target
        if row.target != from_state or row.action in (Action.ROUTE, Action.REDIRECT):
            d.state_changed_at = at
            deadlines.set_stage(cast(Appeal, d), now=at, region=self.region, cal=self.cal)
        self._event(d, at, row.action.value, actor, role, d.organization_id, from_state, d.state, reason,
                    payload or {})
        d.updated_at = at

    def _event(self, d: _Draft, at: dt.datetime, action: str, actor: int | None, role: str,
               organization_id: int | None, from_state: str, to_state: str, reason: str,
               payload: dict[str, Any]) -> None:
        """One event of the story, linked to the appeal's hash chain exactly as the services link it."""
        previous = d.last_event_hash
        digest = chain.event_hash(previous, appeal_id=d.id, at=at, action=action, actor_id=actor, role=role,
                                  acting_for_id=None, organization_id=organization_id, from_state=from_state,
                                  to_state=to_state, reason=reason, payload=payload)
        self.events.append((d.id, at, action, actor, role, None, organization_id, from_state, to_state, reason,
                            payload, previous, digest))
        d.last_event_hash = digest

    def _org(self, d: _Draft) -> _Org:
        assert d.organization_id is not None, "only an appeal held by an organisation has staff"
        return self.reg.orgs[d.organization_id]

    def _set_org(self, d: _Draft, org_id: int, payload: dict[str, Any]) -> None:
        d.organization_id = org_id
        d.coordinator_id = None
        d.executor_id = None
        payload["organization_id"] = org_id

    def _other_org(self, current: int | None) -> int:
        workable = self.reg.workable
        if len(workable) == 1:
            return workable[0]
        while True:
            candidate = self.rng.choice(workable)
            if candidate != current:
                return candidate

    # --- the appeal

    def new_appeal(self, appeal_id: int, number: str, received: dt.datetime) -> _Draft:
        rng = self.rng
        d = _Draft()
        d.__dict__.update(self.defaults)
        d.id = appeal_id
        d.number = number
        d.breached = set()
        regime = self.regimes[bisect.bisect(self.regime_cum, rng.random() * self.regime_cum[-1])]
        channels, channel_cum = self.channels[regime]
        d.regime = regime
        d.channel = channels[bisect.bisect(channel_cum, rng.random() * channel_cum[-1])]
        month_cum = self.reg.month_cum[received.astimezone(self.tz).month - 1]
        category = self.reg.categories[bisect.bisect(month_cum, rng.random() * month_cum[-1])]
        territory = self.reg.territories[
            bisect.bisect(self.reg.territory_cum, rng.random() * self.reg.territory_cum[-1])]
        d.category = category
        d.category_id = category.pk
        d.territory_id = territory.pk if territory else None
        street = rng.choice(_STREETS)
        house = rng.randint(1, 120)
        d.address = f"{street}, д. {house}"
        if territory is not None and territory.centre_lat is not None and territory.centre_lon is not None:
            d.latitude = round(territory.centre_lat + rng.gauss(0, 0.03), 6)
            d.longitude = round(territory.centre_lon + rng.gauss(0, 0.05), 6)
        tail = rng.choice(_TAILS)
        d.text = f"{self.reg.phrases[category.pk]}: {d.address}. {tail}".strip()
        d.access_token = f"{rng.getrandbits(128):032x}"
        if regime == Regime.SOCIAL:
            d.social_author = f"id{rng.randint(10_000, 900_000_000)}"
            d.social_url = f"https://vk.com/wall-{rng.randint(1000, 99999)}_{rng.randint(1, 999999)}"
            d.high_importance = rng.random() < 0.15
            d.significant = rng.random() < 0.02
        else:
            d.applicant_name = _fio(rng)
            if regime == Regime.FZ59:
                if rng.random() < 0.7:
                    d.applicant_email = f"citizen{appeal_id}@example.org"
                else:
                    d.applicant_address = f"{rng.choice(_STREETS)}, д. {rng.randint(1, 120)}, кв. {rng.randint(1, 200)}"
            else:
                if rng.random() < 0.7:
                    d.applicant_email = f"citizen{appeal_id}@example.org"
                d.significant = rng.random() < 0.01
            if rng.random() < 0.4:
                d.applicant_phone = f"+7 9{rng.randint(0, 99):02d} {rng.randint(100, 999)}-{rng.randint(10, 99)}-" \
                                    f"{rng.randint(10, 99)}"
        d.received_at = received
        d.state_changed_at = received
        d.created_at = received
        d.updated_at = received
        return d

    def simulate(self, d: _Draft) -> None:
        """Play the appeal's story up to the cutoff; its rows go to ``events`` and ``breaches``."""
        with contextlib.suppress(_Stop):
            self._story(d)
        place = (d.category_id, d.territory_id)
        self.last_by_place[place] = d.id

    def _story(self, d: _Draft) -> None:
        rng, cal, region = self.rng, self.cal, self.region
        p = PROFILES[d.regime]
        fz59 = d.regime == Regime.FZ59
        t = d.received_at
        # submit (appeal_submit): a platform message is registered at once, a 59-FZ appeal within days
        deadlines.set_stage(cast(Appeal, d), now=t, region=region, cal=cal)
        self._event(d, t, Action.SUBMIT.value, None, APPLICANT, None, "", State.RECEIVED.value, "",
                    {"channel": d.channel, "regime": d.regime})
        actor: int | None
        if fz59:
            t = self._staff(t, p.register_h)
            actor, role = self._moderator()
        else:
            actor, role = None, SYSTEM
        row = self._begin(d, Action.REGISTER, t, role)
        d.registered_at = t
        d.consideration_started_at = t
        due = deadlines.initial_answer_due(cast(Appeal, d), t, region, cal)
        deadlines.set_answer_term(cast(Appeal, d), start=t, due=due, region=region, cal=cal)
        if fz59:
            d.redirect_due_at = deadlines.redirect_due(t, region, cal)
        self._end(d, row, t, actor, role, {"due_at": due.isoformat()})

        # moderation
        t = self._staff(t, p.moderate_h)
        if rng.random() < p.reject:
            self._reject(d, t)
            return
        if rng.random() < p.reclassify:
            self._reclassify(d, t)
            t = self._staff(t, 0.5)
        actor, role = self._moderator() if rng.random() < 0.8 else (None, SYSTEM)
        row = self._begin(d, Action.ACCEPT, t, role)
        payload: dict[str, Any] = {}
        self._set_org(d, self.reg.route[(d.category_id, d.territory_id)], payload)
        self._end(d, row, t, actor, role, payload)

        stuck = rng.random() < p.stuck
        stuck_at = rng.choice(("coordination", "execution", "execution", "approval")) if stuck else ""
        # coordination, possibly through several organisations
        hops = 0
        while True:
            t = self._staff(t, p.coordinate_h)
            if stuck_at == "coordination":
                raise _Stop
            roll = rng.random()
            in_term = not fz59 or (d.redirect_due_at is not None and t <= d.redirect_due_at)
            if hops < 2 and in_term and roll < p.redirect:
                self._redirect(d, t)
                hops += 1
                continue
            if hops < 2 and in_term and roll < p.redirect + p.return_to_moderation:
                t = self._return_and_route(d, t, p)
                hops += 1
                continue
            if fz59 and in_term and roll < p.redirect + p.return_to_moderation + p.transfer:
                self._transfer(d, t)
                return
            break
        org = self._org(d)
        self._assign(d, t, rng.choice(org.executors), rng.choice(org.coordinators))

        reconsidered = 0
        while True:
            outcome = "stuck" if stuck_at else ("late" if rng.random() < p.late else "on_time")
            published = self._execute(d, t, p, outcome, stuck_at)
            if published is None:
                return
            t = published
            if fz59:
                # 59-FZ: the answer ends the consideration; there is no rating.
                row = self._begin(d, Action.CLOSE, t, SYSTEM)
                d.closed_at = t
                self._end(d, row, t, None, SYSTEM)
                return
            if rng.random() < p.rate:
                t = t + dt.timedelta(hours=rng.expovariate(1 / 30))
                rating = self.ratings[bisect.bisect(self.rating_cum, rng.random() * self.rating_cum[-1])]
                if reconsidered:
                    rating = max(rating, 3)
                comment = rng.choice(_LOW_RATING_COMMENTS) if rating < 3 else ""
                row = self._begin(d, Action.RATE, t, APPLICANT)
                d.rating = rating
                d.rating_comment = comment
                self._end(d, row, t, d.applicant_id, APPLICANT, {"rating": rating, "comment": comment})
                if rating < 3:
                    self._reconsider(d, t, comment)
                    reconsidered += 1
                    stuck_at = ""
                    continue
            else:
                t = t + dt.timedelta(days=14)  # nobody rated it: closed when the rating window ends
            row = self._begin(d, Action.CLOSE, t, SYSTEM)
            d.closed_at = t
            self._end(d, row, t, None, SYSTEM)
            return

    # --- moderation and coordination steps

    def _reject(self, d: _Draft, t: dt.datetime) -> None:
        rng = self.rng
        actor, role = self._moderator()
        if d.regime == Regime.FZ59:
            # 59-FZ Art. 11: not rejected, left without an answer on a ground of the law.
            row = self._begin(d, Action.LEAVE_WITHOUT_ANSWER, t, role)
            ground = rng.choice(("unreadable", "substance_unclear", "abusive"))
            d.closed_at = t
            self._end(d, row, t, actor, role, {"ground": ground, "comment": ""}, self.grounds[ground])
            return
        row = self._begin(d, Action.REJECT, t, role)
        previous = self.last_by_place.get((d.category_id, d.territory_id))
        if previous is not None and rng.random() < 0.4:
            reason = "duplicate"
            d.duplicate_of_id = previous
        else:
            reason = rng.choice(("spam", "spam", "obscene", "not_a_problem", "not_a_problem", "insufficient_data"))
        d.closed_at = t
        self._end(d, row, t, actor, role, {"reason": reason, "comment": ""}, self.reject_reasons[reason])

    def _reclassify(self, d: _Draft, t: dt.datetime) -> None:
        actor, role = self._moderator()
        row = self._begin(d, Action.RECLASSIFY, t, role)
        category = self.rng.choice(self.reg.categories)
        payload = {"from_category_id": d.category_id, "category_id": category.pk}
        d.category = category
        d.category_id = category.pk
        if d.registered_at is not None and d.regime == Regime.POS:
            due = deadlines.initial_answer_due(cast(Appeal, d), d.registered_at, self.region, self.cal)
            deadlines.set_answer_term(cast(Appeal, d), start=d.registered_at, due=due, region=self.region,
                                      cal=self.cal)
        self._end(d, row, t, actor, role, payload)

    def _redirect(self, d: _Draft, t: dt.datetime) -> None:
        rng = self.rng
        org = self._org(d)
        actor = rng.choice(org.coordinators)
        row = self._begin(d, Action.REDIRECT, t, Role.COORDINATOR)
        payload: dict[str, Any] = {"from_organization_id": d.organization_id}
        d.redirect_count += 1
        d.postponed_until = None
        deadlines.clear_executor_alarm(cast(Appeal, d))
        self._set_org(d, self._other_org(d.organization_id), payload)
        self._end(d, row, t, actor, Role.COORDINATOR, payload, rng.choice(_REDIRECT_REASONS))

    def _return_and_route(self, d: _Draft, t: dt.datetime, p: _Profile) -> dt.datetime:
        rng = self.rng
        org = self._org(d)
        actor: int | None = rng.choice(org.coordinators)
        row = self._begin(d, Action.RETURN_TO_MODERATION, t, Role.COORDINATOR)
        payload: dict[str, Any] = {"from_organization_id": d.organization_id}
        previous = d.organization_id
        d.redirect_count += 1
        d.organization_id = None
        d.coordinator_id = None
        d.executor_id = None
        d.postponed_until = None
        deadlines.clear_executor_alarm(cast(Appeal, d))
        self._end(d, row, t, actor, Role.COORDINATOR, payload, rng.choice(_REDIRECT_REASONS))
        t = self._staff(t, p.moderate_h)
        actor, role = self._moderator()
        row = self._begin(d, Action.ROUTE, t, role)
        payload = {}
        self._set_org(d, self._other_org(previous), payload)
        self._end(d, row, t, actor, role, payload)
        return t

    def _transfer(self, d: _Draft, t: dt.datetime) -> None:
        rng = self.rng
        actor = rng.choice(self._org(d).coordinators)
        row = self._begin(d, Action.TRANSFER, t, Role.COORDINATOR)
        d.closed_at = t
        department = rng.choice(self.reg.departments)
        self._end(d, row, t, actor, Role.COORDINATOR, {"department": department, "department_sstu_id": ""},
                  "Вопрос относится к компетенции федерального органа.")

    def _assign(self, d: _Draft, t: dt.datetime, executor: int, coordinator: int) -> None:
        row = self._begin(d, Action.ASSIGN, t, Role.COORDINATOR)
        payload = {"from_executor_id": d.executor_id, "executor_id": executor}
        d.executor_id = executor
        d.coordinator_id = coordinator
        deadlines.clear_executor_alarm(cast(Appeal, d))
        self._end(d, row, t, coordinator, Role.COORDINATOR, payload)

    # --- execution, approval and the answer

    def _answer_text(self, t: dt.datetime) -> str:
        when = (t.astimezone(self.tz).date() + dt.timedelta(days=self.rng.randint(3, 40))).strftime("%d.%m.%Y")
        return self.rng.choice(_ANSWERS).format(date=when)

    def _draft(self, d: _Draft, t: dt.datetime) -> None:
        row = self._begin(d, Action.DRAFT, t, Role.EXECUTOR)
        d.draft_answer = self._answer_text(t)
        self._end(d, row, t, d.executor_id, Role.EXECUTOR, {"length": len(d.draft_answer)})

    def _execute(self, d: _Draft, t: dt.datetime, p: _Profile, outcome: str, stuck_at: str) -> dt.datetime | None:
        """From execution to a published answer; the publication moment, or None when the appeal ended otherwise."""
        rng, cal, region = self.rng, self.cal, self.region
        org = self._org(d)
        if stuck_at == "execution":
            raise _Stop
        if rng.random() < 0.5:
            t = self._staff(t, p.draft_h)
            self._draft(d, t)
        if not d.significant and rng.random() < 0.02:
            row = self._begin(d, Action.MARK_SIGNIFICANT, t, Role.COORDINATOR)
            d.significant = True
            self._end(d, row, t, rng.choice(org.coordinators), Role.COORDINATOR, {},
                      "Проблема касается многих жителей.")
            if rng.random() < 0.3:
                t = self._staff(t, 2)
                row = self._begin(d, Action.CLEAR_SIGNIFICANT, t, Role.COORDINATOR)
                d.significant = False
                self._end(d, row, t, rng.choice(org.coordinators), Role.COORDINATOR, {}, "Проблема локальная.")
        if int(d.received_at.timestamp() * 1e6) % 97 < 3:  # ~3 %, not drawn: the random stream stays as it was
            # The applicant adds a detail to their own open message (FixMyStreet's "update").
            row = self._begin(d, Action.COMMENT, t, APPLICANT)
            note = "Добавляю: проблема стала серьёзнее."
            self._end(d, row, t, d.applicant_id, APPLICANT, {"text": note, "attachments": []}, note)
        if rng.random() < p.intermediate:
            t = self._staff(t, p.intermediate_h)
            by_executor = rng.random() < 0.8
            role = Role.EXECUTOR if by_executor else Role.COORDINATOR
            actor = d.executor_id if by_executor else rng.choice(org.coordinators)
            row = self._begin(d, Action.INTERMEDIATE, t, role)
            d.intermediate_text = "Ваше сообщение принято в работу, специалисты выедут на место."
            payload: dict[str, Any] = {}
            if d.regime == Regime.SOCIAL:
                payload["planned_date"] = None
                due = cal.add_working_days(t, region.social_final_working_days)
                deadlines.set_answer_term(cast(Appeal, d), start=t, due=due, region=region, cal=cal)
                deadlines.set_stage(cast(Appeal, d), now=t, region=region, cal=cal)
                payload["due_at"] = due.isoformat()
            else:
                planned = t.astimezone(self.tz).date() + dt.timedelta(days=rng.randint(5, 40))
                payload["planned_date"] = planned.isoformat()
            self._end(d, row, t, actor, role, payload)
        if d.regime != Regime.FZ59 and d.due_at is not None and rng.random() < p.postpone:
            t = self._staff(max(t, t + (d.due_at - t) * rng.uniform(0.3, 0.8)), 0)
            until = max(cal.local_date(d.due_at), cal.local_date(t)) + dt.timedelta(days=rng.randint(7, 45))
            reason = rng.choice(_POSTPONE_REASONS)
            coordinator = rng.choice(org.coordinators)
            if rng.random() < 0.1:
                # A proposal the coordinator declines: the term stays.
                row = self._begin(d, Action.PROPOSE_POSTPONEMENT, t, Role.EXECUTOR)
                self._end(d, row, t, d.executor_id, Role.EXECUTOR, {"until": until.isoformat()}, reason)
                row = self._begin(d, Action.DECLINE_POSTPONEMENT, t, Role.COORDINATOR)
                self._end(d, row, t, coordinator, Role.COORDINATOR, {"until": until.isoformat(),
                                                                     "proposed_by_id": d.executor_id},
                          "Ответ нужно дать в установленный срок.")
                t = self._staff(t, 1)
            proposed_by = None
            if rng.random() < 0.7:
                # Most postponements are proposed by the executor and confirmed by the coordinator.
                row = self._begin(d, Action.PROPOSE_POSTPONEMENT, t, Role.EXECUTOR)
                self._end(d, row, t, d.executor_id, Role.EXECUTOR, {"until": until.isoformat()}, reason)
                proposed_by = d.executor_id
            row = self._begin(d, Action.POSTPONE, t, Role.COORDINATOR)
            deadlines.set_postponement(cast(Appeal, d), until=until, now=t, region=region, cal=cal)
            alarm = d.executor_alarm_at
            assert alarm is not None
            self._end(d, row, t, coordinator, Role.COORDINATOR, {"until": until.isoformat(), "reason": reason,
                                                                 "proposed_by_id": proposed_by,
                                                                 "executor_alarm_at": alarm.isoformat()}, reason)
            if rng.random() < 0.75:
                # The 75 % rule: the coordinator (re)assigns an executor once the alarm is raised.
                t = self._staff(max(t, alarm), 10)
                others = [e for e in org.executors if e != d.executor_id] or org.executors
                self._assign(d, t, rng.choice(others), rng.choice(org.coordinators))
        if d.regime == Regime.FZ59 and d.due_at is not None and rng.random() < p.extend:
            t = self._staff(max(t, t + (d.due_at - t) * rng.uniform(0.5, 0.9)), 0)
            head = rng.choice(org.heads)
            row = self._begin(d, Action.EXTEND, t, Role.HEAD)
            days = rng.randint(5, region.fz59_max_extension_days - d.extension_days)
            d.extension_days += days
            due = deadlines.extended_due(cast(Appeal, d), region, cal)
            assert d.term_started_at is not None
            deadlines.set_answer_term(cast(Appeal, d), start=d.term_started_at, due=due, region=region, cal=cal)
            deadlines.set_stage(cast(Appeal, d), now=t, region=region, cal=cal)
            self._end(d, row, t, head, Role.HEAD, {"days": days, "due_at": due.isoformat()},
                      "Требуется дополнительная проверка.")
        if d.regime == Regime.FZ59 and rng.random() < p.leave:
            t = self._staff(t, 48)
            head = rng.choice(org.heads)
            row = self._begin(d, Action.LEAVE_WITHOUT_ANSWER, t, Role.HEAD)
            ground = rng.choice(("court_decision", "abusive", "unreadable", "substance_unclear", "repeated"))
            d.closed_at = t
            self._end(d, row, t, head, Role.HEAD, {"ground": ground, "comment": ""}, self.grounds[ground])
            return None

        # When the answer goes out: inside the term, or after it for the late ones.
        term_end = d.due_at
        overhead = dt.timedelta(hours=p.approve_h + p.publish_h)
        if term_end is None:
            target = t + overhead
        elif outcome == "late":
            target = term_end + dt.timedelta(hours=rng.expovariate(1 / p.late_h))
        else:
            target = t + max(term_end - t, dt.timedelta()) * rng.uniform(0.15, 0.9)
        send_at = self._staff(max(t, target - overhead), 0)
        rounds = 0
        while True:
            t = send_at
            row = self._begin(d, Action.SEND_FOR_APPROVAL, t, Role.EXECUTOR)
            if not d.draft_answer:
                d.draft_answer = self._answer_text(t)
            self._end(d, row, t, d.executor_id, Role.EXECUTOR)
            if stuck_at == "approval":
                raise _Stop
            t = self._staff(t, p.approve_h)
            head = rng.choice(org.heads)
            if rounds < 2 and rng.random() < p.rework:
                row = self._begin(d, Action.RETURN_FOR_REWORK, t, Role.HEAD)
                reason = rng.choice(list(self.rework_reasons))
                comment = "Уточните сроки выполнения работ." if reason == "other" else ""
                text = f"{self.rework_reasons[reason]}. {comment}".strip() if comment else self.rework_reasons[reason]
                self._end(d, row, t, head, Role.HEAD, {"reason": reason, "comment": comment}, text)
                rounds += 1
                t = self._staff(t, p.rework_h)
                self._draft(d, t)
                send_at = self._staff(t, p.rework_h / 4)
                continue
            row = self._begin(d, Action.APPROVE, t, Role.HEAD)
            self._end(d, row, t, head, Role.HEAD)
            break
        t = self._staff(t, p.publish_h)
        publisher_role = Role.HEAD if rng.random() < 0.5 else Role.COORDINATOR
        publisher = rng.choice(org.heads if publisher_role == Role.HEAD else org.coordinators)
        row = self._begin(d, Action.PUBLISH, t, publisher_role)
        d.answer_text = d.draft_answer
        d.answered_at = t
        since = d.consideration_started_at or d.received_at
        breached = any(stage == Stage.ANSWER and due >= since for stage, due in d.breached)
        on_time = bool((d.due_at is None or t <= d.due_at) and not breached)
        published: dict[str, Any] = {"on_time": on_time, "due_at": d.due_at.isoformat() if d.due_at else None,
                                     "answer": d.answer_text}
        promise = rng.random() < 0.2 and d.regime != Regime.SOCIAL
        if promise:
            deadlines.set_resolution(cast(Appeal, d), on=cal.local_date(t) + dt.timedelta(days=rng.randint(5, 40)),
                                     cal=cal)
            published["resolution_on"] = d.resolution_on.isoformat() if d.resolution_on else None
        self._end(d, row, t, publisher, publisher_role, published)
        if promise and d.resolution_due_at is not None and rng.random() < 0.7:
            # Recorded with the answer (the work was done by then), so the story's events stay in order.
            done = t
            if done <= self.now:
                row = self._begin(d, Action.RESOLVE, done, Role.EXECUTOR)
                d.resolved_at = done
                self._end(d, row, done, d.executor_id, Role.EXECUTOR, {"on_time": done <= d.resolution_due_at})
        return t

    def _reconsider(self, d: _Draft, t: dt.datetime, comment: str) -> None:
        row = self._begin(d, Action.RECONSIDER, t, SYSTEM)
        d.reconsideration_count += 1
        d.answered_at = None
        d.closed_at = None
        d.postponed_until = None
        d.extension_days = 0
        d.consideration_started_at = t
        due = deadlines.reconsideration_due(cast(Appeal, d), t, self.region, self.cal)
        deadlines.set_answer_term(cast(Appeal, d), start=t, due=due, region=self.region, cal=self.cal)
        self._end(d, row, t, None, SYSTEM, {"due_at": due.isoformat()}, comment)


# --- writing ----------------------------------------------------------------------------------------------


class _Sink:
    """Where a batch of rows goes. Ids of appeals are handed out before their stories are written."""

    def reserve_ids(self, count: int) -> list[int]:
        raise NotImplementedError

    def write(self, appeals: list[tuple[Any, ...]], events: list[EventRow], breaches: list[BreachRow]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Wait until everything handed over is written."""


class _CopySink(_Sink):
    """PostgreSQL: COPY FROM STDIN through psycopg 3, several times faster than INSERT.

    With ``threaded`` the rows go out from a writer thread on its own connection, one transaction per
    batch, while the main thread simulates the next batch: the database server and the simulation
    then use a core each. Without it (the caller holds a transaction) the rows go into the caller's.
    """

    def __init__(self, *, threaded: bool, skip_fk_checks: bool) -> None:
        self.appeal_sql = _copy_sql(Appeal._meta.db_table, ["id", *(f.column for f in APPEAL_FIELDS)])
        self.event_sql = _copy_sql(AppealEvent._meta.db_table, EVENT_COLUMNS)
        self.breach_sql = _copy_sql(DeadlineBreach._meta.db_table, BREACH_COLUMNS)
        self.skip_fk_checks = skip_fk_checks
        self.error: BaseException | None = None
        self.queue: queue.Queue[tuple[list[tuple[Any, ...]], list[EventRow], list[BreachRow]] | None] | None = None
        self.thread: threading.Thread | None = None
        if threaded:
            self.queue = queue.Queue(maxsize=2)
            self.thread = threading.Thread(target=self._run, name="loadgen-writer", daemon=True)
            self.thread.start()

    def reserve_ids(self, count: int) -> list[int]:
        # nextval() hands out ids that no concurrent writer gets, so the generator may run beside the app.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Appeal._meta.db_table, count],
            )
            return [row[0] for row in cursor.fetchall()]

    def write(self, appeals: list[tuple[Any, ...]], events: list[EventRow], breaches: list[BreachRow]) -> None:
        if self.queue is None:
            self._copy(appeals, events, breaches)
            return
        if self.error is not None:
            raise self.error
        self.queue.put((appeals, events, breaches))

    def close(self) -> None:
        if self.queue is not None and self.thread is not None:
            self.queue.put(None)
            self.thread.join()
            self.queue = None
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        assert self.queue is not None
        try:
            while (item := self.queue.get()) is not None:
                if self.error is not None:
                    continue  # keep draining so that the producer never blocks on a dead writer
                try:
                    with transaction.atomic():
                        self._copy(*item)
                except BaseException as exc:
                    self.error = exc
        finally:
            connection.close()  # this thread's own connection

    def _copy(self, appeals: list[tuple[Any, ...]], events: list[EventRow], breaches: list[BreachRow]) -> None:
        connection.ensure_connection()
        raw = connection.connection
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        with raw.cursor() as cursor:
            if self.skip_fk_checks:
                # Replica mode fires no triggers, so no foreign-key checks: the rows are consistent by
                # construction, and the checks cost a third of the load time. Superusers only.
                cursor.execute("SET LOCAL session_replication_role = replica")
            with cursor.copy(self.appeal_sql) as copy:
                for row in appeals:
                    copy.write_row(row)
            with cursor.copy(self.event_sql) as copy:
                for event in events:
                    copy.write_row((*event[:10], dumps(event[10]), *event[11:]))
            if breaches:
                with cursor.copy(self.breach_sql) as copy:
                    for breach in breaches:
                        copy.write_row(breach)


def _copy_sql(table: str, columns: Any) -> str:
    quote = connection.ops.quote_name
    return f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"


class _OrmSink(_Sink):
    """Any other database (SQLite in tests and demos): ``bulk_create``."""

    def __init__(self, batch: int) -> None:
        self.batch = batch
        self.next_id: int | None = None

    def reserve_ids(self, count: int) -> list[int]:
        if self.next_id is None:
            last = Appeal.objects.order_by("-pk").values_list("pk", flat=True).first()
            self.next_id = (last or 0) + 1
        first = self.next_id
        self.next_id += count
        return list(range(first, first + count))

    def write(self, appeals: list[tuple[Any, ...]], events: list[EventRow], breaches: list[BreachRow]) -> None:
        objs = [Appeal(**dict(zip(APPEAL_ATTNAMES, row, strict=True))) for row in appeals]
        created = {obj.pk: (obj.created_at, obj.updated_at) for obj in objs}
        Appeal.objects.bulk_create(objs, batch_size=500)
        # bulk_create stamps auto_now fields with the wall clock; keep the story's times instead.
        for pk, (created_at, updated_at) in created.items():
            Appeal.objects.filter(pk=pk).update(created_at=created_at, updated_at=updated_at)
        AppealEvent.objects.bulk_create(
            [AppealEvent(**dict(zip(EVENT_COLUMNS, event, strict=True))) for event in events], batch_size=1000)
        DeadlineBreach.objects.bulk_create(
            [DeadlineBreach(**dict(zip(BREACH_COLUMNS, breach, strict=True))) for breach in breaches],
            batch_size=1000)


def _reserve_numbers(years: list[int]) -> dict[int, Iterator[int]]:
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
    registry = load_registry(rng)
    gen = Generator(seed=seed, now=now, months=months, registry=registry, rng=rng, region=region,
                    cal=region_calendar(region))
    moments = gen.arrivals(appeals)
    received = [dt.datetime.fromtimestamp(m, tz=dt.UTC) for m in moments]
    years = [r.astimezone(gen.tz).year for r in received]
    numbers = _reserve_numbers(years)
    threaded = False
    sink: _Sink
    if connection.vendor == "postgresql":
        if skip_fk_checks and not _is_superuser():
            raise LoadError("Skipping foreign-key checks needs a PostgreSQL superuser.")
        threaded = not connection.in_atomic_block
        sink = _CopySink(threaded=threaded, skip_fk_checks=skip_fk_checks)
    else:
        sink = _OrmSink(batch)
    row_of = attrgetter(*APPEAL_ATTNAMES)
    try:
        for first in range(0, appeals, batch):
            chunk = range(first, min(first + batch, appeals))
            with contextlib.nullcontext() if threaded else transaction.atomic():
                ids = sink.reserve_ids(len(chunk))
                rows = []
                for appeal_id, index in zip(ids, chunk, strict=True):
                    year = years[index]
                    draft = gen.new_appeal(appeal_id, f"{year}-{next(numbers[year]):06d}", received[index])
                    gen.simulate(draft)
                    rows.append(row_of(draft))
                    result.states[draft.state] = result.states.get(draft.state, 0) + 1
                sink.write(rows, gen.events, gen.breaches)
            result.appeals += len(rows)
            result.events += len(gen.events)
            result.breaches += len(gen.breaches)
            gen.events = []
            gen.breaches = []
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
