"""The demo region «Северная область»: an invented region with territories, organisations, officials,
people in every role (with absences and stand-ins), categories, routing, topics and a few hundred
appeals in every state of the lifecycle.

Everything here is fictional: places, organisations, people and texts. The reference data are files
in ``otklik/demo/data/`` loaded by the registry's own importer. Appeals are created only through
``appeals.services``: each appeal's story comes from the one story generator (``otklik/demo/stories.py``)
with this region's profile, ending in a state drawn from the demo's mix over the last ~60 days; the
services sink plays all stories together in time order, the deadline sweeper running before every step.
So deadlines, breaches, postponements and the work of stand-ins come out the way the rules make them,
not the way the demo would like them.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.models import Absence, Membership, Role, User
from otklik.accounts.services import absence_create, user_create, users_grant_admin_site, users_set_password_hash
from otklik.appeals.lifecycle import Regime, State
from otklik.appeals.models import Appeal, Channel
from otklik.demo import stories
from otklik.demo.participation import build_participation
from otklik.demo.sinks import ServicesSink
from otklik.registry.models import (
    CalendarOverride,
    Category,
    Official,
    Organization,
    Territory,
)
from otklik.registry.selectors import region_calendar, region_settings, route_organization
from otklik.registry.services import (
    calendar_override_save,
    organization_confirm_data,
    region_settings_update,
    registry_save,
    territory_boundaries_set,
    topics_create,
)
from otklik.registry.transfer import registry_import
from otklik.workspace.services import NewAnswerTemplate, answer_templates_create

DEMO_REGION = "Северная область"
DEMO_PASSWORD = "demo12345"
DEFAULT_APPEALS = 300
DEFAULT_SEED = 20261123
HISTORY_DAYS = 60
EMAIL_DOMAIN = "severnaya.example"  # RFC 2606: never delivered anywhere
# The organisations' SSTU.RF department GUIDs are derived from their keys (invented, but stable).
SSTU_NAMESPACE = uuid.UUID("5e7e4a1c-3f0b-4c5d-9a51-6f1d2b0c9e01")


def sstu_guid(key: str) -> str:
    return str(uuid.uuid5(SSTU_NAMESPACE, key))


class DemoError(Exception):
    """The demo cannot be built (a non-empty database, or a service refused a scripted action)."""


# --- territories ------------------------------------------------------------------------------------

T = Territory.Kind


@dataclass(frozen=True)
class TerritorySpec:
    key: str
    name: str
    kind: str
    parent: str | None
    lat: float
    lon: float
    place: str  # how an address on this territory starts
    weight: float = 0.0  # share of appeals that come from here


def _rows(name: str) -> list[list[str]]:
    """The rows of a data file, without its header (files of the registry export start with a BOM)."""
    with (DATA / f"{name}.csv").open(encoding="utf-8-sig", newline="") as source:
        return list(csv.reader(source, delimiter=";"))[1:]


def _territory_specs() -> list[TerritorySpec]:
    """The territories are a file of the registry's import; the demo's key of each, how its addresses
    start and its share of the appeals are a file beside it."""
    places = {name: (key, place, float(weight)) for name, key, place, weight in _rows("places")}
    specs = []
    for name, kind, parent, _oktmo, lat, lon in _rows("territories"):
        key, place, weight = places[name]
        specs.append(TerritorySpec(key, name, kind, places[parent][0] if parent else None, float(lat), float(lon),
                                   place, weight))
    return specs


DATA = Path(__file__).resolve().parent / "data"
TERRITORIES = _territory_specs()
STREETS = [
    "ул. Полярная", "ул. Северная", "пр. Строителей", "ул. Лесная", "ул. Школьная", "ул. Набережная",
    "ул. Заводская", "ул. Молодёжная", "ул. Советская", "пер. Речной", "ул. Мира", "ул. Энергетиков",
    "ул. Сосновая", "ул. Озёрная", "ул. Кедровая", "ул. Первомайская", "пр. Победы", "ул. Садовая",
]

# --- organisations ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgSpec:
    """An organisation of the registry file ``organizations.csv`` and the demo's key of it."""

    key: str
    name: str
    slug: str  # how the logins (people.csv) and the addresses of its people start


ORGANIZATIONS = [OrgSpec(key, name, slug) for name, key, slug in _rows("organization_keys")]
INCOMPLETE_ORGS = ("adm_tum_gp", "uk")  # left incomplete on purpose: the registry-health page shows them
STALE_ORGS = ("adm_sig",)  # data confirmed too long ago

# The logins printed by --print-logins, one per role, in this order.
FEATURED_LOGINS: list[tuple[str, str]] = [
    ("moderator", Role.MODERATOR),
    ("coordinator", Role.COORDINATOR),
    ("executor", Role.EXECUTOR),
    ("head", Role.HEAD),
    ("authorised", Role.AUTHORISED),
    ("regional", Role.REGIONAL_COORDINATOR),
    ("admin", Role.ADMIN),
    ("privacy", Role.PRIVACY_OFFICER),
]
CITIZEN_LOGIN = "citizen"

# --- people -----------------------------------------------------------------------------------------

MALE_NAMES = ["Александр", "Алексей", "Андрей", "Артём", "Виктор", "Владимир", "Григорий", "Дмитрий", "Евгений",
              "Иван", "Игорь", "Константин", "Максим", "Михаил", "Николай", "Олег", "Павел", "Роман", "Сергей",
              "Юрий"]
FEMALE_NAMES = ["Анна", "Вера", "Галина", "Дарья", "Екатерина", "Елена", "Ирина", "Ксения", "Людмила", "Марина",
                "Мария", "Наталья", "Ольга", "Светлана", "Татьяна", "Юлия"]
PATRONYMICS = [("Александрович", "Александровна"), ("Алексеевич", "Алексеевна"), ("Андреевич", "Андреевна"),
               ("Викторович", "Викторовна"), ("Владимирович", "Владимировна"), ("Геннадьевич", "Геннадьевна"),
               ("Дмитриевич", "Дмитриевна"), ("Евгеньевич", "Евгеньевна"), ("Иванович", "Ивановна"),
               ("Игоревич", "Игоревна"), ("Михайлович", "Михайловна"), ("Николаевич", "Николаевна"),
               ("Олегович", "Олеговна"), ("Павлович", "Павловна"), ("Петрович", "Петровна"),
               ("Сергеевич", "Сергеевна"), ("Юрьевич", "Юрьевна")]
SURNAMES = ["Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Морозов", "Волков", "Лебедев", "Козлов",
            "Новиков", "Егоров", "Павлов", "Семёнов", "Голубев", "Виноградов", "Богданов", "Воробьёв", "Фёдоров",
            "Михайлов", "Беляев", "Тарасов", "Белов", "Комаров", "Орлов", "Киселёв", "Макаров", "Андреев",
            "Ковалёв", "Ильин", "Гусев", "Титов", "Кузьмин", "Кудрявцев", "Баранов", "Куликов", "Алексеев",
            "Степанов", "Яковлев", "Сорокин", "Сергеев", "Романов", "Захаров", "Борисов", "Королёв", "Герасимов",
            "Пономарёв", "Григорьев", "Лазарев", "Медведев", "Ершов", "Никитин", "Соболев", "Рябов", "Поляков",
            "Цветков", "Данилов", "Жуков", "Фролов", "Журавлёв", "Николаев"]

@dataclass(frozen=True)
class Person:
    last: str
    first: str
    patronymic: str

    @property
    def full(self) -> str:
        return f"{self.last} {self.first} {self.patronymic}"

    @property
    def short(self) -> str:
        return f"{self.last} {self.first[0]}. {self.patronymic[0]}."


class NameMaker:
    """Invented, distinct full names (a surname, a first name and a patronymic drawn at random)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def person(self) -> Person:
        while True:
            female = self.rng.random() < 0.55
            surname = self.rng.choice(SURNAMES)
            patronymic = self.rng.choice(PATRONYMICS)
            person = Person(
                last=surname + ("а" if female else ""),
                first=self.rng.choice(FEMALE_NAMES if female else MALE_NAMES),
                patronymic=patronymic[1] if female else patronymic[0],
            )
            if person.full not in self.used:
                self.used.add(person.full)
                return person


# --- categories and texts ---------------------------------------------------------------------------

# The categories (with a few codes of the federal thematic classifier, ТОТКО, to show the mapping) and
# their routing are files of the registry's own import (registry/transfer); the demo's texts of messages
# by category and of answers by group of categories are files beside them.
REGISTRY_FILES = ("classifier", "categories", "routing")


def _texts(name: str) -> dict[str, list[str]]:
    texts: dict[str, list[str]] = {}
    with (DATA / f"{name}.csv").open(encoding="utf-8", newline="") as source:
        for code, text in list(csv.reader(source, delimiter=";"))[1:]:
            texts.setdefault(code, []).append(text)
    return texts


INTERMEDIATE_TEXTS = [
    "Сообщение принято в работу. Специалист выедет на место в ближайшие дни, о результатах сообщим.",
    "Направлен запрос подрядной организации. Окончательный ответ будет дан после обследования.",
    "Проблема подтверждена, ведётся подготовка к проведению работ.",
]
POSTPONE_REASONS = [
    "Работы возможны только после окончания отопительного сезона.",
    "Требуется заключение контракта с подрядной организацией.",
    "Работы включены в план на следующий квартал, нужна корректировка сметы.",
    "Ожидается поставка оборудования.",
]
REWORK_COMMENTS = ["Укажите конкретный срок выполнения работ.", "Приложите фотографии выполненных работ.",
                   "Ответ не отвечает на второй вопрос заявителя."]
BAD_RATING_COMMENTS = ["Ничего не сделано, яма на месте.", "Ответ формальный, проблема не решена.",
                       "Обещали сделать в течение недели, прошёл месяц."]
SPAM_TEXTS = {
    "spam": "Продаю гараж недорого, звоните в любое время!",
    "not_a_problem": "Хочу просто сказать, что у нас красивый город и хорошие люди.",
    "insufficient_data": "Всё плохо, сделайте уже что-нибудь.",
    "obscene": "Сколько можно терпеть этих бездельников, одни ***** кругом!",
}
TRANSFER_BODIES = [  # (body outside the platform, reason, its SSTU.RF department GUID)
    ("Государственная жилищная инспекция Северной области", "Вопрос о нарушении правил содержания дома относится "
     "к компетенции жилищной инспекции.", sstu_guid("outside:gzhi")),
    ("Управление Роспотребнадзора по Северной области", "Вопрос о качестве питьевой воды относится к компетенции "
     "Роспотребнадзора.", sstu_guid("outside:rpn")),
]
TOPICS = ["Благоустройство общественных пространств", "Инициативное бюджетирование", "Дороги и транспорт",
          "Экология и охрана природы", "Культура и досуг", "Спорт и здоровый образ жизни", "Образование",
          "Социальная поддержка", "Городская среда и архитектура", "Туризм"]


# --- building the reference data --------------------------------------------------------------------


@dataclass
class Registry:
    """What the reference-data builder made that the demo's profile of appeals needs."""

    territories: dict[str, Territory]
    leaves: list[Category]
    citizen: User


def _email(username: str) -> str:
    return f"{username}@{EMAIL_DOMAIN}"


def _phone(rng: random.Random) -> str:
    return f"+7 (8{rng.randint(10, 99)}) {rng.randint(200, 799)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"


# The region's outline (lon, lat), invented like the rest; the map of the portal opens on its centre.
REGION_OUTLINE = [(42.3, 62.0), (43.4, 61.3), (46.4, 61.2), (48.4, 62.1), (48.4, 63.6), (46.8, 64.7),
                  (43.6, 64.7), (42.3, 63.6)]
REGION_MAP = (63.0, 45.3, 7)  # centre latitude, longitude, zoom
LON_SCALE = 0.45  # a degree of longitude at 63° N is about 0.45 of a degree of latitude


def _clip(polygon: list[tuple[float, float]], site: tuple[float, float],
          other: tuple[float, float]) -> list[tuple[float, float]]:
    """The part of a convex polygon nearer to ``site`` than to ``other`` (one Sutherland–Hodgman step)."""
    def side(p: tuple[float, float]) -> float:
        # Positive when p is nearer to site; distances with longitude scaled to kilometres' proportions.
        def d2(a: tuple[float, float], b: tuple[float, float]) -> float:
            return ((a[0] - b[0]) * LON_SCALE) ** 2 + (a[1] - b[1]) ** 2
        return d2(p, other) - d2(p, site)

    out: list[tuple[float, float]] = []
    for i, current in enumerate(polygon):
        previous = polygon[i - 1]
        a, b = side(previous), side(current)
        if (a >= 0) != (b >= 0):
            k = a / (a - b)
            out.append((previous[0] + k * (current[0] - previous[0]), previous[1] + k * (current[1] - previous[1])))
        if b >= 0:
            out.append(current)
    return out


def _ring(points: list[tuple[float, float]]) -> dict[str, Any]:
    coordinates = [[round(lon, 4), round(lat, 4)] for lon, lat in points]
    return {"type": "Polygon", "coordinates": [[*coordinates, coordinates[0]]]}


def _box(spec: TerritorySpec, half_lat: float) -> list[tuple[float, float]]:
    half_lon = half_lat / LON_SCALE
    return [(spec.lon - half_lon, spec.lat - half_lat), (spec.lon + half_lon, spec.lat - half_lat),
            (spec.lon + half_lon, spec.lat + half_lat), (spec.lon - half_lon, spec.lat + half_lat)]


def _boundaries() -> dict[str, dict[str, Any]]:
    """Outlines for the demo territories, so that a point on the map finds its municipality: the region's
    outline; districts and okrugs share it, each taking the part nearest to its centre; cities and
    settlements are small squares around their centres."""
    outlines = {"region": _ring(REGION_OUTLINE)}
    wide = [spec for spec in TERRITORIES if spec.parent == "region" and spec.kind != T.CITY_DISTRICT]
    for spec in wide:
        cell = list(REGION_OUTLINE)
        for other in wide:
            if other.key != spec.key:
                cell = _clip(cell, (spec.lon, spec.lat), (other.lon, other.lat))
        outlines[spec.key] = _ring(cell)
    for spec in TERRITORIES:
        if spec.key not in outlines:
            outlines[spec.key] = _ring(_box(spec, 0.15 if spec.kind == T.CITY_DISTRICT else 0.08))
    return outlines


def _import(kind: str) -> None:
    """Load a file of ``otklik/demo/data`` with the registry's own importer."""
    name = f"{kind}.csv"
    result = registry_import(kind=kind, data=(DATA / name).read_bytes(), filename=name)
    if not result.written:
        raise DemoError(f"{name}: " + "; ".join(f"{e.row}: {e.column}: {e.message}" for e in result.errors[:3]))


def _build_territories() -> dict[str, Territory]:
    _import("territories")
    outlines = _boundaries()
    made = {spec.key: Territory.objects.get(name=spec.name) for spec in TERRITORIES}
    territory_boundaries_set(outlines={territory.pk: outlines[key] for key, territory in made.items()})
    for key, territory in made.items():
        territory.boundary = outlines[key]
    return made


def _build_organizations(rng: random.Random, now: dt.datetime) -> dict[str, Organization]:
    _import("organizations")
    made = {spec.key: Organization.objects.get(name=spec.name) for spec in ORGANIZATIONS}
    for key, org in made.items():
        # Most organisations confirmed their data recently; the registry-health page shows the rest.
        # The incomplete ones never confirmed theirs (the importer leaves the date empty).
        if key in INCOMPLETE_ORGS:
            continue
        if key in STALE_ORGS:
            confirmed = now - dt.timedelta(days=150 + rng.randint(0, 30))
        else:
            confirmed = now - dt.timedelta(days=rng.randint(2, 80), hours=rng.randint(0, 8))
        organization_confirm_data(actor=None, organization=org, at=confirmed)
    return made


DUTY_POSITIONS = {
    Official.Kind.EXECUTOR_STAND_IN: "Ведущий специалист",
    Official.Kind.AUTHORISED: "Консультант по общественным проектам",
    Official.Kind.AUTHORISED_STAND_IN: "Специалист по связям с общественностью",
    Official.Kind.SSTU_SECTION: "Начальник отдела по работе с обращениями граждан",
    Official.Kind.SSTU_SUPPORT: "Специалист по защите информации",
    Official.Kind.SSTU_ENTRY: "Специалист отдела по работе с обращениями граждан",
}


def _build_registry_duties(
    names: NameMaker, organizations: dict[str, Organization], staff: dict[tuple[str, str], list[User]]
) -> None:
    """The rest of the persons each organisation names to the registry (seed 002 §4, seed 000 §1.1):
    the stand-in of the executors, the authorised person (an account holding the role where there is
    one) and their stand-in, and the persons authorised for the SSTU.RF section. An organisation
    without a stand-in of the responsible official (organizations.csv) names no stand-ins at all."""
    rng = names.rng
    for spec in ORGANIZATIONS:
        org = organizations[spec.key]
        has_stand_in = org.officials.filter(kind=Official.Kind.STAND_IN).exists()
        for kind, position in DUTY_POSITIONS.items():
            if kind in (Official.Kind.EXECUTOR_STAND_IN, Official.Kind.AUTHORISED_STAND_IN) and not has_stand_in:
                continue
            holders = staff.get((spec.key, Role.AUTHORISED), []) if kind == Official.Kind.AUTHORISED else []
            if holders:
                user = holders[0]
                full_name, phone, email = user.display_name, user.phone or _phone(rng), user.email
                position = user.position or position
            else:
                full_name, phone = names.person().full, _phone(rng)
                email = f"{kind.replace('_', '-')}-{spec.slug}@{EMAIL_DOMAIN}"
            registry_save(actor=None, instance=Official(organization=org, kind=kind, full_name=full_name,
                                                        position=position, phone=phone, email=email))


def _build_people(
    names: NameMaker, organizations: dict[str, Organization], today: dt.date
) -> tuple[dict[tuple[str, str], list[User]], User]:
    """The staff and their roles are a file of the registry's import (people.csv); the citizen's account
    is not registry data and is made here, as the absences and stand-ins are."""
    _import("people")
    # One hash for everybody: hashing is deliberately slow, and every demo account shares the password.
    password = make_password(DEMO_PASSWORD)
    users_set_password_hash(users=User.objects.filter(memberships__isnull=False), password_hash=password)
    users_grant_admin_site(users=User.objects.filter(memberships__role=Role.ADMIN))
    person = names.person()
    user_create(username=CITIZEN_LOGIN, password_hash=password, first_name=person.first, last_name=person.last,
                patronymic=person.patronymic, email=_email(CITIZEN_LOGIN))
    created = {user.username: user for user in User.objects.all()}
    by_id = {user.pk: user for user in created.values()}
    key_of = {org.pk: key for key, org in organizations.items()}
    staff: dict[tuple[str, str], list[User]] = {}
    for user_id, org_id, role in Membership.objects.order_by("user__username").values_list(
            "user_id", "organization_id", "role"):
        staff.setdefault((key_of[org_id], role), []).append(by_id[user_id])

    def one(login: str) -> User:
        return created[login]

    day = dt.timedelta(days=1)
    absences = [  # (absent, reason, from, to (days from today), stand-in, note)
        # Active today: the executor's colleague is on leave, so «executor» works as a stand-in too.
        ("executor3", Absence.Reason.VACATION, -5, 9, "executor", "Ежегодный отпуск"),
        ("head", Absence.Reason.ILLNESS, -32, -26, "coordinator", ""),
        ("teplo-exec1", Absence.Reason.BUSINESS_TRIP, -20, -16, "teplo-exec2", "Командировка в Кремнегорск"),
        ("minzdrav-head", Absence.Reason.STUDY, -12, -10, "minzdrav-coord", "Курсы повышения квалификации"),
        ("krem-coord", Absence.Reason.VACATION, 10, 23, "krem-head", ""),
    ]
    for login, reason, starts, ends, stand_in, note in absences:
        absence_create(user=one(login), reason=reason, starts_on=today + starts * day, ends_on=today + ends * day,
                       stand_in=one(stand_in), note=note)
    return staff, created[CITIZEN_LOGIN]


def _build_categories() -> tuple[dict[str, Category], list[Category]]:
    for kind in REGISTRY_FILES:
        _import(kind)
    made = {category.code: category for category in Category.objects.select_related("parent")}
    return made, [category for category in made.values() if not category.children.exists()]


def _build_calendar_and_topics(today: dt.date) -> None:
    topics_create(names=TOPICS)
    # The region's own day off (an invented regional holiday) this year and next, and one working
    # Saturday that compensates a bridge day: both change deadlines the way the real calendar would.
    for year in (today.year, today.year + 1):
        calendar_override_save(day=dt.date(year, 9, 14), kind=CalendarOverride.Kind.DAY_OFF,
                               note="День Северной области")
    saturday = dt.date(today.year, 12, 1)
    while saturday.weekday() != 5:
        saturday += dt.timedelta(days=1)
    calendar_override_save(day=saturday, kind=CalendarOverride.Kind.WORKING_DAY,
                           note="Рабочая суббота по постановлению губернатора")


# --- the appeals: stories played through the services -------------------------------------------------

REGIME_WEIGHTS = {Regime.POS: 0.65, Regime.FZ59: 0.2, Regime.SOCIAL: 0.15}
CATEGORY_WEIGHTS = {"housing": 30, "roads": 20, "blag": 18, "transport": 7, "health": 7, "edu": 5, "eco": 4,
                    "social": 4, "culture": 2, "telecom": 2, "other": 1}
# Each appeal's story ends in a state drawn with these weights (the demo's mix of 300 appeals before the
# stories were one generator; every state first, so that even a small demo shows each of them), received
# so many days ago (earlier when the story does not get there in time).
TARGETS: dict[State, tuple[float, tuple[float, float]]] = {
    State.RECEIVED: (4, (0.1, 1.5)), State.MODERATION: (15, (0.05, 1.5)), State.COORDINATION: (11, (0.3, 4)),
    State.EXECUTION: (45, (3, 30)), State.POSTPONED: (13, (8, 40)), State.APPROVAL: (20, (5, 30)),
    State.APPROVED: (9, (5, 20)), State.ANSWERED: (28, (8, 25)), State.CLOSED: (116, (10, 60)),
    State.REJECTED: (24, (1, 60)), State.LEFT_WITHOUT_ANSWER: (6, (10, 60)), State.TRANSFERRED: (9, (2, 40)),
}


class DemoProfile(stories.Profile):
    """The demo region's profile: its regimes and categories, its places and the texts of its categories."""

    regime_shares = tuple(REGIME_WEIGHTS.items())
    channels = {
        Regime.POS: ((Channel.PORTAL, 0.85), (Channel.WIDGET, 0.05), (Channel.API, 0.05), (Channel.RECEPTION, 0.05)),
        Regime.FZ59: ((Channel.PORTAL, 1.0), (Channel.EMAIL, 1.0), (Channel.PAPER, 1.0)),
        Regime.SOCIAL: ((Channel.SOCIAL, 1.0),),
    }
    departments = tuple((body, guid) for body, _reason, guid in TRANSFER_BODIES)
    postpone_reasons = tuple(POSTPONE_REASONS)
    rework_comments = tuple(REWORK_COMMENTS)
    low_rating_comments = tuple(BAD_RATING_COMMENTS)

    def __init__(self, registry: Registry, names: NameMaker) -> None:
        self.names = names
        self.groups = {category.pk: category.code.split(".")[0] for category in registry.leaves}
        self.messages, self.answers = _texts("messages"), _texts("answers")
        self.places = {registry.territories[spec.key].pk: spec for spec in TERRITORIES}
        leaves = Counter(self.groups.values())
        self.weights = {pk: CATEGORY_WEIGHTS[group] / leaves[group] for pk, group in self.groups.items()}
        self.citizen = (registry.citizen.pk, registry.citizen.display_name)

    def category_weight(self, category: Category, index: int) -> tuple[str, float]:
        return "flat", self.weights.get(category.pk, 0.0)

    def territory_weight(self, territory: Territory, index: int) -> float:
        return self.places[territory.pk].weight

    def person(self, rng: random.Random) -> tuple[str, str, str]:
        person = self.names.person()
        return person.last, person.first, person.patronymic

    def address(self, territory: Territory | None, rng: random.Random) -> str:
        place = self.places[territory.pk].place if territory is not None else ""
        return f"{place}, {rng.choice(STREETS)}, д. {rng.randint(1, 85)}"

    def text(self, category: Category, address: str, rng: random.Random) -> str:
        return rng.choice(self.messages[category.code]).format(addr=address)

    def rejected_text(self, reason: str, category: Category, address: str, rng: random.Random) -> str | None:
        return SPAM_TEXTS.get(reason)

    def answer(self, category: Category, at: dt.date, rng: random.Random) -> str:
        return rng.choice(self.answers[self.groups[category.pk]])

    def intermediate(self, rng: random.Random) -> str:
        return rng.choice(INTERMEDIATE_TEXTS)


def _build_appeals(registry: Registry, count: int, rng: random.Random, now: dt.datetime) -> None:
    """Choose ``count`` stories, each ending in a state drawn from TARGETS, and play them through the services."""
    profile = DemoProfile(registry, NameMaker(random.Random(rng.random())))
    region = region_settings()
    planner = stories.Planner(registry=stories.load_registry(profile, rng), profile=profile, region=region,
                              cal=region_calendar(region), now=now)
    targets = [*State][:count]
    targets += rng.choices(list(TARGETS), weights=[w for w, _age in TARGETS.values()], k=max(0, count - len(targets)))
    chosen: list[stories.Story] = []
    for index, target in enumerate(targets):
        seed, (low, high) = rng.random(), TARGETS[target][1]
        for attempt in range(12):
            start = now - dt.timedelta(days=min(high + 4 * attempt, HISTORY_DAYS + 4 * attempt))
            moment = planner.arrivals(1, start, now - dt.timedelta(days=low), random.Random(seed + attempt))[0]
            story = planner.plan(index, moment, random.Random(seed), target=target)
            if story.state == target:
                break
        chosen.append(story)
    try:
        ServicesSink().play(chosen, until=now)
    except stories.StoryError as exc:
        raise DemoError(str(exc)) from exc


# --- answer templates -------------------------------------------------------------------------------

# (category code or None for every category, title, text, for an intermediate answer)
ANSWER_TEMPLATES: list[tuple[str | None, str, str, bool]] = [
    (None, "Общий ответ: вопрос решён",
     "Уважаемый(ая) {applicant}!\n\nВаше сообщение № {number} от {received} рассмотрено.\n\n"
     "Сообщаем, что …\n\nС уважением,\n{organization}", False),
    (None, "Промежуточный ответ: нужны работы",
     "Ваше сообщение № {number} принято в работу. Для решения вопроса нужны работы подрядной организации; "
     "окончательный ответ будет дан до **{due}**.", True),
    ("roads", "Дороги: ремонт выполнен",
     "Уважаемый(ая) {applicant}!\n\nПо вашему сообщению № {number} от {received} о состоянии дороги по адресу "
     "{address} выполнен ямочный ремонт покрытия.\n\n- дефект устранён: …\n- гарантийный срок подрядчика: "
     "3 года\n\nПлан ремонта дорог опубликован на [сайте](https://example.org/dorogi).\n\nС уважением,\n"
     "{organization}", False),
    ("roads", "Дороги: ремонт включён в план",
     "Уважаемый(ая) {applicant}!\n\nУчасток по адресу {address} включён в план ремонта на **…**. До ремонта "
     "опасное место огорожено и обозначено знаками.\n\nС уважением,\n{organization}", False),
    ("housing", "ЖКХ: управляющая компания предписание получила",
     "Уважаемый(ая) {applicant}!\n\nПо вашему сообщению № {number} управляющей организации выдано предписание "
     "устранить нарушение до **…**. Исполнение проверит жилищная инспекция.\n\nС уважением,\n{organization}",
     False),
    ("blag", "Благоустройство: работы выполнены",
     "Уважаемый(ая) {applicant}!\n\nПо адресу {address} выполнены работы по благоустройству:\n\n- …\n- …\n\n"
     "Благодарим за сообщение.\n\nС уважением,\n{organization}", False),
    ("transport", "Транспорт: перевозчику указано на нарушение",
     "Уважаемый(ая) {applicant}!\n\nФакты, изложенные в сообщении № {number}, подтвердились. Перевозчику "
     "направлено требование соблюдать расписание; за повторное нарушение договором предусмотрен штраф.\n\n"
     "С уважением,\n{organization}", False),
    ("health", "Здравоохранение: проверка проведена",
     "Уважаемый(ая) {applicant}!\n\nПо вашему сообщению № {number} проведена проверка. …\n\n"
     "Записаться к врачу можно на портале [Госуслуг](https://www.gosuslugi.ru).\n\nС уважением,\n"
     "{organization}", False),
    ("edu", "Образование: ответ по существу",
     "Уважаемый(ая) {applicant}!\n\nПо вашему сообщению № {number} сообщаем: …\n\nС уважением,\n"
     "{organization}", False),
    ("eco", "Экология: нарушение устранено",
     "Уважаемый(ая) {applicant}!\n\nПо адресу {address} проведено обследование; несанкционированная свалка "
     "ликвидирована **…**. Виновные привлечены к ответственности.\n\nС уважением,\n{organization}", False),
    ("social", "Соцзащита: разъяснение о мерах поддержки",
     "Уважаемый(ая) {applicant}!\n\nРазъясняем порядок назначения меры поддержки:\n\n1. подайте заявление в "
     "центр социального обслуживания или на портале Госуслуг;\n2. приложите документы: …;\n3. решение "
     "принимается в течение 10 рабочих дней.\n\nС уважением,\n{organization}", False),
]


def _build_answer_templates(categories: dict[str, Category]) -> None:
    answer_templates_create(templates=[
        NewAnswerTemplate(category=categories[code] if code else None, title=title, body=body,
                          is_intermediate=intermediate)
        for code, title, body, intermediate in ANSWER_TEMPLATES
    ])


# --- the entry points -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSummary:
    organizations: int
    people: int
    categories: int
    appeals: int
    states: dict[str, int]


def demo_exists() -> bool:
    return Territory.objects.filter(name=DEMO_REGION, kind=Territory.Kind.REGION, parent__isnull=True).exists()


@transaction.atomic
def build_demo(
    *, appeals: int = DEFAULT_APPEALS, seed: int = DEFAULT_SEED, now: dt.datetime | None = None
) -> DemoSummary:
    """Build the demo region in an empty database. One transaction: all of it, or nothing."""
    if demo_exists():
        raise DemoError(_("The demo region is already loaded."))
    if Organization.objects.exists() or Category.objects.exists() or Appeal.objects.exists():
        raise DemoError(_("The database already holds organisations, categories or appeals; the demo is loaded "
                          "only into an empty database (use --reset to wipe it)."))
    now = now or timezone.now()
    rng = random.Random(seed)
    names = NameMaker(random.Random(rng.random()))

    lat, lon, zoom = REGION_MAP
    region_settings_update(values={"name": DEMO_REGION, "map_centre_lat": lat, "map_centre_lon": lon,
                                   "map_zoom": zoom}, emblem=("demo-emblem.png", _demo_emblem()))
    today = timezone.localdate(now)
    _build_calendar_and_topics(today)

    territories = _build_territories()
    organizations = _build_organizations(rng, now)
    staff, citizen = _build_people(names, organizations, today)
    _build_registry_duties(names, organizations, staff)
    categories, leaves = _build_categories()
    _build_answer_templates(categories)
    registry = Registry(territories=territories, leaves=leaves, citizen=citizen)

    _build_appeals(registry, appeals, random.Random(rng.random()), now)
    build_participation(staff=staff, citizen=citizen, territories=territories, now=now)

    states: dict[str, int] = {}
    for state in Appeal.objects.values_list("state", flat=True):
        states[state] = states.get(state, 0) + 1
    return DemoSummary(organizations=len(organizations), people=User.objects.count(), categories=len(categories),
                       appeals=sum(states.values()), states=states)


def _demo_emblem() -> bytes:
    """A made-up emblem for the fictional region: a blue shield with a white star (PNG, 128 px)."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (128, 128), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.polygon([(14, 8), (114, 8), (114, 70), (64, 122), (14, 70)], fill=(11, 92, 173), outline=(212, 175, 55))
    star = [(64, 24), (72, 50), (99, 50), (77, 66), (85, 92), (64, 76), (43, 92), (51, 66), (29, 50), (56, 50)]
    draw.polygon(star, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@dataclass(frozen=True)
class DemoLogin:
    login: str
    role: str
    organization: str
    name: str = ""
    first: str = ""  # what to try first, with the page to open


def _first_steps() -> dict[str, str]:
    admin = "/" + django_settings.ADMIN_PATH
    return {
        Role.MODERATOR: _("/workspace/ — the moderation queue: accept a new message and route it to an organisation"),
        Role.COORDINATOR: _("/workspace/ — give a new message to an executor, propose a postponement"),
        Role.EXECUTOR: _("/workspace/ — write the answer to a message given to you and send it for approval"),
        Role.HEAD: _("/workspace/ — approve an answer and publish it; /reports/ — who answers on time"),
        Role.AUTHORISED: _("/workspace/ — the workspace as this role sees it: the role has no steps of a message"),
        Role.REGIONAL_COORDINATOR: _("/reports/ — the region's dashboard and the register of breaches"),
        Role.ADMIN: _("%(admin)s — region settings, the production calendar, the registry") % {"admin": admin},
        Role.PRIVACY_OFFICER: _("/workspace/privacy/ — who opened applicants' personal data, when and where"),
        CITIZEN_LOGIN: _("/submit/ — report a problem; /my/ — your messages and their answers"),
    }


def demo_logins() -> list[DemoLogin]:
    """The staff demo accounts to show, one per role, with the person's name and what to try first;
    all use DEMO_PASSWORD. (The citizen account is :func:`citizen_login`: it signs in to the portal.)"""
    rows: list[DemoLogin] = []
    first = _first_steps()
    for login, role in FEATURED_LOGINS:
        membership = (
            Membership.objects.filter(user__username=login, role=role).select_related("organization", "user").first()
        )
        if membership is not None:
            user = membership.user
            rows.append(DemoLogin(login=login, role=str(Role(role).label),
                                  organization=str(membership.organization.short_name or membership.organization),
                                  name=_person(user), first=first[role]))
    return rows


def _person(user: User) -> str:
    return " ".join(part for part in (user.last_name, user.first_name, user.patronymic) if part)


def citizen_login() -> DemoLogin | None:
    """The applicant of some demo appeals: signs in to the portal, not to the workspace."""
    user = User.objects.filter(username=CITIZEN_LOGIN).first()
    if user is None:
        return None
    return DemoLogin(login=CITIZEN_LOGIN, role=_("Applicant"), organization=_("portal"), name=_person(user),
                     first=_first_steps()[CITIZEN_LOGIN])


def demo_route_hint() -> str:
    """Where a new message goes, so that the printed staff see it: a category and a place the routing
    table sends to the organisation of the featured coordinator and executor."""
    membership = Membership.objects.filter(user__username="coordinator", role=Role.COORDINATOR).select_related(
        "organization").first()
    territory = membership.organization.territory if membership is not None else None
    if membership is None or territory is None:
        return ""
    organization = membership.organization
    for category in Category.objects.filter(is_active=True, is_public=True, children__isnull=True).order_by("name"):
        if route_organization(category=category, territory=territory) == organization:
            return _("A new message in «%(category)s» placed in %(territory)s goes to «%(organization)s», where "
                     "coordinator, executor and head work.") % {
                "category": category.name, "territory": territory.name,
                "organization": organization.short_name or organization.name}
    return ""


def format_logins(rows: Iterable[DemoLogin]) -> str:
    """One block per login: login, role and organisation, the person's name, then what to try first."""
    table = list(rows)
    width = max([len(row.login) for row in table] + [len(_("Login"))])
    lines = []
    for row in table:
        name = f" — {row.name}" if row.name else ""
        lines.append(f"{row.login.ljust(width)}  {row.role} · {row.organization}{name}")
        if row.first:
            lines.append(f"{' ' * width}  " + _("try first: %(first)s") % {"first": row.first})
    return "\n".join(lines)
