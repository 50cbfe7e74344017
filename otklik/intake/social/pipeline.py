"""The incident pipeline before a person looks: normalise → exact and near duplicates → is it a
problem, is it ours → suggested category, territory, organisation and importance.

Reference data (categories' keywords, the territories' names as a gazetteer, recent posts'
fingerprints) is read once per batch, so a batch of posts costs text work, not queries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from otklik.registry.models import Category, Organization, Territory
from otklik.registry.selectors import route_organization
from otklik.routing.text import clean, lemmas

# Words of a report about something broken, dangerous or neglected (lemmas). A region extends them
# through its categories' keywords, which count as problem words too.
_PROBLEM_WORDS = """
яма ямка выбоина лужа грязь мусор свалка контейнер вывоз снег наледь сосулька гололед уборка чистить
прорыв авария течь протечка затопить затопление канализация отопление батарея холодно горячий вода свет
электричество отключить отключение фонарь освещение светофор дорога тротуар асфальт ремонт разбитый
сломать сломанный сломаться обрушение обрушиться трещина крыша подъезд лифт детский площадка остановка
автобус маршрут транспорт опасно опасный угроза пожар дым запах вонь собака бродячий дерево упасть
аварийный жалоба проблема невозможно почему когда сколько безобразие помогите помочь просить требовать
управляющий ук жкх неделя месяц нет не работать
"""
PROBLEM_LEMMAS = frozenset(_PROBLEM_WORDS.split())
# Lemmas that make a post urgent: life, health, children, utilities cut in winter.
_URGENT_WORDS = """
пожар дым обрушение обрушиться угроза опасно опасный авария аварийный прорыв затопить затопление ребенок
дети школа больница скорая газ взрыв замерзать мороз
"""
HIGH_IMPORTANCE_LEMMAS = frozenset(_URGENT_WORDS.split())
NEAR_BITS = 3  # simhash distance up to which two texts are the same report reworded
NEAR_WINDOW = dt.timedelta(days=3)
MIN_PROBLEM_WORDS = 1


def normalize(text: str) -> str:
    return " ".join(lemmas(clean(text)))


def fingerprint(normalized: str) -> str:
    return hashlib.sha256(normalized.encode()).hexdigest()


def simhash(normalized: str) -> int:
    """A 64-bit similarity hash over word pairs; stored signed (a database's BIGINT)."""
    words = normalized.split()
    features = [" ".join(words[i:i + 2]) for i in range(max(len(words) - 1, 1))] if words else []
    weights = [0] * 64
    for feature in features:
        value = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if value >> bit & 1 else -1
    result = sum(1 << bit for bit in range(64) if weights[bit] > 0)
    return result - (1 << 64) if result >= 1 << 63 else result


def distance(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()


@dataclass
class Verdict:
    normalized: str
    fingerprint: str
    simhash: int
    duplicate_of: int | None = None
    near: bool = False
    is_problem: bool = False
    in_territory: bool = False
    category_id: int | None = None
    territory_id: int | None = None
    organization_id: int | None = None
    high_importance: bool = False


BANDS = 4  # 64 bits in 4 bands of 16: texts within NEAR_BITS (< BANDS) share a band exactly


@dataclass
class Recent:
    """Fingerprints of posts already kept, for duplicates across batches and within one. Near
    duplicates are looked up by band (pigeonhole), not by scanning every recent post."""

    exact: dict[str, int] = field(default_factory=dict)
    bands: list[dict[int, list[tuple[int, int]]]] = field(default_factory=lambda: [{} for _ in range(BANDS)])
    parent: Recent | None = None

    def add(self, post_id: int, fp: str, sh: int) -> None:
        self.exact.setdefault(fp, post_id)
        for band, index in enumerate(self.bands):
            index.setdefault(sh >> (16 * band) & 0xFFFF, []).append((sh, post_id))

    def find_exact(self, fp: str) -> int | None:
        found = self.exact.get(fp)
        if found is None and self.parent is not None:
            return self.parent.find_exact(fp)
        return found

    def find_near(self, sh: int) -> int | None:
        for band, index in enumerate(self.bands):
            for other, post_id in index.get(sh >> (16 * band) & 0xFFFF, ()):
                if distance(other, sh) <= NEAR_BITS:
                    return post_id
        return self.parent.find_near(sh) if self.parent is not None else None

    def layer(self) -> Recent:
        """A layer for one page: found here first, then below; dropped if the page is not stored."""
        return Recent(parent=self)


class Pipeline:
    def __init__(self) -> None:
        self.categories: list[tuple[int, frozenset[str], Category]] = []
        for category in Category.objects.filter(is_active=True):
            words = frozenset(w for keyword in category.keyword_list() for w in lemmas(keyword))
            if words:
                self.categories.append((category.pk, words, category))
        self.problem_words = PROBLEM_LEMMAS | frozenset(w for _pk, words, _c in self.categories for w in words)
        # The gazetteer: a territory is found by all the lemmas of its name (a short name like
        # «Северодольск» is one word; «Заречный район» needs «заречный»).
        self.territories: list[tuple[tuple[str, ...], Territory]] = []
        for territory in Territory.objects.all():
            names = tuple(w for w in lemmas(territory.name) if w not in {"район", "город", "округ", "область",
                                                                          "городской", "муниципальный", "поселение"})
            if names:
                self.territories.append((names, territory))
        self.territories.sort(key=lambda pair: -len(pair[0]))
        self._routes: dict[tuple[int, int | None], int | None] = {}

    def judge(self, text: str, recent: Recent, *, source_territory: Territory | None,
              source_organization: Organization | None) -> Verdict:
        normalized = normalize(text)
        verdict = Verdict(normalized=normalized, fingerprint=fingerprint(normalized), simhash=simhash(normalized))
        if normalized:
            exact = recent.find_exact(verdict.fingerprint)
            if exact is not None:
                verdict.duplicate_of = exact
                return verdict
        if len(normalized.split()) >= 4:
            near = recent.find_near(verdict.simhash)
            if near is not None:
                verdict.duplicate_of, verdict.near = near, True
                return verdict
        words = set(normalized.split())
        verdict.is_problem = len(words & self.problem_words) >= MIN_PROBLEM_WORDS
        verdict.high_importance = bool(words & HIGH_IMPORTANCE_LEMMAS)
        territory = next((t for names, t in self.territories if all(n in words for n in names)), None)
        territory = territory or source_territory
        verdict.in_territory = territory is not None or source_organization is not None
        verdict.territory_id = territory.pk if territory else None
        best = max(((len(words & cwords), pk, category) for pk, cwords, category in self.categories),
                   default=None, key=lambda row: row[0])
        if best is not None and best[0] > 0:
            verdict.category_id = best[1]
            verdict.organization_id = self._route(best[2], territory)
        if verdict.organization_id is None and source_organization is not None:
            verdict.organization_id = source_organization.pk
        return verdict

    def _route(self, category: Category, territory: Territory | None) -> int | None:
        key = (category.pk, territory.pk if territory else None)
        if key not in self._routes:
            found = route_organization(category=category, territory=territory)
            self._routes[key] = found.pk if found else None
        return self._routes[key]
