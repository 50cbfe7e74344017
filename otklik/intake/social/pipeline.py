"""The incident pipeline before a person looks: normalise → exact and near duplicates → is it a
problem, is it ours → suggested category, territory, organisation and importance.

Reference data (categories' keywords, the territories' names as a gazetteer, recent posts'
fingerprints and lemma sets) is read once per batch, so a batch of posts costs text work, not queries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from datasketch import MinHash, MinHashLSH

from otklik.registry.models import Category, Organization, Territory
from otklik.registry.selectors import route_organization
from otklik.routing.models import RoutingModel
from otklik.routing.selectors import active_model, place_in_text
from otklik.routing.text import clean, lemma, lemmas, quick_tokens

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
# A post is a near duplicate of a kept one when every content word of the shorter is in the longer (a
# repost with a comment, a copy with prepositions changed) and their numbers (houses, routes) agree: one
# word apart is often the street, and «фонари на Ленина» and «фонари на Мира» are two reports, not one.
# Candidates come from MinHash LSH over the lemma sets; the overlap is then counted exactly.
CANDIDATE_JACCARD = 0.5
SHORT_WORD = 2  # prepositions and particles may differ
PERMUTATIONS = 64
SCHEME: Literal["affine32"] = "affine32"
MIN_NEAR_WORDS = 4
NEAR_WINDOW = dt.timedelta(days=3)
MIN_PROBLEM_WORDS = 1
# The routing classifier's category is taken from this confidence on (it is calibrated: 0.5 is right
# about half the time); the moderator sees and fixes the suggestion either way.
CLASSIFIER_CONFIDENCE = 0.5


def normalize(text: str) -> str:
    # The routing's quick tokeniser (a regular expression) on the cleaned text: razdel's full
    # tokenisation costs more than the lemmas and gives the same words here.
    return " ".join(lemma(word) for word in quick_tokens(clean(text).lower()))


def fingerprint(normalized: str) -> str:
    return hashlib.sha256(normalized.encode()).hexdigest()


@cache
def _permutations() -> Any:
    return MinHash(num_perm=PERMUTATIONS, seed=1, scheme=SCHEME).permutations  # drawn once, not per post


@cache
def _bands() -> tuple[int, int]:
    """The LSH's bands and rows for the threshold; datasketch integrates to find them, so once only."""
    probe = MinHashLSH(threshold=CANDIDATE_JACCARD, num_perm=PERMUTATIONS)
    return probe.b, probe.r


def signature(words: frozenset[str]) -> MinHash:
    sig = MinHash(num_perm=PERMUTATIONS, seed=1, permutations=_permutations(), scheme=SCHEME)
    sig.update_batch([w.encode() for w in words])
    return sig


@dataclass(frozen=True)
class Shape:
    """What two texts must share to be one report: the numbers, and the shorter's content words."""

    content: frozenset[str]
    numbers: frozenset[str]

    @classmethod
    def of(cls, words: frozenset[str]) -> Shape:
        return cls(frozenset(w for w in words if len(w) > SHORT_WORD), frozenset(w for w in words if w.isdigit()))

    def same_report(self, other: Shape) -> bool:
        if self.numbers != other.numbers:
            return False
        if len(self.content) <= len(other.content):
            return self.content <= other.content
        return other.content <= self.content


@dataclass
class Verdict:
    normalized: str
    fingerprint: str
    signature: MinHash | None = None
    duplicate_of: int | None = None
    near: bool = False
    is_problem: bool = False
    in_territory: bool = False
    category_id: int | None = None
    territory_id: int | None = None
    organization_id: int | None = None
    high_importance: bool = False


@dataclass
class Recent:
    """Posts already kept, for duplicates across batches and within one: exact fingerprints, and
    for near duplicates a MinHash LSH index whose candidates are confirmed by their real overlap."""

    exact: dict[str, int] = field(default_factory=dict)
    shapes: dict[int, Shape] = field(default_factory=dict)
    lsh: MinHashLSH = field(default_factory=lambda: MinHashLSH(num_perm=PERMUTATIONS, params=_bands()))
    parent: Recent | None = None

    def add(self, post_id: int, fp: str, normalized: str, sig: MinHash | None = None) -> None:
        self.exact.setdefault(fp, post_id)
        words = frozenset(normalized.split())
        if len(words) >= MIN_NEAR_WORDS and post_id not in self.shapes:
            self.shapes[post_id] = Shape.of(words)
            self.lsh.insert(post_id, sig if sig is not None else signature(words))

    def find_exact(self, fp: str) -> int | None:
        found = self.exact.get(fp)
        if found is None and self.parent is not None:
            return self.parent.find_exact(fp)
        return found

    def find_near(self, shape: Shape, sig: MinHash) -> int | None:
        matches = [post_id for post_id in self.lsh.query(sig) if shape.same_report(self.shapes[post_id])]
        if matches:
            return min(matches, key=lambda post_id: (post_id < 0, abs(post_id)))  # the earliest kept post
        return self.parent.find_near(shape, sig) if self.parent is not None else None

    def layer(self) -> Recent:
        """A layer for one page: found here first, then below; dropped if the page is not stored."""
        return Recent(parent=self)


class Pipeline:
    def __init__(self) -> None:
        # Each keyword is a phrase of content lemmas that must all be in the post («уход на дому» is not
        # matched by «дом» alone); a category scores the phrases it matches, longer phrases first.
        self.categories: list[tuple[int, list[frozenset[str]], Category]] = []
        for category in Category.objects.filter(is_active=True):
            phrases = [frozenset(w for w in lemmas(keyword) if len(w) > SHORT_WORD)
                       for keyword in category.keyword_list()]
            phrases = [phrase for phrase in phrases if phrase]
            if phrases:
                self.categories.append((category.pk, phrases, category))
        # A lemma many categories use («дом») tells less than one only a single category has («батарея»).
        spread: dict[str, int] = {}
        for _pk, phrases, _c in self.categories:
            for lemma_ in {w for phrase in phrases for w in phrase}:
                spread[lemma_] = spread.get(lemma_, 0) + 1
        self.weights = {phrase: 1 / min(spread[w] for w in phrase)
                        for _pk, phrases, _c in self.categories for phrase in phrases}
        self.problem_words = PROBLEM_LEMMAS | frozenset(
            w for _pk, phrases, _c in self.categories for phrase in phrases if len(phrase) == 1 for w in phrase)
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
        # The routing classifier, once a version is active: it knows the region's history, the keywords
        # only what the registry wrote down. Below its confidence bar the keywords decide.
        loaded = active_model(RoutingModel.Target.CATEGORY)
        self.classifier = loaded[1] if loaded is not None else None
        self.active_categories = {pk: category for pk, _phrases, category in self.categories}
        self.active_categories.update({c.pk: c for c in Category.objects.filter(is_active=True)})
        self.territories_by_pk = {territory.pk: territory for _names, territory in self.territories}

    def judge(self, text: str, recent: Recent, *, source_territory: Territory | None,
              source_organization: Organization | None) -> Verdict:
        normalized = normalize(text)
        verdict = Verdict(normalized=normalized, fingerprint=fingerprint(normalized))
        if normalized:
            exact = recent.find_exact(verdict.fingerprint)
            if exact is not None:
                verdict.duplicate_of = exact
                return verdict
        words = frozenset(normalized.split())
        if len(words) >= MIN_NEAR_WORDS:
            verdict.signature = signature(words)
            near = recent.find_near(Shape.of(words), verdict.signature)
            if near is not None:
                verdict.duplicate_of, verdict.near = near, True
                return verdict
        verdict.is_problem = len(words & self.problem_words) >= MIN_PROBLEM_WORDS
        verdict.high_importance = bool(words & HIGH_IMPORTANCE_LEMMAS)
        territory = next((t for names, t in self.territories if all(n in words for n in names)), None)
        if territory is None and source_territory is None:
            # Streets, villages and landmarks of the routing's gazetteer, where the region imported one.
            place = place_in_text(text)
            if place is not None:
                territory = self.territories_by_pk.get(place.territory_id) or Territory.objects.filter(
                    pk=place.territory_id).first()
        territory = territory or source_territory
        verdict.in_territory = territory is not None or source_organization is not None
        verdict.territory_id = territory.pk if territory else None
        best: tuple[tuple[float, int, int], Category] | None = None
        for _pk, phrases, category in self.categories:
            matched = [phrase for phrase in phrases if phrase <= words]
            if matched:
                # The more telling words, then the longer phrases, then the narrower category.
                score = (sum(self.weights[phrase] for phrase in matched), sum(len(phrase) for phrase in matched),
                         int(category.parent_id is not None))
                if best is None or score > best[0]:
                    best = (score, category)
        chosen = best[1] if best is not None else None
        if self.classifier is not None:
            ranked = self.classifier.suggest(text, top=1)
            if ranked and ranked[0].confidence >= CLASSIFIER_CONFIDENCE:
                chosen = self.active_categories.get(int(ranked[0].label), chosen)
        if chosen is not None:
            verdict.category_id = chosen.pk
            verdict.organization_id = self._route(chosen, territory)
        if verdict.organization_id is None and source_organization is not None:
            verdict.organization_id = source_organization.pk
        return verdict

    def _route(self, category: Category, territory: Territory | None) -> int | None:
        key = (category.pk, territory.pk if territory else None)
        if key not in self._routes:
            found = route_organization(category=category, territory=territory)
            self._routes[key] = found.pk if found else None
        return self._routes[key]
