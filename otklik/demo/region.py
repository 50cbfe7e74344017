"""The demo region «Северная область»: an invented region with territories, organisations, officials,
people in every role (with absences and stand-ins), categories, routing, topics and a few hundred
appeals in every state of the lifecycle.

Everything here is fictional: places, organisations, people and texts. Appeals are created only
through ``appeals.services``: every appeal follows a script of actions whose moments (``now=``) are
spread over the last ~60 days, all scripts are replayed together in time order, and the deadline
sweeper runs twice a simulated day in between. So deadlines, breaches, postponements and the work of
stand-ins come out the way the rules make them, not the way the demo would like them.
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings as django_settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.models import Absence, Membership, Role, User
from otklik.appeals import services
from otklik.appeals.lifecycle import OPEN_STATES, Regime, State
from otklik.appeals.models import Appeal, Channel
from otklik.appeals.sweeps import sweep
from otklik.core.calendar import WorkingCalendar
from otklik.demo.participation import build_participation
from otklik.registry.models import (
    CalendarOverride,
    Category,
    ClassifierCode,
    Official,
    Organization,
    RoutingRule,
    Territory,
    Topic,
)
from otklik.registry.selectors import region_calendar, region_settings, route_organization
from otklik.registry.services import registry_save

DEMO_REGION = "Северная область"
DEMO_PASSWORD = "demo12345"
DEFAULT_APPEALS = 300
DEFAULT_SEED = 20261123
HISTORY_DAYS = 60
CLASSIFIER_VERSION = "2024"
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


TERRITORIES: list[TerritorySpec] = [
    TerritorySpec("region", DEMO_REGION, T.REGION, None, 63.00, 45.00, ""),
    TerritorySpec("sev", "Город Северодольск", T.CITY_DISTRICT, "region", 63.05, 44.95, "г. Северодольск", 46),
    TerritorySpec("krem", "Город Кремнегорск", T.CITY_DISTRICT, "region", 63.60, 46.30, "г. Кремнегорск", 16),
    TerritorySpec("tum", "Туманский муниципальный район", T.MUNICIPAL_DISTRICT, "region", 62.40, 43.70,
                  "Туманский р-н, с. Заозерье", 4),
    TerritorySpec("tum_gp", "Туманское городское поселение", T.URBAN_SETTLEMENT, "tum", 62.41, 43.72,
                  "пгт Туманный", 5),
    TerritorySpec("tum_mokh", "Моховское сельское поселение", T.RURAL_SETTLEMENT, "tum", 62.25, 43.40,
                  "Туманский р-н, д. Моховая", 2),
    TerritorySpec("bel", "Белоборский муниципальный район", T.MUNICIPAL_DISTRICT, "region", 62.80, 47.10,
                  "Белоборский р-н, с. Верхний Бор", 4),
    TerritorySpec("bel_gp", "Белоборское городское поселение", T.URBAN_SETTLEMENT, "bel", 62.82, 47.15,
                  "г. Белоборск", 8),
    TerritorySpec("bel_kuk", "Кукшинское сельское поселение", T.RURAL_SETTLEMENT, "bel", 62.95, 47.60,
                  "Белоборский р-н, с. Кукша", 2),
    TerritorySpec("led", "Ледозерский муниципальный округ", T.MUNICIPAL_OKRUG, "region", 64.10, 44.20,
                  "Ледозерский округ, пос. Ледозерск", 6),
    TerritorySpec("sig", "Сиговский муниципальный район", T.MUNICIPAL_DISTRICT, "region", 61.90, 46.00,
                  "Сиговский р-н, с. Сиговец", 4),
    TerritorySpec("sig_sp", "Нижнесиговское сельское поселение", T.RURAL_SETTLEMENT, "sig", 61.80, 46.20,
                  "Сиговский р-н, д. Нижний Сиг", 3),
]
# The municipalities: their administrations handle local questions on them and on their settlements.
MUNICIPAL_ADMINS = {"sev": "adm_sev", "krem": "adm_krem", "tum": "adm_tum", "bel": "adm_bel", "led": "adm_led",
                    "sig": "adm_sig"}

STREETS = [
    "ул. Полярная", "ул. Северная", "пр. Строителей", "ул. Лесная", "ул. Школьная", "ул. Набережная",
    "ул. Заводская", "ул. Молодёжная", "ул. Советская", "пер. Речной", "ул. Мира", "ул. Энергетиков",
    "ул. Сосновая", "ул. Озёрная", "ул. Кедровая", "ул. Первомайская", "пр. Победы", "ул. Садовая",
]

# --- organisations ----------------------------------------------------------------------------------

OK = Organization.Kind


@dataclass(frozen=True)
class OrgSpec:
    key: str
    name: str
    short: str
    kind: str
    parent: str | None
    territory: str | None
    slug: str  # prefix of the logins of its people
    executors: int = 1
    stand_in: bool = True  # has a stand-in of the responsible official in the registry
    head_title: str = "Руководитель"


ORGANIZATIONS: list[OrgSpec] = [
    OrgSpec("kom", "Комитет по взаимодействию с гражданами Северной области", "Комитет по работе с обращениями",
            OK.REGIONAL_BODY, None, "region", "kom", head_title="Председатель комитета"),
    OrgSpec("mintrans", "Министерство транспорта и дорожного хозяйства Северной области", "Минтранс области",
            OK.REGIONAL_BODY, None, "region", "mintrans", head_title="Министр"),
    OrgSpec("mingkh", "Министерство жилищно-коммунального хозяйства и энергетики Северной области",
            "Минжилкомхоз области", OK.REGIONAL_BODY, None, "region", "mingkh", executors=2, head_title="Министр"),
    OrgSpec("minzdrav", "Министерство здравоохранения Северной области", "Минздрав области", OK.REGIONAL_BODY,
            None, "region", "minzdrav", head_title="Министр"),
    OrgSpec("minobr", "Министерство образования Северной области", "Минобразования области", OK.REGIONAL_BODY,
            None, "region", "minobr", head_title="Министр"),
    OrgSpec("mineco", "Министерство природных ресурсов и экологии Северной области", "Минприроды области",
            OK.REGIONAL_BODY, None, "region", "mineco", head_title="Министр"),
    OrgSpec("minsoc", "Министерство социальной защиты населения Северной области", "Минсоцзащиты области",
            OK.REGIONAL_BODY, None, "region", "minsoc", head_title="Министр"),
    OrgSpec("minkult", "Министерство культуры и спорта Северной области", "Минкультспорт области",
            OK.REGIONAL_BODY, None, "region", "minkult", head_title="Министр"),
    OrgSpec("adm_sev", "Администрация города Северодольска", "Администрация Северодольска", OK.LOCAL_GOVERNMENT,
            None, "sev", "sev", executors=3, head_title="Глава города"),
    OrgSpec("adm_krem", "Администрация города Кремнегорска", "Администрация Кремнегорска", OK.LOCAL_GOVERNMENT,
            None, "krem", "krem", executors=2, head_title="Глава города"),
    OrgSpec("adm_tum", "Администрация Туманского муниципального района", "Администрация Туманского района",
            OK.LOCAL_GOVERNMENT, None, "tum", "tum", head_title="Глава района"),
    OrgSpec("adm_tum_gp", "Администрация Туманского городского поселения", "Администрация пгт Туманный",
            OK.LOCAL_GOVERNMENT, "adm_tum", "tum_gp", "tumgp", executors=0, head_title="Глава поселения"),
    OrgSpec("adm_bel", "Администрация Белоборского муниципального района", "Администрация Белоборского района",
            OK.LOCAL_GOVERNMENT, None, "bel", "bel", head_title="Глава района"),
    OrgSpec("adm_led", "Администрация Ледозерского муниципального округа", "Администрация Ледозерского округа",
            OK.LOCAL_GOVERNMENT, None, "led", "led", head_title="Глава округа"),
    OrgSpec("adm_sig", "Администрация Сиговского муниципального района", "Администрация Сиговского района",
            OK.LOCAL_GOVERNMENT, None, "sig", "sig", head_title="Глава района"),
    OrgSpec("cur", "ГАУ «Центр управления регионом Северной области»", "ЦУР Северной области", OK.INSTITUTION,
            "kom", "region", "cur", head_title="Директор"),
    OrgSpec("gku_roads", "ГКУ «Управление автомобильных дорог Северной области»", "Упрдор Северной области",
            OK.INSTITUTION, "mintrans", "region", "roads", executors=2, head_title="Начальник управления"),
    OrgSpec("gbuz", "ГБУЗ «Северодольская городская поликлиника № 2»", "Поликлиника № 2", OK.INSTITUTION,
            "minzdrav", "sev", "clinic", head_title="Главный врач"),
    OrgSpec("mku_blag", "МКУ «Служба благоустройства города Северодольска»", "Служба благоустройства",
            OK.INSTITUTION, "adm_sev", "sev", "blag", executors=2, head_title="Директор"),
    OrgSpec("kcso", "ГБУ «Комплексный центр социального обслуживания Туманского района»", "КЦСО Туманского района",
            OK.INSTITUTION, "minsoc", "tum", "kcso", head_title="Директор"),
    OrgSpec("teplo", "АО «Северные тепловые сети»", "Северные тепловые сети", OK.OTHER, None, "region", "teplo",
            executors=2, head_title="Генеральный директор"),
    OrgSpec("vodo", "МУП «Водоканал города Северодольска»", "Водоканал Северодольска", OK.OTHER, "adm_sev", "sev",
            "vodo", executors=2, head_title="Директор"),
    OrgSpec("energo", "АО «Северодольская электросетевая компания»", "Северодольская электросеть", OK.OTHER, None,
            "region", "energo", head_title="Генеральный директор"),
    OrgSpec("uk", "ООО «Управляющая компания „Северный квартал“»", "УК «Северный квартал»", OK.OTHER, None, "sev",
            "uk", stand_in=False, head_title="Директор"),
    OrgSpec("tko", "ООО «Экосервис-Север»", "Экосервис-Север (оператор ТКО)", OK.OTHER, None, "region", "tko",
            head_title="Генеральный директор"),
    OrgSpec("avto", "АО «Северодольское пассажирское автопредприятие»", "Северодольское ПАТП", OK.OTHER, None,
            "sev", "patp", head_title="Генеральный директор"),
]
ORG_SPECS = {spec.key: spec for spec in ORGANIZATIONS}
INCOMPLETE_ORGS = ("adm_tum_gp", "uk")  # left incomplete on purpose: the registry-health page shows them
STALE_ORGS = ("adm_sig",)  # data confirmed too long ago

# Fixed logins of the main organisation and of the region-wide roles; everyone else is <slug>-<role>N.
FIXED_LOGINS: dict[tuple[str, str], list[str]] = {
    ("adm_sev", Role.HEAD): ["head"],
    ("adm_sev", Role.COORDINATOR): ["coordinator"],
    ("adm_sev", Role.EXECUTOR): ["executor", "executor2", "executor3"],
    ("adm_sev", Role.AUTHORISED): ["authorised"],
    ("cur", Role.MODERATOR): ["moderator", "moderator2"],
    ("kom", Role.REGIONAL_COORDINATOR): ["regional"],
    ("kom", Role.ADMIN): ["admin"],
    ("kom", Role.PRIVACY_OFFICER): ["privacy"],
}
EXTRA_ROLES: list[tuple[str, str, int]] = [  # (organisation, role, how many) beyond head, coordinator, executors
    ("adm_sev", Role.AUTHORISED, 1), ("cur", Role.MODERATOR, 2), ("kom", Role.REGIONAL_COORDINATOR, 1),
    ("kom", Role.ADMIN, 1), ("adm_krem", Role.AUTHORISED, 1), ("minkult", Role.AUTHORISED, 1),
    ("kom", Role.PRIVACY_OFFICER, 1),
]

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

SHORT_ROLE: dict[str, str] = {
    Role.HEAD: "head", Role.COORDINATOR: "coord", Role.EXECUTOR: "exec", Role.AUTHORISED: "auth",
    Role.MODERATOR: "moder", Role.REGIONAL_COORDINATOR: "regional", Role.ADMIN: "admin",
    Role.PRIVACY_OFFICER: "privacy",
}
STAFF_POSITIONS = {
    Role.HEAD: "{head_title}",
    Role.COORDINATOR: "Начальник отдела по работе с обращениями граждан",
    Role.EXECUTOR: "Главный специалист",
    Role.AUTHORISED: "Консультант по общественным проектам",
    Role.MODERATOR: "Специалист-модератор",
    Role.REGIONAL_COORDINATOR: "Заместитель председателя комитета",
    Role.ADMIN: "Администратор платформы",
    Role.PRIVACY_OFFICER: "Ответственный за организацию обработки персональных данных",
}


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


# --- categories -------------------------------------------------------------------------------------

CLASSIFIER: list[tuple[str, str]] = [
    # A few codes of the federal thematic classifier (ТОТКО) to show the mapping; the full, current
    # classifier is imported from its official file. Every category has one (a subcategory without its
    # own takes its parent's), so that the SSTU.RF export of the demo is valid.
    ("0001.0000.0000.0000", "Государство, общество, политика"),
    ("0002.0000.0000.0000", "Социальная сфера"),
    ("0003.0000.0000.0000", "Экономика"),
    ("0004.0000.0000.0000", "Оборона, безопасность, законность"),
    ("0004.0015.0155.0946", "Строительство и ремонт дорог"),
    ("0005.0000.0000.0000", "Жилищно-коммунальная сфера"),
    ("0005.0005.0000.0000", "Жилище"),
    ("0005.0005.0056.0000", "Коммунальное хозяйство"),
    ("0005.0005.0056.1149", "Оплата жилищно-коммунальных услуг"),
    ("0005.0005.0056.1156", "Перебои в теплоснабжении"),
]


@dataclass(frozen=True)
class CategorySpec:
    code: str
    name: str
    keywords: str
    # Routing: the organisation for the whole region, and per municipality ("muni" = its administration).
    region_org: str | None = None
    local: str | None = None  # "muni", or an organisation that handles it on its own territory
    sev_org: str | None = None  # the organisation that handles it in Северодольск, if not the city administration
    days: int = 30
    accelerated: bool = False
    region_days: int | None = None
    classifier: str | None = None
    public: bool = True
    texts: tuple[str, ...] = ()
    children: tuple[CategorySpec, ...] = ()


def _c(code: str, name: str, keywords: str, *texts: str, **options: Any) -> CategorySpec:
    return CategorySpec(code=code, name=name, keywords=keywords, texts=texts, **options)


CATEGORIES: list[CategorySpec] = [
    _c("roads", "Автомобильные дороги", "дорога, трасса, шоссе, проезжая часть", region_org="gku_roads",
       local="muni", classifier="0004.0015.0155.0946", children=(
        _c("roads.potholes", "Ямы и разрушение дорожного покрытия", "яма, выбоина, асфальт, колея, провал",
           "На {addr} огромная яма на проезжей части, уже два автомобиля пробили колёса. Просьба срочно заделать.",
           "После ремонта прошлым летом асфальт у дома {addr} снова разрушился, образовалась колея глубиной "
           "сантиметров десять.",
           "Возле остановки на {addr} провал дорожного покрытия, в темноте его не видно. Прошу принять меры.",
           local="muni"),
        _c("roads.marking", "Дорожные знаки и разметка", "знак, разметка, зебра, пешеходный переход",
           "На пешеходном переходе у школы на {addr} полностью стёрлась разметка «зебра», дети переходят дорогу "
           "наугад.",
           "На перекрёстке у {addr} упал знак «Уступи дорогу», лежит на обочине уже неделю.",
           local="muni"),
        _c("roads.lights", "Светофоры", "светофор, сигнал, перекрёсток",
           "Светофор на перекрёстке у {addr} не работает третий день, водители проезжают как попало.",
           "На светофоре у {addr} слишком короткий зелёный сигнал для пешеходов, пожилые люди не успевают "
           "перейти.",
           local="muni"),
        _c("roads.sidewalks", "Тротуары и обочины", "тротуар, обочина, бордюр, пешеходная дорожка",
           "Тротуар вдоль {addr} разбит, после дождя сплошные лужи, с коляской не пройти.",
           "Вдоль дороги у {addr} нет тротуара, люди идут по проезжей части. Просим обустроить пешеходную "
           "дорожку.",
           local="muni"),
        _c("roads.snow", "Уборка снега и наледи на дорогах", "снег, наледь, гололёд, сугроб, посыпка",
           "Дорогу на {addr} не чистили от снега после снегопада, машины буксуют, автобус не может проехать.",
           "На {addr} сплошной гололёд, проезжую часть не посыпают. Утром было несколько аварий.",
           days=10, accelerated=True, region_days=7, local="muni"),
    )),
    _c("housing", "Жилищно-коммунальное хозяйство", "ЖКХ, коммунальные услуги, дом", region_org="mingkh",
       classifier="0005.0005.0056.0000", children=(
        _c("housing.heating", "Отопление", "отопление, батарея, холодно, теплоснабжение",
           "В квартире по адресу {addr} батареи чуть тёплые, температура в комнатах 16 градусов.",
           "В доме {addr} нет отопления уже двое суток, в квартирах маленькие дети.",
           "В подъезде дома {addr} течёт стояк отопления, вода заливает лестницу.",
           days=10, accelerated=True, region_org="teplo", classifier="0005.0005.0056.1156"),
        _c("housing.water", "Водоснабжение и водоотведение", "вода, водопровод, канализация, напор",
           "В доме {addr} нет холодной воды с утра, никаких объявлений об отключении не было.",
           "Из крана в квартире по адресу {addr} течёт ржавая вода с запахом.",
           "Во дворе дома {addr} засорился канализационный колодец, стоки текут по двору.",
           days=10, accelerated=True, local="vodo"),
        _c("housing.power", "Электроснабжение", "свет, электричество, отключение, напряжение",
           "В доме {addr} постоянно отключают электричество по вечерам, без предупреждения.",
           "На {addr} скачет напряжение, у соседей сгорел холодильник. Просим проверить сети.",
           days=10, accelerated=True, region_org="energo"),
        _c("housing.gas", "Газоснабжение", "газ, газификация, газовая плита",
           "Когда будет проведена газификация улицы {addr}? Заявку подавали два года назад.",
           "В подъезде дома {addr} чувствуется запах газа, аварийная служба приезжала, но запах остался."),
        _c("housing.waste", "Вывоз мусора (ТКО)", "мусор, контейнер, ТКО, вывоз, площадка",
           "Контейнеры на площадке у дома {addr} не вывозят уже неделю, мусор лежит вокруг.",
           "Прошу установить контейнерную площадку на {addr}, жители носят мусор за километр.",
           region_org="tko"),
        _c("housing.repair", "Капитальный ремонт домов", "капремонт, крыша, фасад, лифт",
           "В доме {addr} течёт крыша, капитальный ремонт переносят третий год подряд.",
           "Когда в доме {addr} заменят лифт? Он постоянно застревает между этажами."),
        _c("housing.management", "Работа управляющих компаний", "управляющая компания, подъезд, уборка",
           "Управляющая компания не убирает подъезд дома {addr}, на звонки не отвечает.",
           "В подъезде дома {addr} не горят лампочки на трёх этажах, управляющая компания бездействует.",
           local="muni", sev_org="uk"),
        _c("housing.payments", "Начисление платы за ЖКУ", "квитанция, начисление, плата, перерасчёт",
           "В квитанции за квартиру по адресу {addr} начислили плату за отопление в два раза больше прошлого "
           "месяца.",
           "Прошу сделать перерасчёт за горячую воду по адресу {addr}: воды не было три недели.",
           classifier="0005.0005.0056.1149", public=False),
    )),
    _c("blag", "Благоустройство", "двор, благоустройство, территория", region_org="mingkh", local="muni",
       classifier="0005.0005.0056.0000", children=(
        _c("blag.lighting", "Уличное освещение", "фонарь, освещение, темно",
           "На {addr} не горят фонари, вечером идти страшно, особенно детям из школы.",
           "Вдоль дороги к дому {addr} нет ни одного фонаря. Просим установить освещение.",
           local="muni"),
        _c("blag.yards", "Дворы и детские площадки", "детская площадка, двор, качели, скамейка",
           "На детской площадке во дворе дома {addr} сломаны качели, торчат острые края.",
           "Просим включить двор дома {addr} в программу благоустройства: нет ни скамеек, ни площадки.",
           local="muni"),
        _c("blag.green", "Озеленение и покос травы", "трава, деревья, покос, аварийное дерево",
           "Во дворе дома {addr} аварийное дерево наклонилось над детской площадкой.",
           "На {addr} вырубили деревья и не посадили новые. Прошу разъяснить, кто это разрешил.",
           local="muni", sev_org="mku_blag"),
        _c("blag.cleaning", "Уборка улиц и общественных пространств", "уборка, мусор на улице, грязь",
           "В сквере на {addr} давно не убирают, урны переполнены.",
           "На {addr} после ремонта теплотрассы остались горы грунта и строительный мусор.",
           local="muni", sev_org="mku_blag"),
        _c("blag.animals", "Безнадзорные животные", "собаки, бездомные животные, стая",
           "У дома {addr} живёт стая бездомных собак, бросаются на детей.",
           "Возле школы на {addr} бегают бездомные собаки, просим принять меры по отлову.",
           local="muni"),
    )),
    _c("transport", "Общественный транспорт", "автобус, маршрут, транспорт", region_org="mintrans", local="avto",
       classifier="0003.0000.0000.0000", children=(
        _c("transport.routes", "Маршруты и расписание", "расписание, маршрут, интервал",
           "Автобус от остановки на {addr} ходит раз в час вместо заявленных двадцати минут.",
           "Просим вернуть рейс в 6:40 от {addr}, люди не успевают на работу к восьми.",
           local="avto"),
        _c("transport.vehicles", "Состояние автобусов", "автобус, холодно в салоне, неисправность",
           "В автобусах, которые ходят через {addr}, не работает отопление, в салоне мороз.",
           "Водитель автобуса на остановке {addr} не дождался пассажира на коляске и уехал.",
           local="avto"),
        _c("transport.stops", "Остановки общественного транспорта", "остановка, павильон",
           "На остановке у {addr} нет павильона, люди ждут автобус под снегом.",
           "Остановочный павильон на {addr} разбит, стёкла выбиты.",
           local="muni"),
    )),
    _c("health", "Здравоохранение", "больница, поликлиника, врач", region_org="minzdrav", local="gbuz",
       classifier="0002.0000.0000.0000", children=(
        _c("health.appointment", "Запись к врачу", "запись, талон, врач-специалист",
           "Не могу записаться к эндокринологу в поликлинике на {addr}, талонов нет на месяц вперёд.",
           "В регистратуре поликлиники на {addr} невозможно дозвониться, запись через портал тоже недоступна.",
           local="gbuz"),
        _c("health.drugs", "Лекарственное обеспечение", "лекарства, льготные препараты, аптека",
           "Льготнику по адресу {addr} третий месяц не выдают положенный инсулин.",
           "В аптеке на {addr} нет льготных препаратов по рецептам, говорят ждать поставки.",
           public=False),
        _c("health.ambulance", "Работа скорой помощи", "скорая помощь, вызов, бригада",
           "Скорая помощь ехала на вызов по адресу {addr} больше полутора часов.",
           "Прошу разобраться: бригада скорой не стала госпитализировать пожилую соседку с {addr}."),
        _c("health.clinics", "Работа поликлиник и больниц", "поликлиника, очередь, ремонт больницы",
           "В поликлинике на {addr} огромные очереди, работает один терапевт на весь участок.",
           "В фельдшерско-акушерском пункте на {addr} уже полгода нет фельдшера.",
           local="gbuz"),
    )),
    _c("edu", "Образование", "школа, детский сад, образование", region_org="minobr", classifier="0002.0000.0000.0000",
       children=(
        _c("edu.kindergarten", "Детские сады", "детский сад, очередь в сад, группа",
           "Ребёнку три года, а места в детском саду рядом с домом {addr} так и не дали.",
           "В детском саду на {addr} в группах холодно, дети болеют.",
           local="muni"),
        _c("edu.school", "Школы", "школа, учитель, подвоз, питание",
           "Школьный автобус не забирает детей с остановки на {addr}, приходится идти пешком три километра.",
           "В школе на {addr} нет учителя физики с начала года."),
        _c("edu.diary", "Электронный дневник", "электронный дневник, оценки, вход",
           "Не могу войти в электронный дневник ребёнка, школа на {addr} ссылается на сбой в системе.",
           "В электронном дневнике школы на {addr} оценки не выставляются неделями."),
    )),
    _c("eco", "Экология", "экология, загрязнение, природа", region_org="mineco", classifier="0003.0000.0000.0000",
       children=(
        _c("eco.dumps", "Несанкционированные свалки", "свалка, мусор в лесу",
           "За домом {addr} в лесу образовалась стихийная свалка, туда возят строительный мусор.",
           "На берегу у {addr} свалка покрышек и бытового мусора.",
           local="muni"),
        _c("eco.air", "Загрязнение воздуха", "дым, запах, выбросы",
           "По вечерам над районом {addr} стоит едкий дым, похоже жгут мусор.",
           "От котельной у {addr} идёт чёрный дым, невозможно открыть окна."),
        _c("eco.water", "Загрязнение водоёмов", "река, озеро, сброс, стоки",
           "В реку у {addr} сбрасывают сточные воды, появилась пена и запах.",
           "На озере у {addr} масляные пятна на воде, погибла рыба."),
    )),
    _c("social", "Социальная защита", "пособие, льгота, социальная помощь", region_org="minsoc", local="kcso",
       public=False, classifier="0002.0000.0000.0000", children=(
        _c("social.benefits", "Пособия и выплаты", "пособие, выплата, компенсация",
           "Единое пособие на ребёнка не пришло в этом месяце, заявление подавала в МФЦ на {addr}.",
           "Мне как пенсионеру, проживающему по адресу {addr}, отказали в компенсации расходов на ЖКУ.",
           public=False),
        _c("social.families", "Поддержка многодетных семей", "многодетная семья, удостоверение, льготы",
           "Многодетной семье по адресу {addr} уже полгода не выдают удостоверение.",
           "Как многодетной семье с {addr} получить земельный участок или выплату взамен?",
           public=False),
        _c("social.home_care", "Социальное обслуживание на дому", "соцработник, уход на дому",
           "Соцработник приходит к моей маме по адресу {addr} раз в две недели вместо двух раз в неделю.",
           "Прошу оформить социальное обслуживание на дому для одинокого соседа с {addr}.",
           local="kcso", public=False),
    )),
    _c("culture", "Культура и спорт", "культура, спорт, клуб, библиотека", region_org="minkult",
       classifier="0002.0000.0000.0000", children=(
        _c("culture.venues", "Учреждения культуры", "дом культуры, библиотека, музей",
           "В доме культуры на {addr} протекает крыша, кружки перестали работать.",
           "Библиотеку на {addr} закрыли на ремонт два года назад и до сих пор не открыли."),
        _c("culture.sport", "Спортивные объекты и секции", "стадион, спортплощадка, каток, секция",
           "Просим залить каток во дворе у {addr}, как было в прошлые годы.",
           "Спортивная площадка у школы на {addr} закрыта для жителей по выходным."),
    )),
    _c("telecom", "Связь и интернет", "связь, интернет, сотовая сеть", region_org="kom",
       classifier="0003.0000.0000.0000", children=(
        _c("telecom.mobile", "Мобильная связь и интернет", "нет связи, мобильный интернет, вышка",
           "В {addr} нет мобильной связи, чтобы позвонить, нужно выходить на дорогу.",
           "Мобильный интернет на {addr} не работает с начала месяца."),
    )),
    _c("other", "Иное", "прочее", "Прошу разъяснить, куда обращаться по вопросу регистрации по месту жительства "
       "на {addr}.", "Хочу предложить установить информационный стенд о работе администрации у {addr}.",
       region_org="kom", classifier="0001.0000.0000.0000"),
]

ANSWERS: dict[str, list[str]] = {
    "roads": [
        "Сообщение рассмотрено. Подрядная организация выполнила ямочный ремонт покрытия на указанном участке; "
        "работы приняты комиссией, фотографии приложены.",
        "Участок включён в план ремонта автомобильных дорог на следующий год. До начала работ дорожная служба "
        "проведёт временный ремонт в течение 10 дней.",
    ],
    "housing": [
        "Специалисты провели обследование. Неисправность устранена, параметры услуги восстановлены; "
        "контроль проведён с участием представителя жителей.",
        "По результатам проверки ресурсоснабжающей организации выдано предписание. Работы будут завершены до "
        "конца месяца, перерасчёт платы будет сделан в следующей квитанции.",
    ],
    "blag": [
        "Работы по благоустройству на указанной территории выполнены, акт выполненных работ и фотографии "
        "приложены.",
        "Объект включён в муниципальную программу благоустройства. Работы запланированы на май–июнь "
        "следующего года, жители будут проинформированы.",
    ],
    "transport": [
        "Перевозчику указано на нарушение расписания. Рейсы восстановлены, проведена проверка соблюдения "
        "интервалов движения.",
        "Вопрос рассмотрен на рабочей группе по транспортному обслуживанию. Изменения в расписание будут "
        "внесены с 1 числа следующего месяца.",
    ],
    "health": [
        "Проведена проверка. Запись к специалисту организована, с вами свяжутся из регистратуры для "
        "согласования даты приёма.",
        "Факты, изложенные в сообщении, подтвердились частично. Руководству учреждения указано на недостатки, "
        "приняты меры по увеличению числа талонов.",
    ],
    "edu": [
        "Управлением образования проведена проверка. Вопрос решён, родителям даны разъяснения.",
        "Место в дошкольном учреждении будет предоставлено в порядке очереди; актуальную позицию можно "
        "посмотреть в личном кабинете на портале госуслуг.",
    ],
    "eco": [
        "Проведено обследование территории. Свалка ликвидирована, виновные лица установлены и привлечены к "
        "ответственности.",
        "Взяты пробы воды и воздуха; превышений нормативов не выявлено. Наблюдение продолжится в течение "
        "месяца.",
    ],
    "social": [
        "Выплата перечислена, задержка была вызвана проверкой сведений о доходах. Приносим извинения.",
        "Вам даны разъяснения о порядке получения меры поддержки. Специалист центра социального обслуживания "
        "свяжется с вами для оформления документов.",
    ],
    "culture": [
        "Учреждение возобновило работу кружков, график занятий размещён на сайте.",
        "Заливка катка запланирована после установления устойчивых морозов, ориентировочно в середине декабря.",
    ],
    "telecom": [
        "Запрос направлен операторам связи. Строительство базовой станции включено в программу устранения "
        "цифрового неравенства.",
    ],
    "other": [
        "Вам даны разъяснения по существу вопроса, контактные данные профильного органа приведены в ответе.",
    ],
}
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
    """What the reference-data builder made, handed to the appeal simulation."""

    territories: dict[str, Territory]
    organizations: dict[str, Organization]
    categories: dict[str, Category]
    leaves: list[tuple[Category, CategorySpec]]
    staff: dict[tuple[str, str], list[User]]  # (organisation key, role) → people
    absences: list[Absence]
    citizen: User
    org_key: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.org_key = {org.pk: key for key, org in self.organizations.items()}

    def people(self, org: Organization, role: str) -> list[User]:
        return self.staff.get((self.org_key[org.pk], role), [])


def _email(username: str) -> str:
    return f"{username}@{EMAIL_DOMAIN}"


def _phone(rng: random.Random) -> str:
    return f"+7 (8{rng.randint(10, 99)}) {rng.randint(200, 799)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"


def _place(territory_key: str | None) -> str:
    # Regional bodies sit in the regional centre.
    key = "sev" if territory_key in {None, "region"} else territory_key
    return next(spec.place for spec in TERRITORIES if spec.key == key)


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


def _build_territories() -> dict[str, Territory]:
    made: dict[str, Territory] = {}
    outlines = _boundaries()
    for spec in TERRITORIES:
        made[spec.key] = Territory.objects.create(
            name=spec.name, kind=spec.kind, parent=made[spec.parent] if spec.parent else None,
            centre_lat=spec.lat, centre_lon=spec.lon, boundary=outlines[spec.key],
        )
    return made


def _build_organizations(
    rng: random.Random, names: NameMaker, territories: dict[str, Territory], now: dt.datetime
) -> dict[str, Organization]:
    made: dict[str, Organization] = {}
    for spec in ORGANIZATIONS:
        org = Organization(
            name=spec.name, short_name=spec.short, kind=spec.kind, parent=made[spec.parent] if spec.parent else None,
            territory=territories[spec.territory] if spec.territory else None,
            address=f"{_place(spec.territory)}, {rng.choice(STREETS)}, д. {rng.randint(1, 60)}",
            phone=_phone(rng), email=f"priem-{spec.slug}@{EMAIL_DOMAIN}",
            portal_id=str(rng.randint(100000, 999999)), sstu_department_guid=sstu_guid(spec.key),
        )
        registry_save(actor=None, instance=org)
        made[spec.key] = org
        responsible = names.person()
        registry_save(actor=None, instance=Official(
            organization=org, kind=Official.Kind.RESPONSIBLE, full_name=responsible.full,
            position=f"Заместитель руководителя ({spec.head_title.lower()})" if spec.kind == OK.OTHER
            else "Первый заместитель руководителя", phone=_phone(rng), email=f"zam-{spec.slug}@{EMAIL_DOMAIN}",
        ))
        if spec.stand_in:
            stand_in = names.person()
            registry_save(actor=None, instance=Official(
                organization=org, kind=Official.Kind.STAND_IN, full_name=stand_in.full,
                position="Заместитель руководителя", phone=_phone(rng), email=f"zam2-{spec.slug}@{EMAIL_DOMAIN}",
            ))
        # Most organisations confirmed their data recently; the registry-health page shows the rest.
        if spec.key in INCOMPLETE_ORGS:
            confirmed = None
        elif spec.key in STALE_ORGS:
            confirmed = now - dt.timedelta(days=150 + rng.randint(0, 30))
        else:
            confirmed = now - dt.timedelta(days=rng.randint(2, 80), hours=rng.randint(0, 8))
        Organization.objects.filter(pk=org.pk).update(data_confirmed_at=confirmed)
        org.data_confirmed_at = confirmed
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
    without a stand-in of the responsible official names no stand-ins at all. Built after the people,
    from the names' own random stream, so the rest of the demo comes out as before."""
    rng = names.rng
    for spec in ORGANIZATIONS:
        org = organizations[spec.key]
        for kind, position in DUTY_POSITIONS.items():
            if kind in (Official.Kind.EXECUTOR_STAND_IN, Official.Kind.AUTHORISED_STAND_IN) and not spec.stand_in:
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
    rng: random.Random, names: NameMaker, organizations: dict[str, Organization], today: dt.date
) -> tuple[dict[tuple[str, str], list[User]], list[Absence], User]:
    # One hash for everybody: hashing is deliberately slow, and every demo account shares the password.
    password = make_password(DEMO_PASSWORD)
    wanted: list[tuple[str, str, str]] = []  # (organisation key, role, login)
    extra = {(org, role): count for org, role, count in EXTRA_ROLES}
    for spec in ORGANIZATIONS:
        counts: dict[str, int] = {Role.HEAD: 1, Role.COORDINATOR: 1, Role.EXECUTOR: spec.executors}
        for (org_key, role), count in extra.items():
            if org_key == spec.key:
                counts[role] = count
        for role, count in counts.items():
            fixed = FIXED_LOGINS.get((spec.key, role), [])
            for number in range(count):
                # Executors are numbered (there are often several); a single head or coordinator is not.
                suffix = str(number + 1) if count > 1 or role == Role.EXECUTOR else ""
                login = fixed[number] if number < len(fixed) else f"{spec.slug}-{SHORT_ROLE[role]}{suffix}"
                wanted.append((spec.key, role, login))

    users: list[User] = []
    for org_key, role, login in wanted:
        person = names.person()
        position = STAFF_POSITIONS[Role(role)].format(head_title=ORG_SPECS[org_key].head_title)
        users.append(User(
            username=login, password=password, first_name=person.first, last_name=person.last,
            patronymic=person.patronymic, email=_email(login), position=position, phone=_phone(rng),
            is_staff=role == Role.ADMIN, is_superuser=role == Role.ADMIN,
        ))
    citizen_person = names.person()
    users.append(User(username=CITIZEN_LOGIN, password=password, first_name=citizen_person.first,
                      last_name=citizen_person.last, patronymic=citizen_person.patronymic,
                      email=_email(CITIZEN_LOGIN)))
    created = {user.username: user for user in User.objects.bulk_create(users)}
    if any(user.pk is None for user in created.values()):  # backends without RETURNING on bulk insert
        created = {user.username: user for user in User.objects.filter(username__in=list(created))}

    staff: dict[tuple[str, str], list[User]] = {}
    memberships = []
    for org_key, role, login in wanted:
        user = created[login]
        staff.setdefault((org_key, role), []).append(user)
        memberships.append(Membership(user=user, organization=organizations[org_key], role=role))
    Membership.objects.bulk_create(memberships)

    def one(login: str) -> User:
        return created[login]

    day = dt.timedelta(days=1)
    absences = [
        # Active today: the executor's colleague is on leave, so «executor» works as a stand-in too.
        Absence(user=one("executor3"), reason=Absence.Reason.VACATION, starts_on=today - 5 * day,
                ends_on=today + 9 * day, stand_in=one("executor"), note="Ежегодный отпуск"),
        Absence(user=one("head"), reason=Absence.Reason.ILLNESS, starts_on=today - 32 * day,
                ends_on=today - 26 * day, stand_in=one("coordinator")),
        Absence(user=one("teplo-exec1"), reason=Absence.Reason.BUSINESS_TRIP, starts_on=today - 20 * day,
                ends_on=today - 16 * day, stand_in=one("teplo-exec2"), note="Командировка в Кремнегорск"),
        Absence(user=one("minzdrav-head"), reason=Absence.Reason.STUDY, starts_on=today - 12 * day,
                ends_on=today - 10 * day, stand_in=one("minzdrav-coord"), note="Курсы повышения квалификации"),
        Absence(user=one("krem-coord"), reason=Absence.Reason.VACATION, starts_on=today + 10 * day,
                ends_on=today + 23 * day, stand_in=one("krem-head")),
    ]
    Absence.objects.bulk_create(absences)
    return staff, absences, created[CITIZEN_LOGIN]


def _build_categories(
    territories: dict[str, Territory], organizations: dict[str, Organization]
) -> tuple[dict[str, Category], list[tuple[Category, CategorySpec]]]:
    codes = {
        code: ClassifierCode.objects.get_or_create(version=CLASSIFIER_VERSION, code=code, defaults={"name": name})[0]
        for code, name in CLASSIFIER
    }
    made: dict[str, Category] = {}
    leaves: list[tuple[Category, CategorySpec]] = []
    rules: list[RoutingRule] = []

    def add(spec: CategorySpec, parent: Category | None) -> None:
        category = Category.objects.create(
            parent=parent, code=spec.code, name=spec.name, keywords=spec.keywords, answer_days=spec.days,
            procedure=Category.Procedure.ACCELERATED if spec.accelerated else Category.Procedure.ORDINARY,
            region_answer_days=spec.region_days,
            classifier_code=codes.get(spec.classifier or "") or (parent.classifier_code if parent else None),
            is_public=spec.public,
        )
        made[spec.code] = category
        # Region-wide rule: the category's own organisation; a subcategory without one inherits its parent's.
        if spec.region_org:
            rules.append(RoutingRule(category=category, organization=organizations[spec.region_org]))
        elif parent is None:
            raise DemoError(f"category {spec.code} has no region-wide organisation")
        local: dict[str, str] = {}  # territory key → organisation key
        if spec.local == "muni":
            # Local questions go to the municipality's administration; the urban settlement has its own.
            local = {**MUNICIPAL_ADMINS, "tum_gp": "adm_tum_gp"}
        elif spec.local:
            local = {ORG_SPECS[spec.local].territory or "region": spec.local}
        if spec.sev_org:
            local["sev"] = spec.sev_org
        for terr_key, org_key in local.items():
            rules.append(RoutingRule(category=category, territory=territories[terr_key],
                                     organization=organizations[org_key]))
        for child in spec.children:
            add(child, category)
        if not spec.children:
            leaves.append((category, spec))

    for spec in CATEGORIES:
        add(spec, None)
    RoutingRule.objects.bulk_create(rules)
    return made, leaves


def _build_calendar_and_topics(today: dt.date) -> None:
    Topic.objects.bulk_create([Topic(name=name) for name in TOPICS])
    # The region's own day off (an invented regional holiday) this year and next, and one working
    # Saturday that compensates a bridge day: both change deadlines the way the real calendar would.
    overrides: list[CalendarOverride] = []
    for year in (today.year, today.year + 1):
        overrides.append(CalendarOverride(day=dt.date(year, 9, 14), kind=CalendarOverride.Kind.DAY_OFF,
                                          note="День Северной области"))
    saturday = dt.date(today.year, 12, 1)
    while saturday.weekday() != 5:
        saturday += dt.timedelta(days=1)
    overrides.append(CalendarOverride(day=saturday, kind=CalendarOverride.Kind.WORKING_DAY,
                                      note="Рабочая суббота по постановлению губернатора"))
    CalendarOverride.objects.bulk_create(overrides)


# --- the appeals: scripted journeys replayed in time order ------------------------------------------


@dataclass
class Step:
    action: str
    delay_h: tuple[float, float] = (0.0, 0.0)  # hours after the previous step, drawn uniformly
    args: dict[str, Any] = field(default_factory=dict)
    office_hours: bool = True  # staff act in working hours; citizens at any time


@dataclass
class Plan:
    number: int
    scenario: str
    regime: str
    category: Category
    spec: CategorySpec
    territory: Territory
    organization: Organization  # who ends up handling it
    text: str
    address: str
    steps: list[Step]
    rng: random.Random
    submitted_category: Category | None = None
    first_organization: Organization | None = None
    times: list[dt.datetime] = field(default_factory=list)
    appeal_id: int | None = None
    appeal: Appeal | None = None  # as the last action left it


@dataclass(frozen=True)
class Scenario:
    name: str
    target: State
    regimes: tuple[str, ...]
    weight: float
    max_age_days: float


POS, FZ59, SOCIAL = Regime.POS.value, Regime.FZ59.value, Regime.SOCIAL.value
ALL = (POS, FZ59, SOCIAL)
SCENARIOS = [
    Scenario("received", State.RECEIVED, (FZ59,), 1, 2.5),
    Scenario("moderation", State.MODERATION, ALL, 3, 1.5),
    Scenario("coordination", State.COORDINATION, ALL, 3, 4),
    Scenario("execution", State.EXECUTION, ALL, 10, 40),
    Scenario("postponed", State.POSTPONED, (POS,), 5, 45),
    Scenario("approval", State.APPROVAL, ALL, 4, 30),
    Scenario("approved", State.APPROVED, ALL, 2, 20),
    Scenario("answered", State.ANSWERED, ALL, 8, 25),
    Scenario("closed", State.CLOSED, ALL, 26, 60),
    Scenario("rejected", State.REJECTED, (POS, SOCIAL), 7, 60),
    Scenario("left_without_answer", State.LEFT_WITHOUT_ANSWER, (FZ59,), 2, 60),
    Scenario("transferred", State.TRANSFERRED, (FZ59,), 2, 60),
    Scenario("extended", State.EXECUTION, (FZ59,), 2, 50),
    Scenario("reconsideration", State.EXECUTION, (POS,), 2, 40),
    Scenario("closed_rework", State.CLOSED, (POS, FZ59), 5, 60),
    Scenario("closed_redirect", State.CLOSED, (POS, FZ59), 4, 60),
    Scenario("closed_returned", State.CLOSED, (POS,), 3, 60),
    Scenario("closed_postponed", State.CLOSED, (POS,), 3, 60),
]
REGIME_WEIGHTS = {POS: 0.65, FZ59: 0.2, SOCIAL: 0.15}
CATEGORY_WEIGHTS = {"housing": 30, "roads": 20, "blag": 18, "transport": 7, "health": 7, "edu": 5, "eco": 4,
                    "social": 4, "culture": 2, "telecom": 2, "other": 1}


def _hours(low: float, high: float) -> tuple[float, float]:
    return (low, high)


def _days(low: float, high: float) -> tuple[float, float]:
    return (low * 24, high * 24)


class Simulation:
    """Plans journeys, then replays every scripted action through the services in time order."""

    def __init__(self, registry: Registry, rng: random.Random, now: dt.datetime, cal: WorkingCalendar) -> None:
        self.registry = registry
        self.rng = rng
        self.now = now
        self.cal = cal
        self.org_key = registry.org_key
        self.moderators = registry.staff[("cur", Role.MODERATOR)]
        self.absent: dict[int, list[Absence]] = {}
        for absence in registry.absences:
            self.absent.setdefault(absence.user_id, []).append(absence)
        self.names = NameMaker(random.Random(rng.random()))
        self.route_cache: dict[tuple[int, int], Organization | None] = {}
        self.orgs_by_id = {org.pk: org for org in registry.organizations.values()}
        self.users_by_id = {user.pk: user for people in registry.staff.values() for user in people}
        self.centres = {registry.territories[spec.key].pk: (spec.lat, spec.lon) for spec in TERRITORIES}
        self.plans: list[Plan] = []

    # --- who acts ----------------------------------------------------------------------------------

    def present(self, user: User, at: dt.datetime) -> User:
        """The person who does ``user``'s work at ``at``: ``user``, or their stand-in while they are away."""
        day = self.cal.local_date(at)
        for absence in self.absent.get(user.pk, []):
            if absence.starts_on <= day <= absence.ends_on:
                return absence.stand_in
        return user

    def is_away(self, user: User, at: dt.datetime) -> bool:
        return self.present(user, at) is not user

    def one_of(self, org: Organization, role: str, at: dt.datetime, rng: random.Random) -> User:
        people = self.registry.people(org, role)
        if not people:
            raise DemoError(f"{org} has no {role}")
        return self.present(rng.choice(people), at)

    def executors(self, org: Organization) -> list[User]:
        return self.registry.people(org, Role.EXECUTOR)

    # --- planning ----------------------------------------------------------------------------------

    def route(self, category: Category, territory: Territory) -> Organization:
        key = (category.pk, territory.pk)
        if key not in self.route_cache:
            self.route_cache[key] = route_organization(category=category, territory=territory)
        found = self.route_cache[key]
        if found is None:
            raise DemoError(f"no routing rule for {category} on {territory}")
        return found

    def plan_all(self, count: int) -> None:
        by_target: dict[State, Scenario] = {}
        for scenario in SCENARIOS:
            by_target.setdefault(scenario.target, scenario)
        # Every state first, so even a small demo shows each of them; the rest by weight.
        chosen = [by_target[state] for state in State if state in by_target][:count]
        weights = [s.weight for s in SCENARIOS]
        chosen += self.rng.choices(SCENARIOS, weights=weights, k=max(0, count - len(chosen)))
        for number, scenario in enumerate(chosen):
            self.plans.append(self.plan_one(number, scenario))

    def pick_category(self, rng: random.Random) -> tuple[Category, CategorySpec]:
        top = rng.choices(list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()))[0]
        leaves = [(cat, spec) for cat, spec in self.registry.leaves if spec.code.split(".")[0] == top]
        return rng.choice(leaves)

    def pick_territory(self, rng: random.Random) -> tuple[Territory, TerritorySpec]:
        specs = [spec for spec in TERRITORIES if spec.weight]
        spec = rng.choices(specs, weights=[s.weight for s in specs])[0]
        return self.registry.territories[spec.key], spec

    def plan_one(self, number: int, scenario: Scenario) -> Plan:
        rng = random.Random(self.rng.random())
        regimes = list(scenario.regimes)
        regime = rng.choices(regimes, weights=[REGIME_WEIGHTS[r] for r in regimes])[0]
        category, spec = self.pick_category(rng)
        territory, terr_spec = self.pick_territory(rng)
        address = f"{terr_spec.place}, {rng.choice(STREETS)}, д. {rng.randint(1, 85)}"
        if scenario.name == "rejected":
            reason = rng.choice([*SPAM_TEXTS, "duplicate"])
            text = SPAM_TEXTS.get(reason) or rng.choice(spec.texts).format(addr=address)
        else:
            reason = ""
            text = rng.choice(spec.texts).format(addr=address)
        # A tenth of citizens pick only the category, not the subcategory.
        if category.parent is not None and rng.random() < 0.1:
            category = category.parent
        organization = self.route(category, territory)
        plan = Plan(number=number, scenario=scenario.name, regime=regime, category=category, spec=spec,
                    territory=territory, organization=organization, text=text, address=address, steps=[], rng=rng)
        plan.steps = self.steps_for(plan, scenario, reject_reason=reason)
        self.schedule(plan, scenario)
        return plan

    def answering_orgs(self) -> list[Organization]:
        return [org for org in self.registry.organizations.values()
                if self.executors(org) and self.org_key[org.pk] not in {"cur", "kom"}]

    def steps_for(self, plan: Plan, scenario: Scenario, *, reject_reason: str) -> list[Step]:
        rng, name, regime = plan.rng, scenario.name, plan.regime
        # The regional management centre answers social posts within hours; other work takes days.
        fast = regime == SOCIAL
        steps = [Step("submit", office_hours=False)]
        if name == "received":  # a 59-FZ appeal waiting for registration (platform messages register at once)
            return steps
        if regime == FZ59:
            steps.append(Step("register", _hours(2, 40)))
        if name == "moderation":
            return steps
        if name == "rejected":
            steps.append(Step("reject", _hours(0.5, 20), {"reason": reject_reason}))
            return steps
        if plan.category.parent is not None and rng.random() < 0.08:
            # The citizen chose a wrong category; the moderator fixes it before routing.
            wrong, _spec = self.pick_category(rng)
            if wrong.pk != plan.category.pk:
                plan.submitted_category = wrong
                steps.append(Step("reclassify", _hours(0.3, 6)))

        detour = {"closed_redirect": "redirect", "closed_returned": "return"}.get(name)
        if detour:
            others = [org for org in self.answering_orgs() if org.pk != plan.organization.pk]
            plan.first_organization = rng.choice(others)
            steps.append(Step("accept", _hours(0.2, 2) if fast else _hours(0.5, 16),
                              {"organization": plan.first_organization}))
            if detour == "redirect":
                steps.append(Step("redirect", _hours(2, 30), {"to": plan.organization}))
            else:
                steps.append(Step("return_to_moderation", _hours(2, 30)))
                steps.append(Step("route", _hours(1, 10), {"to": plan.organization}))
        else:
            steps.append(Step("accept", _hours(0.2, 2) if fast else _hours(0.5, 16)))
        if name == "coordination":
            return steps
        if not self.executors(plan.organization):
            # No executor in the registry: the coordinator hands it to the parent organisation.
            parent = plan.organization.parent
            if parent is None or not self.executors(parent):
                raise DemoError(f"{plan.organization} has no executors and no parent to hand work to")
            steps.append(Step("redirect", _hours(2, 24), {"to": parent}))
            plan.organization = parent
        if name == "transferred":
            steps.append(Step("transfer", _hours(4, 60)))
            return steps
        steps.append(Step("assign", _hours(0.2, 3) if fast else _hours(1, 30)))

        term_h = self.term_hours(plan)
        late = rng.random() < 0.07
        if regime == SOCIAL:
            steps.append(Step("intermediate", _hours(0.3, 3)))
        elif rng.random() < 0.15:
            steps.append(Step("intermediate", _days(1, 4)))
        if name == "extended":
            steps.append(Step("extend", (0.4 * term_h, 0.8 * term_h)))
            return steps
        if name == "left_without_answer":
            steps.append(Step("leave_without_answer", _days(1, 6)))
            return steps
        if name == "execution":
            if rng.random() < 0.4:
                steps.append(Step("draft", _days(0.5, 5)))
            return steps
        if name in {"postponed", "closed_postponed"}:
            steps.append(Step("postpone", (0.2 * term_h, 0.6 * term_h)))
            if name == "postponed":
                return steps
            steps.append(Step("reassign", _days(3, 8)))
            steps.append(Step("draft", _days(5, 15)))
        else:
            low, high = (0.95, 1.25) if late else (0.1, 0.5)
            steps.append(Step("draft", (low * term_h, high * term_h)))
        steps.append(Step("send_for_approval", _hours(0.5, 20)))
        if name == "approval":
            return steps
        if name == "closed_rework" or rng.random() < 0.05:
            steps.append(Step("return_for_rework", _hours(2, 30)))
            steps.append(Step("draft", _days(0.5, 3)))
            steps.append(Step("send_for_approval", _hours(0.5, 8)))
        steps.append(Step("approve", _hours(1, 24)))
        if name == "approved":
            return steps
        steps.append(Step("publish", _hours(0.3, 8)))
        if name == "answered":
            return steps
        if name == "reconsideration":
            steps.append(Step("rate", _days(0.5, 5), {"rating": rng.choice([1, 2])}, office_hours=False))
            return steps
        if regime == SOCIAL:
            steps.append(Step("close", _days(1, 3)))
        else:
            steps.append(Step("rate", _days(0.3, 6), {"rating": rng.choice([3, 4, 4, 5, 5, 5])}, office_hours=False))
        return steps

    def term_hours(self, plan: Plan) -> float:
        if plan.regime == SOCIAL:
            return 9 * 24.0  # the final answer is due 7 working days after the intermediate one
        if plan.regime == FZ59:
            return 30 * 24.0
        return float(plan.category.effective_answer_days * 24)

    def at_work(self, moment: dt.datetime, rng: random.Random) -> dt.datetime:
        """``moment`` if it falls in working hours, else the start of the next working day (give or take)."""
        local = self.cal.local(moment)
        day = local.date()
        start = dt.datetime.combine(day, dt.time(9, 0), tzinfo=self.cal.tz)
        end = dt.datetime.combine(day, dt.time(18, 0), tzinfo=self.cal.tz)
        if self.cal.is_working_day(day) and start <= local < end:
            return moment
        if not (self.cal.is_working_day(day) and local < start):
            day = self.cal.next_working_day(day + dt.timedelta(days=1))
        return dt.datetime.combine(day, dt.time(9, 0), tzinfo=self.cal.tz) + dt.timedelta(
            minutes=rng.randint(0, 150))

    def timeline(self, plan: Plan, start: dt.datetime, draws: list[float]) -> list[dt.datetime]:
        times = [start]
        moment = start
        for step, draw in zip(plan.steps[1:], draws, strict=True):
            low, high = step.delay_h
            moment = moment + dt.timedelta(hours=low + (high - low) * draw)
            if step.office_hours:
                moment = self.at_work(moment, plan.rng)
            times.append(moment)
        return times

    def schedule(self, plan: Plan, scenario: Scenario) -> None:
        rng = plan.rng
        draws = [rng.random() for _ in plan.steps[1:]]
        nominal_h = sum(low + (high - low) * d for (low, high), d in zip((s.delay_h for s in plan.steps[1:]), draws,
                                                                         strict=True))
        latest = self.now - dt.timedelta(minutes=10)
        min_age_h = nominal_h + 12
        max_age_days = min(scenario.max_age_days, HISTORY_DAYS)
        if scenario.target in OPEN_STATES and scenario.target != State.POSTPONED and scenario.name != "extended":
            # Open work is mostly within its term: only a minority of it is overdue.
            max_age_days = min(max_age_days, self.term_hours(plan) / 24 * 1.2 + 1)
        max_age_h = max(min_age_h, max_age_days * 24)
        age_h = rng.uniform(min_age_h, max_age_h)
        start = self.cal.local(self.now - dt.timedelta(hours=age_h)).replace(
            hour=rng.randint(7, 22), minute=rng.randint(0, 59))
        if plan.regime == SOCIAL:
            start = start.replace(hour=rng.randint(0, 23))
        for _attempt in range(8):
            times = self.timeline(plan, start, draws)
            if times[-1] <= latest:
                break
            start -= times[-1] - latest + dt.timedelta(hours=2)
        else:
            # Could not fit before now (a long holiday): the journey simply stops earlier.
            keep = sum(1 for moment in times if moment <= latest)
            plan.steps, times = plan.steps[:keep], times[:keep]
        plan.times = times

    # --- replaying ----------------------------------------------------------------------------------

    def run(self) -> None:
        queue: list[tuple[dt.datetime, int, int]] = [
            (plan.times[0], plan.number, 0) for plan in self.plans if plan.steps
        ]
        heapq.heapify(queue)
        if not queue:
            return
        # The sweeper runs every simulated morning, as the real one would have.
        next_sweep = self.cal.local(queue[0][0]).replace(hour=7, minute=0, second=0, microsecond=0)
        while queue:
            moment, number, index = heapq.heappop(queue)
            while next_sweep <= moment:
                sweep(now=next_sweep)
                next_sweep += dt.timedelta(days=1)
            plan = self.plans[number]
            self.perform(plan, plan.steps[index], moment)
            if index + 1 < len(plan.steps):
                heapq.heappush(queue, (plan.times[index + 1], number, index + 1))
        sweep(now=self.now)

    def perform(self, plan: Plan, step: Step, now: dt.datetime) -> None:
        try:
            plan.appeal = getattr(self, f"do_{step.action}")(plan, now, **step.args)
        except services.AppealError as exc:
            raise DemoError(
                f"appeal #{plan.number} ({plan.scenario}, {plan.regime}) step {step.action} at {now.isoformat()}: "
                f"{exc.code}: {exc.message}"
            ) from exc

    # Each action returns the appeal as the service left it; the next action of the plan reads it.

    def organization_of(self, plan: Plan) -> Organization:
        assert plan.appeal is not None and plan.appeal.organization_id is not None
        return self.orgs_by_id[plan.appeal.organization_id]

    def executor(self, plan: Plan, now: dt.datetime) -> User:
        assert plan.appeal is not None
        if plan.appeal.executor_id is None:
            raise DemoError(f"appeal #{plan.number} has no executor")
        return self.present(self.users_by_id[plan.appeal.executor_id], now)

    def moderator(self, plan: Plan, now: dt.datetime) -> User:
        return self.present(plan.rng.choice(self.moderators), now)

    def head(self, plan: Plan, now: dt.datetime) -> User:
        return self.one_of(self.organization_of(plan), Role.HEAD, now, plan.rng)

    def coordinator(self, plan: Plan, now: dt.datetime) -> User:
        return self.one_of(self.organization_of(plan), Role.COORDINATOR, now, plan.rng)

    def answer_text(self, plan: Plan) -> str:
        return plan.rng.choice(ANSWERS[plan.spec.code.split(".")[0]])

    def pick_executor(self, plan: Plan, org: Organization, now: dt.datetime, exclude: int | None = None) -> User:
        people = [user for user in self.executors(org) if not self.is_away(user, now) and user.pk != exclude]
        return plan.rng.choice(people or self.executors(org))

    @staticmethod
    def _translit(text: str) -> str:
        table = str.maketrans({
            "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
            "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
            "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "", "ы": "y",
            "ь": "", "э": "e", "ю": "yu", "я": "ya",
        })
        return text.translate(table)

    def do_submit(self, plan: Plan, now: dt.datetime) -> Appeal:
        rng = plan.rng
        person = self.names.person()
        fields: dict[str, Any] = {}
        channel = Channel.PORTAL
        if plan.regime == SOCIAL:
            channel = Channel.SOCIAL
            network = rng.choice(["vk.com/wall-100000001_", "ok.ru/group/700000000001/topic/",
                                  "t.me/severodolsk_chat/"])
            fields.update(social_author=f"{person.first} {person.last[0]}.",
                          social_url=f"https://{network}{rng.randint(1000, 99999)}",
                          high_importance=rng.random() < 0.15)
        else:
            if plan.regime == FZ59:
                channel = rng.choice([Channel.PORTAL, Channel.EMAIL, Channel.PAPER])
            elif rng.random() < 0.15:
                channel = rng.choice([Channel.WIDGET, Channel.API, Channel.RECEPTION])
            if rng.random() < 0.08 and plan.regime == POS:
                fields["applicant"] = self.registry.citizen
                fields["applicant_name"] = self.registry.citizen.display_name
            else:
                fields["applicant_name"] = person.full
                if plan.regime == FZ59 or rng.random() < 0.7:
                    login = self._translit(f"{person.first}.{person.last}".lower())
                    fields["applicant_email"] = f"{login}{rng.randint(1, 99)}@mail.example"
                fields["applicant_phone"] = (f"+7 9{rng.randint(10, 99)} {rng.randint(100, 999)}-"
                                             f"{rng.randint(10, 99)}-{rng.randint(10, 99)}")
            if plan.regime == FZ59:
                fields["applicant_address"] = f"{plan.address}, кв. {rng.randint(1, 120)}"
        centre = self.centres[plan.territory.pk]
        appeal = services.appeal_submit(
            text=plan.text, regime=plan.regime, channel=channel, category=plan.submitted_category or plan.category,
            territory=plan.territory, address=plan.address, latitude=round(centre[0] + rng.gauss(0, 0.02), 5),
            longitude=round(centre[1] + rng.gauss(0, 0.04), 5), now=now, **fields,
        )
        plan.appeal_id = appeal.pk
        return appeal

    def do_register(self, plan: Plan, now: dt.datetime) -> Appeal:
        assert plan.appeal_id is not None
        return services.appeal_register(appeal_id=plan.appeal_id, user=self.moderator(plan, now), now=now)

    def do_reject(self, plan: Plan, now: dt.datetime, reason: str) -> Appeal:
        assert plan.appeal_id is not None
        duplicate_of = None
        if reason == "duplicate":
            duplicate_of = (
                Appeal.objects.filter(category=plan.category, received_at__lt=now).exclude(pk=plan.appeal_id)
                .order_by("-received_at").values_list("pk", flat=True).first()
            )
            if duplicate_of is None:
                reason = "insufficient_data"
        return services.appeal_reject(appeal_id=plan.appeal_id, user=self.moderator(plan, now), reason=reason,
                                      duplicate_of_id=duplicate_of, now=now)

    def do_reclassify(self, plan: Plan, now: dt.datetime) -> Appeal:
        assert plan.appeal_id is not None
        return services.appeal_reclassify(appeal_id=plan.appeal_id, user=self.moderator(plan, now),
                                          category_id=plan.category.pk, now=now)

    def do_accept(self, plan: Plan, now: dt.datetime, organization: Organization | None = None) -> Appeal:
        assert plan.appeal_id is not None
        return services.appeal_accept(appeal_id=plan.appeal_id, user=self.moderator(plan, now),
                                      organization_id=organization.pk if organization else None, now=now)

    def do_route(self, plan: Plan, now: dt.datetime, to: Organization) -> Appeal:
        assert plan.appeal_id is not None
        return services.appeal_route(appeal_id=plan.appeal_id, user=self.moderator(plan, now), organization_id=to.pk,
                                     now=now)

    def do_redirect(self, plan: Plan, now: dt.datetime, to: Organization) -> Appeal:
        assert plan.appeal_id is not None
        current = self.organization_of(plan)
        reason = (f"Вопрос не относится к компетенции организации «{current}». "
                  f"Направлено по компетенции: «{to}».")
        return services.appeal_redirect(appeal_id=plan.appeal_id, user=self.coordinator(plan, now),
                                        organization_id=to.pk, reason=reason, now=now)

    def do_return_to_moderation(self, plan: Plan, now: dt.datetime) -> Appeal:
        assert plan.appeal_id is not None
        return services.appeal_return_to_moderation(
            appeal_id=plan.appeal_id, user=self.coordinator(plan, now), now=now,
            reason="Вопрос не относится к нашей компетенции, просим определить надлежащего исполнителя.",
        )

    def do_assign(self, plan: Plan, now: dt.datetime) -> Appeal:
        assert plan.appeal_id is not None
        executor = self.pick_executor(plan, self.organization_of(plan), now)
        return services.appeal_assign(appeal_id=plan.appeal_id, user=self.coordinator(plan, now),
                                      executor_id=executor.pk, now=now)

    def do_reassign(self, plan: Plan, now: dt.datetime) -> Appeal:
        # The 75 % rule: the coordinator (re)assigns an executor to the postponed appeal.
        assert plan.appeal is not None
        executor = self.pick_executor(plan, self.organization_of(plan), now, exclude=plan.appeal.executor_id)
        return services.appeal_assign(appeal_id=plan.appeal.pk, user=self.coordinator(plan, now),
                                      executor_id=executor.pk, now=now)

    def do_intermediate(self, plan: Plan, now: dt.datetime) -> Appeal:
        assert plan.appeal_id is not None
        planned = self.cal.local_date(now) + dt.timedelta(days=plan.rng.randint(5, 20))
        return services.appeal_intermediate(appeal_id=plan.appeal_id, user=self.executor(plan, now),
                                            text=plan.rng.choice(INTERMEDIATE_TEXTS), planned_date=planned, now=now)

    def do_draft(self, plan: Plan, now: dt.datetime) -> Appeal:
        assert plan.appeal_id is not None
        return services.appeal_draft(appeal_id=plan.appeal_id, user=self.executor(plan, now),
                                     text=self.answer_text(plan), now=now)

    def do_postpone(self, plan: Plan, now: dt.datetime) -> Appeal:
        appeal = plan.appeal
        assert appeal is not None and appeal.due_at is not None
        # A concrete date after the current deadline; a journey that stays postponed keeps a future date.
        today = self.cal.local_date(now)
        until = max(self.cal.local_date(appeal.due_at), today) + dt.timedelta(days=plan.rng.randint(10, 40))
        if plan.scenario == "postponed":
            until = max(until, self.cal.local_date(self.now) + dt.timedelta(days=plan.rng.randint(3, 30)))
        # The executor proposes, the coordinator confirms: only then the applicant hears of the new date.
        services.appeal_propose_postponement(appeal_id=appeal.pk, user=self.executor(plan, now), until=until,
                                             reason=plan.rng.choice(POSTPONE_REASONS), now=now)
        return services.appeal_postpone(appeal_id=appeal.pk, user=self.coordinator(plan, now), now=now)

    def do_send_for_approval(self, plan: Plan, now: dt.datetime) -> Appeal:
        appeal = plan.appeal
        assert appeal is not None
        text = None if appeal.draft_answer else self.answer_text(plan)
        return services.appeal_send_for_approval(appeal_id=appeal.pk, user=self.executor(plan, now), text=text,
                                                 now=now)

    def do_return_for_rework(self, plan: Plan, now: dt.datetime) -> Appeal:
        assert plan.appeal_id is not None
        reason = plan.rng.choice(["no_term", "no_evidence", "incomplete", "other"])
        return services.appeal_return_for_rework(appeal_id=plan.appeal_id, user=self.head(plan, now), reason=reason,
                                                 comment=plan.rng.choice(REWORK_COMMENTS), now=now)

    def do_approve(self, plan: Plan, now: dt.datetime) -> Appeal:
        assert plan.appeal_id is not None
        return services.appeal_approve(appeal_id=plan.appeal_id, user=self.head(plan, now), now=now)

    def do_publish(self, plan: Plan, now: dt.datetime) -> Appeal:
        assert plan.appeal_id is not None
        publisher = self.head(plan, now) if plan.rng.random() < 0.5 else self.coordinator(plan, now)
        return services.appeal_publish(appeal_id=plan.appeal_id, user=publisher, now=now)

    def do_rate(self, plan: Plan, now: dt.datetime, rating: int) -> Appeal:
        appeal = plan.appeal
        assert appeal is not None
        comment = plan.rng.choice(BAD_RATING_COMMENTS) if rating < services.SATISFACTORY_RATING else ""
        return services.appeal_rate(appeal_id=appeal.pk, rating=rating, comment=comment, token=appeal.access_token,
                                    now=now)

    def do_close(self, plan: Plan, now: dt.datetime) -> Appeal:
        assert plan.appeal_id is not None
        return services.appeal_close(appeal_id=plan.appeal_id, user=self.moderator(plan, now), now=now)

    def do_extend(self, plan: Plan, now: dt.datetime) -> Appeal:
        assert plan.appeal_id is not None
        return services.appeal_extend(
            appeal_id=plan.appeal_id, user=self.head(plan, now), days=plan.rng.choice([10, 20, 30]),
            reason="Требуется дополнительная проверка с выездом на место и запрос документов.", now=now,
        )

    def do_leave_without_answer(self, plan: Plan, now: dt.datetime) -> Appeal:
        assert plan.appeal_id is not None
        return services.appeal_leave_without_answer(
            appeal_id=plan.appeal_id, user=self.head(plan, now),
            ground=plan.rng.choice(["repeated", "substance_unclear"]),
            comment="Ответ по существу дан ранее, новых доводов обращение не содержит.", now=now,
        )

    def do_transfer(self, plan: Plan, now: dt.datetime) -> Appeal:
        assert plan.appeal_id is not None
        department, reason, guid = plan.rng.choice(TRANSFER_BODIES)
        return services.appeal_transfer(appeal_id=plan.appeal_id, user=self.coordinator(plan, now),
                                        department=department, department_sstu_id=guid, reason=reason, now=now)


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
    from otklik.workspace.models import AnswerTemplate

    AnswerTemplate.objects.bulk_create([
        AnswerTemplate(category=categories[code] if code else None, title=title, body=body,
                       is_intermediate=intermediate, position=number)
        for number, (code, title, body, intermediate) in enumerate(ANSWER_TEMPLATES)
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

    settings_row = region_settings()
    settings_row.name = DEMO_REGION
    settings_row.map_centre_lat, settings_row.map_centre_lon, settings_row.map_zoom = REGION_MAP
    if not settings_row.emblem:
        settings_row.emblem.save("demo-emblem.png", ContentFile(_demo_emblem()), save=False)
    settings_row.save()
    today = timezone.localdate(now)
    _build_calendar_and_topics(today)
    cal = region_calendar(settings_row)

    territories = _build_territories()
    organizations = _build_organizations(rng, names, territories, now)
    staff, absences, citizen = _build_people(rng, names, organizations, today)
    _build_registry_duties(names, organizations, staff)
    categories, leaves = _build_categories(territories, organizations)
    _build_answer_templates(categories)
    registry = Registry(territories=territories, organizations=organizations, categories=categories, leaves=leaves,
                        staff=staff, absences=absences, citizen=citizen)

    simulation = Simulation(registry, random.Random(rng.random()), now, cal)
    simulation.plan_all(appeals)
    simulation.run()
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
