"""Reads for citizens and the public. Nothing here is scoped by staff roles: these are the appeals
anyone may see (public categories, past moderation, never 59-FZ letters) and the applicant's own
appeal, opened with its secret key."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from otklik.appeals.lifecycle import OPEN_STATES, Regime, State
from otklik.appeals.models import Appeal
from otklik.intake import geo
from otklik.intake.models import Attachment
from otklik.registry.models import Category, Organization, RoutingRule, Territory
from otklik.registry.selectors import registry_snapshot

# Before moderation a message may be spam or abuse; rejected ones stay hidden for the same reason.
NOT_PUBLIC_STATES = (State.RECEIVED, State.MODERATION, State.REJECTED)
ANSWERED_STATES = (State.ANSWERED, State.CLOSED)


def public_appeals() -> QuerySet[Appeal]:
    """Appeals the public may see: a public category, past moderation, not a 59-FZ appeal."""
    return (
        Appeal.objects.filter(category__is_public=True)
        .exclude(regime=Regime.FZ59)
        .exclude(state__in=NOT_PUBLIC_STATES)
        .select_related("category", "category__parent", "organization", "territory")
    )


def is_public(appeal: Appeal) -> bool:
    return bool(
        appeal.category is not None and appeal.category.is_public and appeal.regime != Regime.FZ59
        and appeal.state not in NOT_PUBLIC_STATES
    )


def awaiting_moderation(number: str) -> Appeal | None:
    """A message that will become public once moderated: a public category, not a 59-FZ letter,
    still received or in moderation. Its sender may follow its status by number."""
    return (
        Appeal.objects.filter(number=number, state__in=(State.RECEIVED, State.MODERATION), category__is_public=True)
        .exclude(regime=Regime.FZ59)
        .select_related("category")
        .first()
    )


def answered_public_appeals() -> QuerySet[Appeal]:
    return public_appeals().filter(state__in=ANSWERED_STATES).order_by("-answered_at", "-id")


def appeal_by_key(number: str, key: str) -> Appeal | None:
    """The appeal with this number if ``key`` is its secret (compared in constant time)."""
    appeal = (
        Appeal.objects.filter(number=number)
        .select_related("category", "category__parent", "organization", "territory")
        .first()
    )
    if appeal is None or not key or not hmac.compare_digest(appeal.access_token, key):
        return None
    return appeal


@dataclass(frozen=True)
class Nearby:
    appeal: Appeal
    distance_m: int


def nearby_open(*, category_id: int, lat: float, lon: float, radius_m: int, limit: int = 5) -> list[Nearby]:
    """Open public appeals of the same category around a point, nearest first."""
    min_lat, max_lat, min_lon, max_lon = geo.bbox(lat, lon, radius_m)
    candidates = (
        public_appeals()
        .filter(category_id=category_id, state__in=sorted(str(s) for s in OPEN_STATES),
                latitude__range=(min_lat, max_lat), longitude__range=(min_lon, max_lon))
        .order_by("-received_at")[:200]
    )
    found = []
    for appeal in candidates:
        assert appeal.latitude is not None and appeal.longitude is not None
        distance = geo.distance_m(lat, lon, appeal.latitude, appeal.longitude)
        if distance <= radius_m:
            found.append(Nearby(appeal=appeal, distance_m=round(distance)))
    found.sort(key=lambda item: item.distance_m)
    return found[:limit]


def _outlined_territories() -> list[tuple[tuple[int, float], Territory]]:
    """Territories with a boundary, each with its rank: the depth in the tree, then the smaller outline."""
    parents = dict(Territory.objects.values_list("pk", "parent_id"))

    def depth(pk: int) -> int:
        seen: set[int] = set()
        node: int | None = pk
        while node is not None and node not in seen:
            seen.add(node)
            node = parents.get(node)
        return len(seen)

    return [((depth(t.pk), -geo.extent(t.boundary)), t) for t in Territory.objects.exclude(boundary=None)]


def territory_at(lat: float, lon: float) -> Territory | None:
    """The smallest territory whose boundary contains the point: the deepest in the tree, and of two
    at the same depth (a city inside a district's outline) the one with the smaller outline. The
    outlines are read once per registry version (registry/selectors.py)."""
    outlined = registry_snapshot().get("intake.outlined_territories", _outlined_territories)
    matches = [(rank, t) for rank, t in outlined if geo.contains(t.boundary, lat, lon)]
    if not matches:
        return None
    return max(matches, key=lambda match: match[0])[1]


def point_in_region(lat: float, lon: float) -> bool:
    """Whether the point lies in the region: inside some territory's boundary. Where no territory has
    a boundary yet, any point on Earth is accepted (the region cannot tell)."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return False
    boundaries = list(Territory.objects.exclude(boundary=None).values_list("boundary", flat=True))
    return not boundaries or any(geo.contains(boundary, lat, lon) for boundary in boundaries)


def attachments_of(appeal: Appeal) -> QuerySet[Attachment]:
    """The files of an appeal, in the order they came; the caller has already opened the appeal."""
    return Attachment.objects.filter(appeal=appeal).order_by("pk")


def selectable_categories(organization: Organization | None = None) -> list[Category]:
    """Active categories a citizen may choose: leaves of the tree (a category without active
    subcategories). For a widget of an organisation, only the categories routed to it."""
    active = list(Category.objects.filter(is_active=True).select_related("parent").order_by("name"))
    with_children = {c.parent_id for c in active if c.parent_id}
    leaves = [c for c in active if c.pk not in with_children]
    if organization is not None:
        routed = set(RoutingRule.objects.filter(organization=organization).values_list("category_id", flat=True))
        if routed:
            leaves = [c for c in leaves if c.pk in routed or (c.parent_id is not None and c.parent_id in routed)]
    return leaves


def my_appeals_q(user_id: int, email: str) -> Q:
    """A citizen's appeals: sent while signed in, or sent with the e-mail their account confirmed."""
    q = Q(applicant_id=user_id)
    if email:
        q |= Q(applicant_email__iexact=email)
    return q
