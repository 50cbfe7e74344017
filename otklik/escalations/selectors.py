"""Reads of escalations. Who sees them: region-wide roles and the roles the region names as recipients
(in their own organisations' escalations); everyone else gets nothing (pages answer 404)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.db.models import Count, F, Q, QuerySet

from otklik.accounts.models import REGION_WIDE_ROLES, User
from otklik.accounts.permissions import capacities
from otklik.escalations.detector import Params
from otklik.escalations.lexicon import DEFAULT_PHRASES, Lexicon
from otklik.escalations.models import (
    CategorySignificance,
    Escalation,
    EscalationEvent,
    EscalationSettings,
    SignalPhrase,
)


def escalation_settings() -> EscalationSettings:
    """The region's row, or the defaults unsaved (services create the row on the first write)."""
    return EscalationSettings.objects.filter(pk=1).first() or EscalationSettings(pk=1)


def detector_params(row: EscalationSettings | None = None) -> Params:
    row = row or escalation_settings()
    return Params(min_count=row.min_count, min_ratio=row.min_ratio, alpha=row.alpha, warmup_days=row.warmup_days,
                  window_hours=row.window_hours, cell_degrees=row.cell_degrees)


def region_lexicon() -> Lexicon:
    rows = list(SignalPhrase.objects.filter(is_active=True).values_list("phrase", "group"))
    if not rows and not SignalPhrase.objects.exists():
        rows = list(DEFAULT_PHRASES)
    return Lexicon(rows)


def significant_category_ids() -> set[int]:
    return set(CategorySignificance.objects.filter(significant=True).values_list("category_id", flat=True))


def significant_category_names() -> set[str]:
    """Names and codes of the significant categories (the replay's rows carry either)."""
    rows = CategorySignificance.objects.filter(significant=True).values_list("category__name", "category__code")
    return {value for pair in rows for value in pair if value}


def _viewer_orgs(user: User) -> frozenset[int] | None:
    """None: sees the whole region; a set: organisations where the user holds a recipient role."""
    caps = capacities(user)
    if any(cap.role in REGION_WIDE_ROLES for cap in caps):
        return None
    roles = set(escalation_settings().recipient_roles or [])
    return frozenset(cap.organization_id for cap in caps if cap.role in roles)


def may_view(user: User) -> bool:
    orgs = _viewer_orgs(user)
    return orgs is None or bool(orgs)


def may_act(user: User) -> bool:
    """Acknowledging, reporting and closing: the region-wide coordinators and administrators."""
    return any(cap.role in REGION_WIDE_ROLES for cap in capacities(user))


def visible_escalations(user: User) -> QuerySet[Escalation]:
    orgs = _viewer_orgs(user)
    base = Escalation.objects.select_related("category", "territory").annotate(appeal_count=Count("links"))
    if orgs is None:
        return base
    if not orgs:
        return base.none()
    return base.filter(Q(links__appeal__organization_id__in=orgs) | Q(recipients=user)).distinct()


def active_escalations(user: User) -> QuerySet[Escalation]:
    return visible_escalations(user).exclude(state=Escalation.State.CLOSED).order_by("due_at")


def escalation_for_user(user: User, escalation_id: int) -> Escalation | None:
    return visible_escalations(user).filter(pk=escalation_id).first()


def escalation_appeals(escalation: Escalation) -> list[Any]:
    from otklik.appeals.models import Appeal

    return list(Appeal.objects.filter(escalation_links__escalation=escalation)
                .select_related("organization", "territory", "category").order_by("received_at"))


def escalation_events(escalation: Escalation) -> QuerySet[EscalationEvent]:
    return escalation.events.select_related("actor").order_by("at", "id")


def late_reports(user: User | None = None, *, now: dt.datetime | None = None, date_from: dt.date | None = None,
                 date_to: dt.date | None = None) -> QuerySet[Escalation]:
    """Escalations whose report came after its deadline, or has not come and the deadline is past:
    breaches for the disciplinary register."""
    from django.utils import timezone

    now = now or timezone.now()
    base = visible_escalations(user) if user is not None else Escalation.objects.all()
    late = Q(reported_at__isnull=False, reported_at__gt=F("due_at")) | Q(reported_at__isnull=True, due_at__lt=now)
    found = base.filter(late)
    if date_from is not None:
        found = found.filter(due_at__date__gte=date_from)
    if date_to is not None:
        found = found.filter(due_at__date__lte=date_to)
    return found.order_by("-due_at")


def map_points(user: User, escalation: Escalation | None = None) -> list[dict[str, Any]]:
    """Points for the map: the appeals of active escalations (or of one), with coordinates only."""
    from otklik.appeals.models import Appeal

    escalations = [escalation] if escalation else list(active_escalations(user))
    ids = [esc.pk for esc in escalations]
    rows = (Appeal.objects.filter(escalation_links__escalation_id__in=ids, latitude__isnull=False,
                                  longitude__isnull=False)
            .values("latitude", "longitude", "escalation_links__escalation_id"))
    return [{"lat": row["latitude"], "lon": row["longitude"], "escalation": row["escalation_links__escalation_id"]}
            for row in rows]


def unfed_appeal_ids(*, since: dt.datetime, limit: int = 5000) -> list[int]:
    """Appeals received since ``since`` that the detector has not counted, oldest first."""
    from otklik.appeals.models import Appeal
    from otklik.escalations.models import DetectedAppeal

    fed = DetectedAppeal.objects.filter(appeal_id=models.OuterRef("pk"))
    return list(Appeal.objects.filter(received_at__gte=since).exclude(models.Exists(fed))
                .order_by("received_at").values_list("pk", flat=True)[:limit])
