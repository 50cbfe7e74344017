"""One story generator: what happens to each appeal, chosen from ``lifecycle.TABLE`` and a region's profile.

A :class:`Story` is an appeal's submitted fields and its ordered :class:`Step` s: the action, who acts
(actor and role), when, and the service's keyword arguments. The :class:`Planner` chooses a story step
by step on an in-memory copy of the appeal (:class:`Draft`), applying to it what each service applies,
with the functions of ``appeals/deadlines.py``: so while it plans it also derives every column of the
appeal, its events (hash-chained as the services chain them) and the breaches a minute-by-minute sweeper
would have recorded before each step. Only rows of ``TABLE`` are taken, from the draft's state, in a
regime and by a role the row allows; the guards of the services (an expired term is not postponed, a
59-FZ appeal is forwarded only within its term…) are checked on the draft before a branch is chosen.

Two sinks play stories (``otklik/demo/sinks.py``): the services sink calls the service of every step at
its moment (the demo, the reports tests), the bulk sink writes the derived rows with COPY or
``bulk_create`` (benchmarks). ``tests/demo/test_stories.py`` plays one seed both ways and compares the rows.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import itertools
import math
import random
from dataclasses import dataclass, field
from typing import Any, cast

from django.conf import settings
from django.utils import translation

from otklik.accounts.models import REGION_WIDE_ROLES, Absence, Membership, Role
from otklik.appeals import chain, deadlines
from otklik.appeals.lifecycle import APPLICANT, OPEN_STATES, SYSTEM, TABLE, Action, Regime, State, Transition
from otklik.appeals.models import Appeal, Channel, Stage
from otklik.appeals.services import FZ59_NO_ANSWER_GROUNDS, REJECT_REASONS, SATISFACTORY_RATING, rework_reasons
from otklik.core.calendar import WorkingCalendar
from otklik.registry.models import Category, Organization, RegionSettings, RoutingRule, Territory

# The simulated sweeper runs every minute: a deadline is acted on one minute after it passes.
SWEEP_LAG = dt.timedelta(minutes=1)
ONE_DAY = dt.timedelta(days=1)


class StoryError(Exception):
    """The planner tried something the lifecycle does not allow: a bug in the story, never data."""


class _Stop(Exception):
    """The appeal's next step would happen after the cutoff (or the story's target is reached)."""


# --- the calendar, memoised ---------------------------------------------------------------------------


class CachedCalendar(WorkingCalendar):
    """The region's ``WorkingCalendar`` with memoised answers (they depend only on the arguments), so
    deadlines computed through it are the ones the services compute."""

    _working: dict[dt.date, bool]
    _calendar_days: dict[tuple[dt.date, int, bool], dt.datetime]
    _working_days: dict[tuple[dt.date, int], dt.datetime]
    _ends: dict[dt.date, dt.datetime]

    @classmethod
    def of(cls, cal: WorkingCalendar) -> CachedCalendar:
        fast = cls(tz=cal.tz, extra_days_off=cal.extra_days_off, extra_working_days=cal.extra_working_days,
                   workday_start=cal.workday_start, workday_end=cal.workday_end)
        fast._working, fast._calendar_days, fast._working_days, fast._ends = {}, {}, {}, {}
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


# --- the region's profile -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Behaviour:
    """Mean delays of each step (hours) and how often each branch of a regime's story is taken."""

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


BEHAVIOURS: dict[str, Behaviour] = {
    Regime.POS: Behaviour(register_h=0, moderate_h=3, coordinate_h=5, draft_h=30, intermediate_h=24, approve_h=5,
                          publish_h=2, rework_h=16, late_h=80, reject=0.05, reclassify=0.03, redirect=0.05,
                          return_to_moderation=0.02, transfer=0, intermediate=0.10, postpone=0.07, extend=0,
                          leave=0, rework=0.10, rate=0.55, late=0.11, stuck=0.025),
    Regime.FZ59: Behaviour(register_h=20, moderate_h=6, coordinate_h=8, draft_h=48, intermediate_h=48, approve_h=8,
                           publish_h=4, rework_h=24, late_h=100, reject=0, reclassify=0.02, redirect=0.06,
                           return_to_moderation=0.02, transfer=0.04, intermediate=0.05, postpone=0, extend=0.06,
                           leave=0.02, rework=0.12, rate=0, late=0.05, stuck=0.015),
    Regime.SOCIAL: Behaviour(register_h=0, moderate_h=0.4, coordinate_h=0.5, draft_h=1, intermediate_h=1.5,
                             approve_h=0.5, publish_h=0.3, rework_h=1, late_h=6, reject=0.08, reclassify=0.02,
                             redirect=0.04, return_to_moderation=0.02, transfer=0, intermediate=0.30, postpone=0.03,
                             extend=0, leave=0, rework=0.06, rate=0.25, late=0.18, stuck=0.02),
}

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
SEASON_WORDS = (("отоплен", "heating"), ("тепл", "heating"), ("снег", "snow"), ("налед", "snow"),
                ("гололед", "snow"), ("гололёд", "snow"), ("ям", "roads"), ("дорог", "roads"),
                ("трав", "summer"), ("озелен", "summer"), ("борщевик", "summer"), ("благоустр", "summer"),
                ("горяч", "hot_water"), ("освещ", "dark"), ("фонар", "dark"), ("врач", "flu"), ("школ", "school"))
SURNAMES = ("Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков",
            "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов",
            "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев")
FIRST_NAMES = ("Александр", "Сергей", "Дмитрий", "Андрей", "Алексей", "Иван", "Михаил", "Николай", "Елена", "Ольга",
               "Наталья", "Татьяна", "Ирина", "Анна", "Светлана", "Мария", "Юлия", "Екатерина")
PATRONYMIC_STEMS = ("Александров", "Сергеев", "Дмитриев", "Андреев", "Иванов", "Михайлов", "Николаев", "Петров",
                    "Викторов", "Владимиров")
STREETS = ("ул. Ленина", "ул. Мира", "ул. Советская", "ул. Садовая", "ул. Школьная", "ул. Гагарина",
           "ул. Молодёжная", "ул. Лесная", "ул. Заречная", "пр. Победы", "ул. Кирова", "ул. Пушкина",
           "ул. Набережная", "ул. Первомайская", "ул. Строителей", "ул. Полевая", "ул. Новая", "ул. Мичурина")
TAILS = ("Прошу принять меры.", "Обращаюсь уже не первый раз.", "Просим разобраться и сообщить о сроках.",
         "Фото прилагаю.", "Жители дома очень недовольны.", "Прошу проверить и устранить.",
         "Ситуация повторяется каждую неделю.", "Дети и пожилые люди не могут пройти.", "")
ANSWERS = ("Ваше сообщение рассмотрено. Работы выполнены, проблема устранена.",
           "Ваше сообщение рассмотрено. Работы включены в план и будут выполнены до {date}.",
           "Ваше сообщение рассмотрено. Проведена проверка, управляющей организации выдано предписание.",
           "Ваше сообщение рассмотрено. Даны разъяснения: вопрос будет решён в рамках программы на следующий год.",
           "Ваше сообщение рассмотрено. Специалисты выехали на место, неисправность устранена {date}.")
INTERMEDIATE_TEXTS = ("Ваше сообщение принято в работу, специалисты выедут на место.",)
LOW_RATING_COMMENTS = ("Проблема не решена.", "Ответ формальный, ничего не сделано.",
                       "Работы не проводились, всё по-прежнему.", "Сроки не указаны.")
REDIRECT_REASONS = ("Вопрос не относится к компетенции организации.",
                    "Объект находится на обслуживании другой организации.",
                    "Вопрос относится к ведению органа местного самоуправления.")
POSTPONE_REASONS = ("Работы возможны только в тёплое время года.", "Требуется выделение финансирования.",
                    "Работы включены в план на следующий квартал.", "Необходимо провести конкурсные процедуры.")
REWORK_COMMENTS = ("Уточните сроки выполнения работ.",)
DEPARTMENTS = (("Прокуратура области", ""), ("Управление МВД по области", ""),
               ("Управление Роспотребнадзора по области", ""), ("Государственная инспекция труда", ""),
               ("Отделение Социального фонда России", ""))


class Profile:
    """How a region writes and answers: volumes by month, weekday and hour, the regimes and channels,
    each regime's :class:`Behaviour`, which categories come in which season and from where, and the
    words of the texts. The demo region and the synthetic region of the benchmarks subclass it."""

    behaviours: dict[str, Behaviour] = BEHAVIOURS
    regime_shares: tuple[tuple[str, float], ...] = ((Regime.POS, 0.78), (Regime.SOCIAL, 0.12), (Regime.FZ59, 0.10))
    channels: dict[str, tuple[tuple[str, float], ...]] = {
        Regime.POS: ((Channel.PORTAL, 0.62), (Channel.WIDGET, 0.2), (Channel.API, 0.1), (Channel.OPEN311, 0.08)),
        Regime.FZ59: ((Channel.PORTAL, 0.55), (Channel.PAPER, 0.2), (Channel.EMAIL, 0.15), (Channel.RECEPTION, 0.1)),
        Regime.SOCIAL: ((Channel.SOCIAL, 1.0),),
    }
    ratings: tuple[tuple[int, float], ...] = ((5, 45), (4, 20), (3, 12), (2, 10), (1, 13))
    month_volume = (1.10, 1.06, 1.00, 1.03, 1.00, 0.95, 0.90, 0.92, 1.00, 1.05, 1.10, 1.15)
    weekday_volume = (1.18, 1.10, 1.06, 1.02, 0.95, 0.58, 0.50)  # Monday first
    day_off_volume = 0.52
    hour_volume = (0.3, 0.2, 0.12, 0.1, 0.1, 0.2, 0.5, 1.2, 2.5, 3.5, 3.8, 3.6,
                   3.2, 3.3, 3.4, 3.3, 3.0, 2.8, 2.5, 2.4, 2.3, 2.0, 1.4, 0.8)
    departments: tuple[tuple[str, str], ...] = DEPARTMENTS  # bodies outside the platform: name, SSTU.RF GUID
    citizen: tuple[int, str] | None = None  # an account (id, name) that writes some platform messages
    postpone_reasons: tuple[str, ...] = POSTPONE_REASONS
    rework_comments: tuple[str, ...] = REWORK_COMMENTS
    low_rating_comments: tuple[str, ...] = LOW_RATING_COMMENTS

    def behaviour(self, regime: str) -> Behaviour:
        return self.behaviours[regime]

    def category_weight(self, category: Category, index: int) -> tuple[str, float]:
        """The category's season and weight: a season guessed from its name, some categories far
        more common than others."""
        name = category.name.lower()
        season = next((season for needle, season in SEASON_WORDS if needle in name), "flat")
        return season, 1.0 / (1 + index % 7) ** 0.7

    def territory_weight(self, territory: Territory, index: int) -> float:
        return 1.0 / (1 + index) ** 0.5

    def person(self, rng: random.Random) -> tuple[str, str, str]:
        surname, first = rng.choice(SURNAMES), rng.choice(FIRST_NAMES)
        female = first.endswith(("а", "я"))
        return (surname + ("а" if female else ""), first, rng.choice(PATRONYMIC_STEMS) + ("на" if female else "ич"))

    def address(self, territory: Territory | None, rng: random.Random) -> str:
        return f"{rng.choice(STREETS)}, д. {rng.randint(1, 120)}"

    def text(self, category: Category, address: str, rng: random.Random) -> str:
        return f"{category.name}: {address}. {rng.choice(TAILS)}".strip()

    def rejected_text(self, reason: str, category: Category, address: str, rng: random.Random) -> str | None:
        """The text of a message the moderator will reject for ``reason`` (None: the usual text)."""
        return None

    def answer(self, category: Category, at: dt.date, rng: random.Random) -> str:
        when = (at + dt.timedelta(days=rng.randint(3, 40))).strftime("%d.%m.%Y")
        return rng.choice(ANSWERS).format(date=when)

    def intermediate(self, rng: random.Random) -> str:
        return rng.choice(INTERMEDIATE_TEXTS)


# --- the registry, read once ---------------------------------------------------------------------------


@dataclass
class OrgStaff:
    id: int
    coordinators: list[int]
    executors: list[int]
    heads: list[int]


@dataclass
class Registry:
    """What the planner needs of the registry, read in a few queries."""

    categories: list[Category]
    month_cum: list[list[float]]  # cumulative category weights for each month
    territories: list[Territory | None]
    territory_cum: list[float]
    orgs: dict[int, OrgStaff]
    workable: list[int]
    route: dict[tuple[int, int | None], int]
    moderators: list[int]
    memberships: dict[int, list[tuple[str, int]]]  # user → (role, organisation)
    absences: dict[int, list[tuple[dt.date, dt.date, int]]]  # user → (first day, last day, stand-in)


def load_registry(profile: Profile, rng: random.Random) -> Registry:
    categories = list(Category.objects.filter(is_active=True, children__isnull=True).order_by("pk"))
    if not categories:
        raise StoryError("No active category: run without a registry to create the synthetic one.")
    weights = [profile.category_weight(category, index) for index, category in enumerate(categories)]
    month_cum = [list(itertools.accumulate(w * SEASONS[s][m] for s, w in weights)) for m in range(12)]
    territories: list[Territory | None] = list(
        Territory.objects.exclude(kind=Territory.Kind.REGION).order_by("pk")) or [None]
    territory_cum = list(itertools.accumulate(
        profile.territory_weight(t, i) if t else 1.0 for i, t in enumerate(territories)))
    staff: dict[int, dict[str, list[int]]] = {}
    memberships: dict[int, list[tuple[str, int]]] = {}
    for user_id, org_id, role in (Membership.objects.filter(user__is_active=True, organization__is_active=True)
                                  .order_by("organization_id", "role", "user_id")
                                  .values_list("user_id", "organization_id", "role")):
        staff.setdefault(org_id, {}).setdefault(role, []).append(user_id)
        memberships.setdefault(user_id, []).append((role, org_id))
    orgs = {org_id: OrgStaff(org_id, roles.get(Role.COORDINATOR, []), roles.get(Role.EXECUTOR, []),
                             roles.get(Role.HEAD, []))
            for org_id, roles in staff.items()}
    workable = sorted(o.id for o in orgs.values() if o.coordinators and o.executors and o.heads)
    if not workable:
        raise StoryError("No organisation has a coordinator, an executor and a head.")
    moderators = sorted({uid for roles in staff.values() for uid in roles.get(Role.MODERATOR, [])})
    absences: dict[int, list[tuple[dt.date, dt.date, int]]] = {}
    for user_id, starts, ends, stand_in in Absence.objects.order_by("starts_on", "pk").values_list(
            "user_id", "starts_on", "ends_on", "stand_in_id"):
        absences.setdefault(user_id, []).append((starts, ends, stand_in))
    return Registry(categories, month_cum, territories, territory_cum, orgs, workable,
                    _routes(categories, territories, set(workable), rng), moderators, memberships, absences)


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
            places: list[int | None] = []
            node = territory.pk if territory else None
            while node is not None and node not in places:
                places.append(node)
                node = territory_parent.get(node)
            places.append(None)
            found = None
            cat: int | None = category.pk
            seen: set[int] = set()
            while cat is not None and found is None and cat not in seen:
                seen.add(cat)
                by_territory = rules.get(cat, {})
                found = next((rules_org for candidate in places
                              if (rules_org := by_territory.get(candidate)) is not None and rules_org in active), None)
                cat = category_parent.get(cat)
            key = (category.pk, territory.pk if territory else None)
            result[key] = found if found in workable else rng.choice(sorted(workable))
    return result


# --- a story ---------------------------------------------------------------------------------------------

APPEAL_FIELDS = [f for f in Appeal._meta.concrete_fields if not f.primary_key]
APPEAL_ATTNAMES = ["id", *(f.attname for f in APPEAL_FIELDS)]
EVENT_COLUMNS = ("appeal_id", "at", "action", "actor_id", "role", "acting_for_id", "organization_id",
                 "from_state", "to_state", "reason", "payload", "prev_hash", "hash")
BREACH_COLUMNS = ("appeal_id", "stage", "due_at", "detected_at", "organization_id", "executor_id",
                  "coordinator_id", "state", "internal")
SUBMITTED = ("text", "regime", "channel", "category_id", "territory_id", "address", "latitude", "longitude",
             "applicant_id", "applicant_name", "applicant_email", "applicant_phone", "applicant_address",
             "social_author", "social_url", "high_importance", "significant")

EventRow = tuple[int, dt.datetime, str, int | None, str, int | None, int | None, str, str, str, dict[str, Any], str,
                 str]
BreachRow = tuple[int, str, dt.datetime, dt.datetime, int | None, int | None, int | None, str, bool]


@dataclass
class Step:
    """One service call: ``services.appeal_<action>(appeal_id=…, now=at, **args)`` by ``actor`` in ``role``
    (SYSTEM: ``system=True``; APPLICANT: with the appeal's access token)."""

    at: dt.datetime
    action: Action
    role: str
    actor: int | None
    args: dict[str, Any] = field(default_factory=dict)


class Draft:
    """An appeal being planned: the attributes of ``Appeal`` (and ``category``), nothing else.
    ``deadlines.py`` reads and sets attributes only, so it works on a draft as on a model instance."""


@dataclass
class Story:
    index: int
    received_at: dt.datetime
    steps: list[Step]
    draft: Any  # a Draft: the appeal's row as the steps leave it
    events: list[EventRow]
    breaches: list[BreachRow]
    fields: dict[str, Any] = field(default_factory=dict)  # appeal_submit's arguments (ids for objects)
    detected: dict[tuple[str, dt.datetime], dt.datetime] = field(default_factory=dict)

    @property
    def state(self) -> str:
        return cast(str, self.draft.state)


def _defaults() -> dict[str, Any]:
    return {f.attname: None if f.name in {"access_token", "created_at", "updated_at"} else f.get_default()
            for f in APPEAL_FIELDS}


# For a target state, the regime a story must have and the branch it must take to end there.
TARGET_REGIMES = {State.RECEIVED: Regime.FZ59, State.LEFT_WITHOUT_ANSWER: Regime.FZ59,
                  State.TRANSFERRED: Regime.FZ59, State.POSTPONED: Regime.POS, State.REJECTED: Regime.POS}
TARGET_BRANCHES = {State.REJECTED: "reject", State.LEFT_WITHOUT_ANSWER: "leave", State.TRANSFERRED: "transfer",
                   State.POSTPONED: "postpone"}
ENDINGS = {"reject", "leave", "transfer", "stuck"}  # branches that end a story early


def _pick(pairs: tuple[tuple[Any, float], ...], rng: random.Random) -> Any:
    values, cum = [p[0] for p in pairs], list(itertools.accumulate(p[1] for p in pairs))
    return values[bisect.bisect(cum, rng.random() * cum[-1])]


class Planner:
    """Chooses appeals' stories up to the cutoff ``now``; see the module's docstring."""

    def __init__(self, *, registry: Registry, profile: Profile, region: RegionSettings, cal: WorkingCalendar,
                 now: dt.datetime) -> None:
        self.reg = registry
        self.profile = profile
        self.region = region
        self.cal = CachedCalendar.of(cal)
        self.tz = self.cal.tz
        self.now = now
        self.defaults = _defaults()
        self.last_by_place: dict[tuple[int, int | None], tuple[int, int, dt.datetime]] = {}
        self.hour_cum = list(itertools.accumulate(profile.hour_volume))
        with translation.override(settings.LANGUAGE_CODE):
            self.reject_reasons = {key: str(label) for key, label in REJECT_REASONS.items()}
            self.rework_reasons = {key: str(label) for key, label in rework_reasons(region).items()}
            self.grounds = {key: str(label) for key, label in FZ59_NO_ANSWER_GROUNDS.items()}
        self.work_start, self.work_end = self.cal.workday_start, self.cal.workday_end
        work_hours = (dt.datetime.combine(dt.date.min, self.work_end)
                      - dt.datetime.combine(dt.date.min, self.work_start)).total_seconds() / 3600
        # Work left over from the evening is picked up in the first hours of the next working day.
        self.opening_spread = min(3.0, work_hours)
        confirmer = region.postponement_confirmed_by
        self.confirmer = Role.HEAD if confirmer == Role.HEAD else Role.COORDINATOR

    # --- when appeals arrive

    def arrivals(self, count: int, start: dt.datetime, end: dt.datetime, rng: random.Random) -> list[dt.datetime]:
        """``count`` receipt moments between ``start`` and ``end``, sorted, whole seconds: more on working
        days, in the day's busy hours and in the busy months."""
        first, last = start.astimezone(self.tz).date(), end.astimezone(self.tz).date()
        days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
        weights = [(self.profile.weekday_volume[day.weekday()] if self.cal.is_working_day(day) else
                    min(self.profile.day_off_volume, self.profile.weekday_volume[day.weekday()]))
                   * self.profile.month_volume[day.month - 1] for day in days]
        cum = list(itertools.accumulate(weights))
        midnights = [dt.datetime.combine(d, dt.time(0, 0), tzinfo=self.tz).timestamp() for d in days]
        hour_cum, hour_total, total = self.hour_cum, self.hour_cum[-1], cum[-1]
        low, high = start.timestamp(), end.timestamp()
        moments: list[float] = []
        while len(moments) < count:
            index = bisect.bisect(cum, rng.random() * total)
            hour = bisect.bisect(hour_cum, rng.random() * hour_total)
            moment = midnights[index] + hour * 3600 + rng.random() * 3600
            if low <= moment <= high:
                moments.append(float(int(moment)))
        return [dt.datetime.fromtimestamp(m, tz=dt.UTC) for m in sorted(moments)]

    # --- time helpers

    def _staff(self, after: dt.datetime, mean_hours: float) -> dt.datetime:
        """When staff act next: a random delay, then moved into the working hours of a working day."""
        random_ = self.rng.random
        delay = -math.log(1.0 - random_()) * mean_hours if mean_hours > 0 else 0.0  # expovariate, inlined
        if random_() < 0.03:
            delay *= 8  # some things lie on a desk for long
        moment = after + dt.timedelta(hours=delay)
        local = moment.astimezone(self.tz)
        day, clock = local.date(), local.time()
        working = self.cal.is_working_day
        if working(day) and self.work_start <= clock < self.work_end:
            return moment
        if not (working(day) and clock < self.work_start):
            day += ONE_DAY
            while not working(day):
                day += ONE_DAY
        opens = dt.datetime.combine(day, self.work_start, tzinfo=self.tz)
        return opens + dt.timedelta(hours=random_() * self.opening_spread)

    def _chance(self, branch: str, p: float) -> bool:
        """Whether the story takes ``branch``: by chance, unless its target decides."""
        roll = self.rng.random() < p
        if self.target is None:
            return roll
        if TARGET_BRANCHES.get(self.target) == branch:
            return True
        return roll and branch not in ENDINGS

    # --- the transition machinery (mirrors services._perform)

    def _sweep(self, d: Any, at: dt.datetime) -> None:
        """What the minute-by-minute sweeper (appeals/sweeps.py) would have done to ``d`` before ``at``."""
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
        if (d.resolution_due_at is not None and d.resolution_overdue_marked_at is None and d.resolved_at is None
                and d.resolution_due_at + SWEEP_LAG <= at):
            d.resolution_overdue_marked_at = d.resolution_due_at + SWEEP_LAG
            self._breach(d, Stage.RESOLUTION, d.resolution_due_at)

    def _breach(self, d: Any, stage: str, due: dt.datetime, *, internal: bool = False) -> None:
        if (stage, due) in self.story.detected:
            return
        self.story.detected[(stage, due)] = due + SWEEP_LAG
        self.story.breaches.append((d.id, stage, due, due + SWEEP_LAG, d.organization_id, d.executor_id,
                                    d.coordinator_id, d.state, internal))

    def _begin(self, d: Any, action: Action, at: dt.datetime, role: str) -> Transition:
        if at > self.now:
            raise _Stop
        row = TABLE.get((cast(State, d.state), action))
        if row is None or d.regime not in row.regimes or role not in row.roles:
            raise StoryError(f"{action} by {role} is not allowed from {d.state} ({d.regime})")
        self._sweep(d, at)
        self.held = (d.organization_id, d.executor_id)  # whom the services authorise against: before the body
        return row

    def _end(self, d: Any, row: Transition, at: dt.datetime, actor: int | None, role: str,
             payload: dict[str, Any] | None = None, reason: str = "", args: dict[str, Any] | None = None,
             *, step: bool = True) -> None:
        """Finish the action as ``_perform`` does; ``args`` are the service's arguments for the step."""
        if step:
            self.story.steps.append(Step(at, row.action, role, actor, args or {}))
        role, acting_for = self._capacity(d, row, actor, role, at)
        if row.action == Action.ASSIGN:
            d.coordinator_id = actor  # appeal_assign: the coordinator is whoever assigns
        from_state = d.state
        d.state = row.target
        if row.target != from_state or row.action in (Action.ROUTE, Action.REDIRECT):
            d.state_changed_at = at
            deadlines.set_stage(cast(Appeal, d), now=at, region=self.region, cal=self.cal)
        self._event(d, at, row.action.value, None if role in (SYSTEM, APPLICANT) else actor, role, acting_for,
                    d.organization_id, from_state, d.state, reason, payload or {})
        d.updated_at = at
        if step and self.target is not None and d.state == self.target:
            raise _Stop

    def _event(self, d: Any, at: dt.datetime, action: str, actor: int | None, role: str, acting_for: int | None,
               organization_id: int | None, from_state: str, to_state: str, reason: str,
               payload: dict[str, Any]) -> None:
        """One event of the story, linked to the appeal's hash chain exactly as the services link it."""
        previous = d.last_event_hash
        digest = chain.event_hash(previous, appeal_id=d.id, at=at, action=action, actor_id=actor, role=role,
                                  acting_for_id=acting_for, organization_id=organization_id, from_state=from_state,
                                  to_state=to_state, reason=reason, payload=payload)
        self.story.events.append((d.id, at, action, actor, role, acting_for, organization_id, from_state, to_state,
                                  reason, payload, previous, digest))
        d.last_event_hash = digest

    def _capacity(self, d: Any, row: Transition, actor: int | None, role: str,
                  at: dt.datetime) -> tuple[str, int | None]:
        """The role and "acting for" the services record for ``actor`` (permissions.find_capacity)."""
        if actor is None or role in (SYSTEM, APPLICANT):
            return role, None
        day = self.cal.local_date(at)
        caps: list[tuple[str, int, int | None]] = [(r, o, None) for r, o in self.reg.memberships.get(actor, [])]
        for absent, periods in self.reg.absences.items():
            if any(s <= day <= e and stand_in == actor for s, e, stand_in in periods):
                caps += [(r, o, absent) for r, o in self.reg.memberships.get(absent, [])]
        org_id, executor_id = self.held
        matches = sorted((c for c in caps if c[0] in row.roles and (c[0] in REGION_WIDE_ROLES or c[1] == org_id)),
                         key=lambda c: (c[2] is not None, c[0] in REGION_WIDE_ROLES))
        if not matches:
            raise StoryError(f"user {actor} may not {row.action}")
        cap = matches[0]
        if row.own_executor and cap[0] == Role.EXECUTOR:
            cap = sorted((c for c in caps if c[0] == Role.EXECUTOR and c[1] == org_id and executor_id in {actor, c[2]}),
                         key=lambda c: c[2] is not None)[0]
        return cap[0], cap[2]

    def _present(self, user: int, at: dt.datetime) -> int:
        """Who does ``user``'s work at ``at``: ``user``, or their stand-in while they are away."""
        day = self.cal.local_date(at)
        return next((stand_in for s, e, stand_in in self.reg.absences.get(user, []) if s <= day <= e), user)

    def _one(self, people: list[int], at: dt.datetime) -> int:
        return self._present(self.rng.choice(people), at)

    def _moderator(self, at: dt.datetime) -> tuple[int | None, str]:
        mods = self.reg.moderators
        return (self._one(mods, at) if mods else None), (Role.MODERATOR if mods else SYSTEM)

    def _org(self, d: Any) -> OrgStaff:
        assert d.organization_id is not None, "only an appeal held by an organisation has staff"
        return self.reg.orgs[d.organization_id]

    def _set_org(self, d: Any, org_id: int, payload: dict[str, Any]) -> None:
        d.organization_id = org_id
        d.coordinator_id = None
        d.executor_id = None
        payload["organization_id"] = org_id

    def _other_org(self, current: int | None) -> int:
        others = [org for org in self.reg.workable if org != current] or self.reg.workable
        return self.rng.choice(others)

    def _running(self, d: Any, t: dt.datetime) -> bool:
        """``_require_running_term``: a term that has run out is not postponed or extended."""
        if t > self.now:
            raise _Stop
        self._sweep(d, t)
        return d.overdue_marked_at is None and d.due_at is not None and t <= d.due_at

    # --- the appeal

    def plan(self, index: int, received: dt.datetime, rng: random.Random, *, appeal_id: int = 0, number: str = "",
             target: State | None = None) -> Story:
        """Choose the story of one appeal received at ``received``. With a ``target`` it takes the
        branches that lead there and stops when it arrives (the demo shows every state)."""
        self.rng, self.target = rng, target
        d: Any = Draft()
        d.__dict__.update(self.defaults)
        d.id, d.number = appeal_id, number
        self.story = story = Story(index, received, [], d, [], [])
        regime = TARGET_REGIMES.get(target) if target is not None else None
        d.regime = regime or _pick(self.profile.regime_shares, rng)
        d.channel = _pick(self.profile.channels[d.regime], rng)
        month_cum = self.reg.month_cum[received.astimezone(self.tz).month - 1]
        category = self.reg.categories[bisect.bisect(month_cum, rng.random() * month_cum[-1])]
        territory = self.reg.territories[bisect.bisect(self.reg.territory_cum,
                                                       rng.random() * self.reg.territory_cum[-1])]
        d.category, d.category_id = category, category.pk
        d.territory_id = territory.pk if territory else None
        d.address = self.profile.address(territory, rng)
        if territory is not None and territory.centre_lat is not None and territory.centre_lon is not None:
            d.latitude = round(territory.centre_lat + rng.gauss(0, 0.03), 6)
            d.longitude = round(territory.centre_lon + rng.gauss(0, 0.05), 6)
        d.text = self.profile.text(category, d.address, rng)
        d.access_token = f"{rng.getrandbits(128):032x}"
        if d.regime == Regime.SOCIAL:
            d.social_author = f"id{rng.randint(10_000, 900_000_000)}"
            d.social_url = f"https://vk.com/wall-{rng.randint(1000, 99999)}_{rng.randint(1, 999999)}"
            d.high_importance = rng.random() < 0.15
            d.significant = rng.random() < 0.02
        elif self.profile.citizen is not None and d.regime == Regime.POS and rng.random() < 0.08:
            d.applicant_id, d.applicant_name = self.profile.citizen
        else:
            d.applicant_name = " ".join(self.profile.person(rng))
            if rng.random() < 0.7:
                d.applicant_email = f"citizen{index}@example.org"
            if d.regime == Regime.FZ59 and not d.applicant_email:
                d.applicant_address = f"{d.address}, кв. {rng.randint(1, 200)}"
            elif d.regime == Regime.POS:
                d.significant = rng.random() < 0.01
            if rng.random() < 0.4:
                d.applicant_phone = (f"+7 9{rng.randint(0, 99):02d} {rng.randint(100, 999)}-{rng.randint(10, 99)}-"
                                     f"{rng.randint(10, 99)}")
        d.received_at = d.state_changed_at = d.created_at = d.updated_at = received
        d.state = ""
        with contextlib.suppress(_Stop):
            self._story(d)
        self.last_by_place[(d.category_id, d.territory_id)] = (index, d.id, received)
        return story

    def _story(self, d: Any) -> None:
        rng, cal, region = self.rng, self.cal, self.region
        p = self.profile.behaviour(d.regime)
        fz59 = d.regime == Regime.FZ59
        t = d.received_at
        # submit: a platform message is registered at once, in the same call; a 59-FZ appeal within days
        if t > self.now:
            raise _Stop
        self.story.steps.append(Step(t, Action.SUBMIT, APPLICANT, d.applicant_id, {}))
        self.story.fields = {name: getattr(d, name) for name in SUBMITTED}
        d.state = State.RECEIVED
        deadlines.set_stage(cast(Appeal, d), now=t, region=region, cal=cal)
        self._event(d, t, Action.SUBMIT.value, d.applicant_id, APPLICANT, None, None, "", State.RECEIVED.value, "",
                    {"channel": d.channel, "regime": d.regime})
        if self.target == State.RECEIVED:
            raise _Stop
        actor: int | None = None
        role = SYSTEM
        if fz59:
            t = self._staff(t, p.register_h)
            actor, role = self._moderator(t)
        row = self._begin(d, Action.REGISTER, t, role)
        d.registered_at = d.consideration_started_at = t
        due = deadlines.initial_answer_due(cast(Appeal, d), t, region, cal)
        deadlines.set_answer_term(cast(Appeal, d), start=t, due=due, region=region, cal=cal)
        if fz59:
            d.redirect_due_at = deadlines.redirect_due(t, region, cal)
        self._end(d, row, t, actor, role, {"due_at": due.isoformat()}, step=fz59)
        if self.target == State.MODERATION:
            raise _Stop

        # moderation
        t = self._staff(t, p.moderate_h)
        if self._chance("reject", p.reject):
            self._reject(d, t)
            return
        if rng.random() < p.reclassify:
            self._reclassify(d, t)
            t = self._staff(t, 0.5)
        actor, role = self._moderator(t) if rng.random() < 0.8 else (None, SYSTEM)
        row = self._begin(d, Action.ACCEPT, t, role)
        payload: dict[str, Any] = {}
        self._set_org(d, self.reg.route[(d.category_id, d.territory_id)], payload)
        self._end(d, row, t, actor, role, payload, args={"organization_id": d.organization_id})

        stuck = self._chance("stuck", p.stuck)
        stuck_in = rng.choice((State.COORDINATION, State.EXECUTION, State.EXECUTION, State.APPROVAL)) if stuck else None
        if stuck_in == State.COORDINATION:
            raise _Stop
        # coordination, possibly through several organisations
        hops = 0
        while True:
            t = self._staff(t, p.coordinate_h)
            roll = rng.random()
            in_term = not fz59 or (d.redirect_due_at is not None and t <= d.redirect_due_at)
            if self.target == State.TRANSFERRED and in_term:
                roll = p.redirect + p.return_to_moderation
            elif self.target is not None:
                roll = 1.0
            if hops < 2 and in_term and roll < p.redirect:
                self._redirect(d, t)
                hops += 1
                continue
            if hops < 2 and in_term and roll < p.redirect + p.return_to_moderation:
                t = self._return_and_route(d, t, p)
                hops += 1
                continue
            if fz59 and in_term and roll < p.redirect + p.return_to_moderation + p.transfer + (
                    1 if self.target == State.TRANSFERRED else 0):
                self._transfer(d, t)
                return
            break
        org = self._org(d)
        self._assign(d, t, rng.choice(org.coordinators), exclude=None)
        if stuck_in == State.EXECUTION:
            raise _Stop

        reconsidered = 0
        while True:
            outcome = "late" if rng.random() < p.late else "on_time"
            published = self._execute(d, t, p, outcome, stuck_in)
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
                rating = _pick(self.profile.ratings, rng)
                if reconsidered:
                    rating = max(rating, SATISFACTORY_RATING)
                comment = rng.choice(self.profile.low_rating_comments) if rating < SATISFACTORY_RATING else ""
                row = self._begin(d, Action.RATE, t, APPLICANT)
                d.rating, d.rating_comment = rating, comment
                self._end(d, row, t, None, APPLICANT, {"rating": rating, "comment": comment},
                          args={"rating": rating, "comment": comment})
                if rating < SATISFACTORY_RATING:
                    self._reconsider(d, t, comment)
                    reconsidered += 1
                    stuck_in = None
                    continue
                row = self._begin(d, Action.CLOSE, t, SYSTEM)
                d.closed_at = t
                self._end(d, row, t, None, SYSTEM, step=False)  # appeal_rate closes it
                return
            t = t + dt.timedelta(days=14)  # nobody rated it: closed when the rating window ends
            row = self._begin(d, Action.CLOSE, t, SYSTEM)
            d.closed_at = t
            self._end(d, row, t, None, SYSTEM)
            return

    # --- moderation and coordination steps

    def _reject(self, d: Any, t: dt.datetime) -> None:
        rng = self.rng
        actor, role = self._moderator(t)
        if d.regime == Regime.FZ59:
            # 59-FZ Art. 11: not rejected, left without an answer on a ground of the law.
            row = self._begin(d, Action.LEAVE_WITHOUT_ANSWER, t, role)
            ground = rng.choice(("unreadable", "substance_unclear", "abusive"))
            d.closed_at = t
            self._end(d, row, t, actor, role, {"ground": ground, "comment": ""}, self.grounds[ground],
                      {"ground": ground})
            return
        row = self._begin(d, Action.REJECT, t, role)
        previous = self.last_by_place.get((d.category_id, d.territory_id))
        args: dict[str, Any] = {}
        if previous is not None and previous[2] < d.received_at and rng.random() < 0.4:
            reason = "duplicate"
            d.duplicate_of_id = previous[1]
            args["duplicate_of"] = previous[0]  # a story's index: each sink knows its appeal's id
        else:
            reason = rng.choice(("spam", "spam", "obscene", "not_a_problem", "not_a_problem", "insufficient_data"))
            d.text = self.story.fields["text"] = self.profile.rejected_text(reason, d.category, d.address,
                                                                            rng) or d.text
        d.closed_at = t
        self._end(d, row, t, actor, role, {"reason": reason, "comment": ""}, self.reject_reasons[reason],
                  {"reason": reason, **args})

    def _reclassify(self, d: Any, t: dt.datetime) -> None:
        actor, role = self._moderator(t)
        row = self._begin(d, Action.RECLASSIFY, t, role)
        category = self.rng.choice(self.reg.categories)
        payload: dict[str, Any] = {"from_category_id": d.category_id, "category_id": category.pk}
        d.category, d.category_id = category, category.pk
        # A term whose breach is recorded is not moved by a new category: late stays late.
        if d.registered_at is not None and d.regime == Regime.POS and d.overdue_marked_at is None:
            due = deadlines.initial_answer_due(cast(Appeal, d), d.registered_at, self.region, self.cal)
            deadlines.set_answer_term(cast(Appeal, d), start=d.registered_at, due=due, region=self.region,
                                      cal=self.cal)
            payload["due_at"] = due.isoformat()
        self._end(d, row, t, actor, role, payload, args={"category_id": category.pk})

    def _redirect(self, d: Any, t: dt.datetime) -> None:
        actor = self._one(self._org(d).coordinators, t)
        row = self._begin(d, Action.REDIRECT, t, Role.COORDINATOR)
        payload: dict[str, Any] = {"from_organization_id": d.organization_id}
        d.redirect_count += 1
        d.postponed_until = None
        deadlines.clear_executor_alarm(cast(Appeal, d))
        self._set_org(d, self._other_org(d.organization_id), payload)
        reason = self.rng.choice(REDIRECT_REASONS)
        self._end(d, row, t, actor, Role.COORDINATOR, payload, reason,
                  {"organization_id": d.organization_id, "reason": reason})

    def _return_and_route(self, d: Any, t: dt.datetime, p: Behaviour) -> dt.datetime:
        actor: int | None = self._one(self._org(d).coordinators, t)
        row = self._begin(d, Action.RETURN_TO_MODERATION, t, Role.COORDINATOR)
        payload: dict[str, Any] = {"from_organization_id": d.organization_id}
        previous = d.organization_id
        d.redirect_count += 1
        d.organization_id = d.coordinator_id = d.executor_id = None
        d.postponed_until = None
        deadlines.clear_executor_alarm(cast(Appeal, d))
        reason = self.rng.choice(REDIRECT_REASONS)
        self._end(d, row, t, actor, Role.COORDINATOR, payload, reason, {"reason": reason})
        t = self._staff(t, p.moderate_h)
        actor, role = self._moderator(t)
        if role == SYSTEM:
            raise _Stop  # nobody to route it: it waits in moderation
        row = self._begin(d, Action.ROUTE, t, role)
        payload = {}
        self._set_org(d, self._other_org(previous), payload)
        self._end(d, row, t, actor, role, payload, args={"organization_id": d.organization_id})
        return t

    def _transfer(self, d: Any, t: dt.datetime) -> None:
        actor = self._one(self._org(d).coordinators, t)
        row = self._begin(d, Action.TRANSFER, t, Role.COORDINATOR)
        d.closed_at = t
        department, guid = self.rng.choice(self.profile.departments)
        reason = "Вопрос относится к компетенции федерального органа."
        self._end(d, row, t, actor, Role.COORDINATOR, {"department": department, "department_sstu_id": guid},
                  reason, {"department": department, "department_sstu_id": guid, "reason": reason})

    def _assign(self, d: Any, t: dt.datetime, coordinator: int, *, exclude: int | None) -> None:
        """The coordinator gives the appeal to an executor who is not away (and not ``exclude``)."""
        executors = self._org(d).executors
        day = self.cal.local_date(t)
        present = [e for e in executors if e != exclude and not any(
            s <= day <= end for s, end, _stand_in in self.reg.absences.get(e, []))]
        executor = self.rng.choice(present or executors)
        actor = self._present(coordinator, t)
        row = self._begin(d, Action.ASSIGN, t, Role.COORDINATOR)
        payload = {"from_executor_id": d.executor_id, "executor_id": executor}
        d.executor_id = executor
        deadlines.clear_executor_alarm(cast(Appeal, d))
        self._end(d, row, t, actor, Role.COORDINATOR, payload, args={"executor_id": executor})

    # --- execution, approval and the answer

    def _executor(self, d: Any, t: dt.datetime) -> int:
        return self._present(d.executor_id, t)

    def _draft(self, d: Any, t: dt.datetime) -> None:
        row = self._begin(d, Action.DRAFT, t, Role.EXECUTOR)
        d.draft_answer = self.profile.answer(d.category, self.cal.local_date(t), self.rng)
        d.draft_resolution_on = None
        self._end(d, row, t, self._executor(d, t), Role.EXECUTOR, {"length": len(d.draft_answer),
                                                                   "resolution_on": None},
                  args={"text": d.draft_answer})

    def _significance(self, d: Any, t: dt.datetime, org: OrgStaff) -> dt.datetime:
        row = self._begin(d, Action.MARK_SIGNIFICANT, t, Role.COORDINATOR)
        d.significant = True
        reason = "Проблема касается многих жителей."
        self._end(d, row, t, self._one(org.coordinators, t), Role.COORDINATOR, {}, reason, {"reason": reason})
        if self.rng.random() < 0.3:
            t = self._staff(t, 2)
            row = self._begin(d, Action.CLEAR_SIGNIFICANT, t, Role.COORDINATOR)
            d.significant = False
            reason = "Проблема локальная."
            self._end(d, row, t, self._one(org.coordinators, t), Role.COORDINATOR, {}, reason, {"reason": reason})
        return t

    def _intermediate(self, d: Any, t: dt.datetime, org: OrgStaff) -> None:
        rng, cal, region = self.rng, self.cal, self.region
        by_executor = rng.random() < 0.8
        role = Role.EXECUTOR if by_executor else Role.COORDINATOR
        actor = self._executor(d, t) if by_executor else self._one(org.coordinators, t)
        row = self._begin(d, Action.INTERMEDIATE, t, role)
        d.intermediate_text = self.profile.intermediate(rng)
        planned = None
        if d.regime != Regime.SOCIAL:
            planned = cal.local_date(t) + dt.timedelta(days=rng.randint(5, 40))
            deadlines.set_resolution(cast(Appeal, d), on=planned, cal=cal)
        payload: dict[str, Any] = {"planned_date": planned.isoformat() if planned else None}
        if d.regime == Regime.SOCIAL:
            due = cal.add_working_days(t, region.social_final_working_days)
            deadlines.set_answer_term(cast(Appeal, d), start=t, due=due, region=region, cal=cal)
            deadlines.set_stage(cast(Appeal, d), now=t, region=region, cal=cal)
            payload["due_at"] = due.isoformat()
        self._end(d, row, t, actor, role, payload, args={"text": d.intermediate_text, "planned_date": planned})

    def _postpone(self, d: Any, t: dt.datetime, org: OrgStaff) -> dt.datetime:
        rng, cal = self.rng, self.cal
        until = max(cal.local_date(d.due_at), cal.local_date(t)) + dt.timedelta(days=rng.randint(7, 45))
        reason = rng.choice(self.profile.postpone_reasons)
        # The confirming role is the region's; a stand-in holding another role of their own would act in
        # that one (permissions.find_capacity) and be refused, so the confirmer acts even while away.
        people = org.heads if self.confirmer == Role.HEAD else org.coordinators
        if rng.random() < 0.1 and self.target is None:
            # A proposal the confirming role declines: the term stays.
            self._propose(d, t, until, reason)
            row = self._begin(d, Action.DECLINE_POSTPONEMENT, t, self.confirmer)
            payload = {"until": until.isoformat(), "proposed_by_id": d.proposed_by_id}
            d.proposed_until, d.proposed_reason, d.proposed_by_id, d.proposed_at = None, "", None, None
            why = "Ответ нужно дать в установленный срок."
            self._end(d, row, t, rng.choice(people), self.confirmer, payload, why, {"reason": why})
            t = self._staff(t, 1)
            if not self._running(d, t):
                return t
        if rng.random() < 0.7:
            # Most postponements are proposed by the executor and confirmed by the coordinator.
            self._propose(d, t, until, reason)
        row = self._begin(d, Action.POSTPONE, t, self.confirmer)
        payload = {"proposed_by_id": d.proposed_by_id}
        d.proposed_until, d.proposed_reason, d.proposed_by_id, d.proposed_at = None, "", None, None
        deadlines.set_postponement(cast(Appeal, d), until=until, now=t, region=self.region, cal=cal)
        alarm = d.executor_alarm_at
        payload.update({"until": until.isoformat(), "reason": reason, "executor_alarm_at": alarm.isoformat()})
        self._end(d, row, t, rng.choice(people), self.confirmer, payload, reason,
                  {"until": until, "reason": reason})
        if rng.random() < 0.75 and self.target != State.POSTPONED:
            # The 75 % rule: the coordinator (re)assigns an executor once the alarm is raised.
            t = self._staff(max(t, alarm), 10)
            self._assign(d, t, self.rng.choice(org.coordinators), exclude=d.executor_id)
        return t

    def _propose(self, d: Any, t: dt.datetime, until: dt.date, reason: str) -> None:
        row = self._begin(d, Action.PROPOSE_POSTPONEMENT, t, Role.EXECUTOR)
        actor = self._executor(d, t)
        d.proposed_until, d.proposed_reason, d.proposed_by_id, d.proposed_at = until, reason, actor, t
        self._end(d, row, t, actor, Role.EXECUTOR, {"until": until.isoformat()}, reason,
                  {"until": until, "reason": reason})

    def _execute(self, d: Any, t: dt.datetime, p: Behaviour, outcome: str,
                 stuck_in: State | None) -> dt.datetime | None:
        """From execution to a published answer; the publication moment, or None when the appeal ended otherwise."""
        rng, cal, region = self.rng, self.cal, self.region
        org = self._org(d)
        if rng.random() < 0.5:
            t = self._staff(t, p.draft_h)
            self._draft(d, t)
        if not d.significant and rng.random() < 0.02:
            t = self._significance(d, t, org)
        if int(d.received_at.timestamp()) % 97 < 3:  # ~3 %, not drawn: the random stream stays as it was
            # The applicant adds a detail to their own open message (FixMyStreet's "update").
            row = self._begin(d, Action.COMMENT, t, APPLICANT)
            note = "Добавляю: проблема стала серьёзнее."
            self._end(d, row, t, None, APPLICANT, {"text": note, "attachments": []}, note, {"text": note})
        if self._chance("intermediate", p.intermediate):
            t = self._staff(t, p.intermediate_h)
            self._intermediate(d, t, org)
        if d.regime != Regime.FZ59 and d.due_at is not None and self._chance("postpone", p.postpone):
            t2 = self._staff(t + (d.due_at - t) * rng.uniform(0.3, 0.8), 0) if d.due_at > t else t
            if self._running(d, t2):
                t = self._postpone(d, t2, org)
                if self.target == State.POSTPONED:
                    raise _Stop
        if d.regime == Regime.FZ59 and d.due_at is not None and rng.random() < p.extend:
            t2 = self._staff(t + (d.due_at - t) * rng.uniform(0.5, 0.9), 0) if d.due_at > t else t
            room = region.fz59_max_extension_days - d.extension_days
            if room >= 5 and self._running(d, t2):
                t = t2
                row = self._begin(d, Action.EXTEND, t, Role.HEAD)
                days = rng.randint(5, room)
                d.extension_days += days
                due = deadlines.extended_due(cast(Appeal, d), region, cal)
                deadlines.set_answer_term(cast(Appeal, d), start=d.term_started_at, due=due, region=region, cal=cal)
                deadlines.set_stage(cast(Appeal, d), now=t, region=region, cal=cal)
                reason = "Требуется дополнительная проверка."
                self._end(d, row, t, self._one(org.heads, t), Role.HEAD, {"days": days, "due_at": due.isoformat()},
                          reason, {"days": days, "reason": reason})
        if d.regime == Regime.FZ59 and self._chance("leave", p.leave):
            t = self._staff(t, 48)
            row = self._begin(d, Action.LEAVE_WITHOUT_ANSWER, t, Role.HEAD)
            ground = rng.choice(("court_decision", "abusive", "unreadable", "substance_unclear", "repeated"))
            d.closed_at = t
            self._end(d, row, t, self._one(org.heads, t), Role.HEAD, {"ground": ground, "comment": ""},
                      self.grounds[ground], {"ground": ground})
            return None

        # When the answer goes out: inside the term, or after it for the late ones.
        overhead = dt.timedelta(hours=p.approve_h + p.publish_h)
        if d.due_at is None:
            target = t + overhead
        elif outcome == "late":
            target = d.due_at + dt.timedelta(hours=rng.expovariate(1 / p.late_h))
        else:
            target = t + max(d.due_at - t, dt.timedelta()) * rng.uniform(0.15, 0.9)
        send_at = self._staff(max(t, target - overhead), 0)
        promise = None
        if rng.random() < 0.2 and d.regime != Regime.SOCIAL:
            promise = rng.randint(5, 40)  # the answer promises the work done in so many days
        rounds = 0
        while True:
            t = send_at
            row = self._begin(d, Action.SEND_FOR_APPROVAL, t, Role.EXECUTOR)
            args: dict[str, Any] = {}
            if not d.draft_answer:
                d.draft_answer = args["text"] = self.profile.answer(d.category, cal.local_date(t), rng)
            if promise is not None:
                d.draft_resolution_on = args["resolution_on"] = cal.local_date(t) + dt.timedelta(days=promise)
            sender = self._executor(d, t)
            self._end(d, row, t, sender, Role.EXECUTOR, args=args)
            if stuck_in == State.APPROVAL:
                raise _Stop
            t = self._staff(t, p.approve_h)
            head = self._one([h for h in org.heads if h != sender] or org.heads, t)
            if rounds < 2 and rng.random() < p.rework:
                row = self._begin(d, Action.RETURN_FOR_REWORK, t, Role.HEAD)
                reason = rng.choice(list(self.rework_reasons))
                comment = rng.choice(self.profile.rework_comments) if reason == "other" else ""
                text = f"{self.rework_reasons[reason]}. {comment}".strip() if comment else self.rework_reasons[reason]
                self._end(d, row, t, head, Role.HEAD, {"reason": reason, "comment": comment}, text,
                          {"reason": reason, "comment": comment})
                rounds += 1
                t = self._staff(t, p.rework_h)
                self._draft(d, t)
                send_at = self._staff(t, p.rework_h / 4)
                continue
            row = self._begin(d, Action.APPROVE, t, Role.HEAD)
            self._end(d, row, t, head, Role.HEAD, {"drafted_by_id": sender})
            break
        t = self._staff(t, p.publish_h)
        publisher_role = Role.HEAD if rng.random() < 0.5 else Role.COORDINATOR
        publisher = self._one(org.heads if publisher_role == Role.HEAD else org.coordinators, t)
        row = self._begin(d, Action.PUBLISH, t, publisher_role)
        d.answer_text = d.draft_answer
        d.answered_at = t
        since = d.consideration_started_at or d.registered_at or d.received_at
        breached = any(stage == Stage.ANSWER and detected >= since
                       for (stage, _due), detected in self.story.detected.items())
        published: dict[str, Any] = {"on_time": bool((d.due_at is None or t <= d.due_at) and not breached),
                                     # read back from the database by the service: in UTC
                                     "due_at": d.due_at.astimezone(dt.UTC).isoformat() if d.due_at else None,
                                     "answer": d.answer_text}
        if d.draft_resolution_on is not None:
            deadlines.set_resolution(cast(Appeal, d), on=d.draft_resolution_on, cal=cal)
            published["resolution_on"] = d.draft_resolution_on.isoformat()
            d.draft_resolution_on = None
        self._end(d, row, t, publisher, publisher_role, published)
        if d.resolution_due_at is not None and d.resolved_at is None and rng.random() < 0.7:
            # Recorded with the answer (the work was done by then), so the story's events stay in order.
            row = self._begin(d, Action.RESOLVE, t, Role.EXECUTOR)
            on_time = t <= d.resolution_due_at and d.resolution_overdue_marked_at is None
            d.resolved_at = t
            self._end(d, row, t, self._executor(d, t), Role.EXECUTOR,
                      {"on_time": on_time, "comment": "", "resolution_on": d.resolution_on.isoformat()})
        return t

    def _reconsider(self, d: Any, t: dt.datetime, comment: str) -> None:
        row = self._begin(d, Action.RECONSIDER, t, SYSTEM)
        d.reconsideration_count += 1
        d.answered_at = d.closed_at = d.postponed_until = None
        d.extension_days = 0
        d.consideration_started_at = t
        d.proposed_until, d.proposed_reason, d.proposed_by_id, d.proposed_at = None, "", None, None
        due = deadlines.reconsideration_due(cast(Appeal, d), t, self.region, self.cal)
        deadlines.set_answer_term(cast(Appeal, d), start=t, due=due, region=self.region, cal=self.cal)
        self._end(d, row, t, None, SYSTEM, {"due_at": due.isoformat()}, comment, step=False)  # appeal_rate does it

