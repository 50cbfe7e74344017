"""Routing's reads: the settings, the decided appeals to learn from, the active models, an appeal's
suggestions and how often automatic routing was later corrected.

``suggestions`` takes an appeal the caller already holds through ``appeals.selectors.appeal_for_user``
(the one place that scopes staff reads); the dashboard figure is scoped by the same selector.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from threading import Lock
from typing import cast

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db.models import Count, Exists, Max, OuterRef
from django.utils.translation import gettext as _

from otklik.accounts.models import Role, User
from otklik.accounts.permissions import capacities
from otklik.appeals.lifecycle import Action, State
from otklik.appeals.models import Appeal, AppealEvent
from otklik.appeals.selectors import allowed_actions, visible_appeals
from otklik.registry.models import Category, Organization, Territory
from otklik.registry.selectors import route_organization
from otklik.routing import duplicates
from otklik.routing.classifier import TextClassifier
from otklik.routing.models import Fingerprint, FingerprintBand, Place, RoutingModel, RoutingSettings
from otklik.routing.places import Entry, Found, Gazetteer
from otklik.routing.training import Example, organization_source

# Past these states the organisation has taken the appeal: the moderator's routing, corrected by any
# redirect or re-classification, is final, and the appeal can teach the models.
DECIDED_STATES = (State.EXECUTION, State.POSTPONED, State.APPROVAL, State.APPROVED, State.ANSWERED, State.CLOSED)
# What undoes an automatic routing: the organisation sends it on, or back to the moderator.
CORRECTIONS = (Action.REDIRECT, Action.RETURN_TO_MODERATION, Action.ROUTE)
TOP = 3
MODERATOR_ROLES = (Role.MODERATOR, Role.REGIONAL_COORDINATOR)


def routing_settings() -> RoutingSettings:
    row = RoutingSettings.objects.order_by("pk").first()
    return row if row is not None else RoutingSettings()


# The newest decisions are the ones that say how the region routes now, and a bound keeps the nightly
# training within minutes and memory on two cores.
MAX_TRAINING_APPEALS = 50_000


def decided_examples(limit: int = MAX_TRAINING_APPEALS) -> list[Example]:
    rows = (
        Appeal.objects.filter(state__in=DECIDED_STATES, category__isnull=False, organization__isnull=False,
                              duplicate_of__isnull=True)
        .order_by("-pk")
        .values_list("text", "category_id", "organization_id", "territory_id")[:limit]
    )
    return [Example(text, str(c), str(o), str(t) if t else None) for text, c, o, t in rows]


def keyword_categories() -> list[tuple[str, str, str]]:
    return [(str(pk), name, keywords) for pk, name, keywords in
            Category.objects.filter(is_active=True).values_list("pk", "name", "keywords")]


def table_organization(category_id: str, territory_id: str | None) -> str | None:
    """The routing table as the training module asks it (ids as strings)."""
    category = Category.objects.filter(pk=int(category_id)).first()
    if category is None:
        return None
    territory = Territory.objects.filter(pk=int(territory_id)).first() if territory_id else None
    organization = route_organization(category=category, territory=territory)
    return str(organization.pk) if organization else None


def next_version(target: str) -> int:
    last = RoutingModel.objects.filter(target=target).order_by("-version").values_list("version", flat=True).first()
    return (last or 0) + 1


_loaded: dict[int, TextClassifier] = {}
_lock = Lock()


def active_model(target: str) -> tuple[RoutingModel, TextClassifier] | None:
    """The active version and its classifier, read from its file once per process and version.

    Every process asks the database which version is active (one indexed row), so a rollback in admin
    reaches all web processes and workers at their next suggestion.
    """
    row = RoutingModel.objects.filter(target=target, is_active=True).first()
    if row is None:
        return None
    with _lock:
        model = _loaded.get(row.pk)
        if model is None:
            with default_storage.open(row.file.name, "rb") as handle:
                data = handle.read()
            if hashlib.sha256(data).hexdigest() != row.sha256:
                # A file that is not the one trained is never unpickled.
                return None
            model = TextClassifier.loads(data)
            _loaded.clear()  # old versions are dropped; a process keeps at most the active pair
            _loaded[row.pk] = model
    return row, model


_gazetteer: dict[tuple[int, int | None], Gazetteer] = {}


def gazetteer() -> Gazetteer:
    """The region's gazetteer in memory, rebuilt in every process when an import added or removed places
    (a moved point alone reaches other processes at their restart)."""
    state = Place.objects.aggregate(n=Count("pk"), last=Max("pk"))
    version = (int(state["n"] or 0), state["last"])
    with _lock:
        found = _gazetteer.get(version)
        if found is None:
            rows = Place.objects.values_list("pk", "kind", "key", "territory_id", "latitude", "longitude", "name")
            entries = [Entry(*row) for row in rows]
            parents: dict[int, int | None] = dict(Territory.objects.values_list("pk", "parent_id"))
            found = Gazetteer(entries, parents)
            _gazetteer.clear()
            _gazetteer[version] = found
    return found


def place_in_text(text: str) -> Found | None:
    return gazetteer().find(text)


@dataclass(frozen=True)
class Choice:
    id: int
    name: str
    confidence: float
    because: tuple[str, ...] = ()


@dataclass
class Suggestions:
    categories: list[Choice] = field(default_factory=list)
    organizations: list[Choice] = field(default_factory=list)
    territory: str = ""
    territory_from_text: bool = False
    # «table» (the routing table over the predicted categories) or «model» (learned, measured better)
    organization_source: str = "table"
    category_version: RoutingModel | None = None
    organization_version: RoutingModel | None = None

    @property
    def from_history(self) -> bool:
        version = self.category_version
        return version is not None and version.source == RoutingModel.Source.HISTORY

    def automatic_choice(self, threshold: float) -> tuple[Choice, Choice] | None:
        """The (category, organisation) pair sure enough to decide without a moderator, if any."""
        if not self.from_history or not self.categories or not self.organizations:
            return None
        category, organization = self.categories[0], self.organizations[0]
        if category.confidence >= threshold and organization.confidence >= threshold:
            return category, organization
        return None


def suggestions(appeal: Appeal) -> Suggestions:
    """Top categories and organisations for the appeal, with confidence and the words that weighed most."""
    result = Suggestions(territory=appeal.territory.name if appeal.territory_id and appeal.territory else "")
    territory = appeal.territory if appeal.territory_id else None
    if territory is None:
        # The author gave no place: the gazetteer may find one in the words.
        found_place = place_in_text(appeal.text)
        if found_place is not None:
            territory = Territory.objects.filter(pk=found_place.territory_id).first()
            if territory is not None:
                result.territory = f"{found_place.entry.name} ({territory.name})" \
                    if found_place.entry.name != territory.name else territory.name
                result.territory_from_text = True
    loaded = active_model(RoutingModel.Target.CATEGORY)
    if loaded is None:
        return result
    row, model = loaded
    result.category_version = row
    territory_key = str(territory.pk) if territory else None
    ranked = model.suggest(appeal.text, top=len(model.labels))
    names = Category.objects.in_bulk([int(s.label) for s in ranked[:TOP]])
    result.categories = [
        Choice(int(s.label), names[int(s.label)].name, s.confidence, s.because)
        for s in ranked[:TOP] if int(s.label) in names
    ]
    organization_model = active_model(RoutingModel.Target.ORGANIZATION)
    if organization_model is not None and organization_source(organization_model[0].metrics.get("organization", {})) \
            == "model":
        org_row, org_model = organization_model
        result.organization_source = "model"
        result.organization_version = org_row
        found = org_model.suggest(appeal.text, territory_key, top=TOP)
        orgs = Organization.objects.in_bulk([int(s.label) for s in found])
        result.organizations = [
            Choice(int(s.label), orgs[int(s.label)].name, s.confidence, s.because)
            for s in found if int(s.label) in orgs
        ]
        return result
    # The table: each likely category sends its probability to the organisation that handles it here.
    categories = Category.objects.in_bulk([int(s.label) for s in ranked if s.confidence >= 0.01])
    mass: dict[int, float] = {}
    reasons: dict[int, tuple[str, ...]] = {}
    organizations: dict[int, Organization] = {}
    for s in ranked:
        category = categories.get(int(s.label))
        if category is None:
            continue
        organization = route_organization(category=category, territory=territory)
        if organization is None:
            continue
        organizations[organization.pk] = organization
        mass[organization.pk] = mass.get(organization.pk, 0.0) + s.confidence
        reasons.setdefault(organization.pk, (category.name,))
    order = sorted(mass, key=lambda pk: -mass[pk])[:TOP]
    result.organizations = [Choice(pk, organizations[pk].name, mass[pk], reasons[pk]) for pk in order]
    return result


@dataclass(frozen=True)
class AutomaticFigures:
    routed: int
    corrected: int

    @property
    def accuracy(self) -> float | None:
        return (self.routed - self.corrected) / self.routed if self.routed else None


AUTOMATIC_FIGURES_SECONDS = 300


def automatic_routing_figures(user: User) -> AutomaticFigures:
    """Of the automatic routings on appeals the user can see, how many were later redirected or re-routed."""
    automatic = AppealEvent.objects.filter(
        appeal__in=visible_appeals(user), action=Action.ACCEPT, payload__automatic=True
    )
    later = AppealEvent.objects.filter(appeal_id=OuterRef("appeal_id"), at__gte=OuterRef("at"),
                                       action__in=CORRECTIONS).exclude(pk=OuterRef("pk"))
    routed = automatic.count()
    corrected = automatic.filter(Exists(later)).count()
    return AutomaticFigures(routed=routed, corrected=corrected)


# --- near-duplicates -------------------------------------------------------------------------------

SIMILAR_LIMIT = 5
SAME_PLACE_CANDIDATES = 300


@dataclass(frozen=True)
class Similar:
    appeal: Appeal
    kind: str  # exact, near_copy, same_place
    score: float

    @property
    def reason(self) -> str:
        if self.kind == "exact":
            return str(_("the same text"))
        if self.kind == "near_copy":
            return str(_("nearly the same text (%(share)d %% in common)") % {"share": round(self.score * 100)})
        return str(_("the same category and place, %(share)d %% of words in common")
                   % {"share": round(self.score * 100)})


def merged_duplicates(main: Appeal) -> list[Appeal]:
    """The messages merged into ``main`` (rejected as its duplicates), who follow it and get its answer."""
    return list(Appeal.objects.filter(duplicate_of=main, state=State.REJECTED).select_related("applicant"))


def appeals_without_fingerprint(*, limit: int) -> list[int]:
    return list(Appeal.objects.filter(fingerprint__isnull=True).order_by("-pk").values_list("pk", flat=True)[:limit])


def similar_appeals(user: User, appeal: Appeal, *, window_days: int = 30, limit: int = SIMILAR_LIMIT) -> list[Similar]:
    """Appeals the user can see that repeat this one: the same text, a near-copy, or the same problem at the
    same place within the window before and after it (the original may have come later, when this is the
    repeat being moderated first)."""
    visible = visible_appeals(user).exclude(pk=appeal.pk)
    window = dt.timedelta(days=window_days)
    recent = visible.filter(received_at__gte=appeal.received_at - window, received_at__lte=appeal.received_at + window)
    values = duplicates.signature(appeal.text)
    found: dict[int, Similar] = {}
    for other in recent.filter(fingerprint__exact=duplicates.exact_hash(appeal.text)).order_by("received_at")[:limit]:
        found[other.pk] = Similar(other, "exact", 1.0)
    keys = duplicates.band_keys(values)
    candidates = (
        Fingerprint.objects.filter(appeal__in=recent, pk__in=FingerprintBand.objects.filter(key__in=keys)
                                   .values("fingerprint_id"))
        .exclude(appeal_id__in=list(found)).values_list("appeal_id", "signature")[:SAME_PLACE_CANDIDATES]
    )
    near = {pk: duplicates.similarity(values, other) for pk, other in candidates}
    near = {pk: score for pk, score in near.items() if score >= duplicates.NEAR_COPY}
    place: dict[int, float] = {}
    if appeal.category_id and appeal.territory_id:
        mine = duplicates.content_words(appeal.text)
        same_place = (
            recent.filter(category_id=appeal.category_id, territory_id=appeal.territory_id)
            .exclude(pk__in=[*found, *near]).order_by("-received_at").values_list("pk", "text")[:SAME_PLACE_CANDIDATES]
        )
        place = {pk: duplicates.overlap(mine, duplicates.content_words(text)) for pk, text in same_place}
    place = {pk: score for pk, score in place.items() if score >= duplicates.SAME_PROBLEM}
    appeals = Appeal.objects.in_bulk([*near, *place])
    for pk, score in sorted(near.items(), key=lambda item: -item[1]):
        found[pk] = Similar(appeals[pk], "near_copy", score)
    for pk, score in sorted(place.items(), key=lambda item: -item[1]):
        found[pk] = Similar(appeals[pk], "same_place", score)
    return list(found.values())[:limit]


# --- the appeal card ---------------------------------------------------------------------------------

ROUTING_STATES = (State.MODERATION, State.COORDINATION)


@dataclass
class Card:
    suggestions: Suggestions
    automatic: AutomaticFigures
    threshold: float
    auto_route: bool
    similar: list[Similar] = field(default_factory=list)
    # Merging is the existing rejection as a duplicate, offered where the user may reject this appeal.
    can_merge: bool = False


def card(user: User, appeal: Appeal) -> Card | None:
    """What the routing section of the card shows, for those who route (moderators) while it is routed."""
    if appeal.state not in ROUTING_STATES:
        return None
    if not any(c.role in MODERATOR_ROLES for c in capacities(user)):
        return None
    settings_row = routing_settings()
    merge = Action.REJECT in allowed_actions(user, appeal)
    # The figures count every automatic decision the user can see (a second at a million appeals): a
    # moderator opening card after card sees them recounted every few minutes, not on every card.
    automatic = cast(AutomaticFigures, cache.get_or_set(f"routing:automatic:{user.pk}",
                                                        lambda: automatic_routing_figures(user),
                                                        AUTOMATIC_FIGURES_SECONDS))
    return Card(can_merge=merge, suggestions=suggestions(appeal), automatic=automatic,
                threshold=settings_row.auto_route_threshold, auto_route=settings_row.auto_route,
                similar=similar_appeals(user, appeal, window_days=settings_row.similar_window_days))
