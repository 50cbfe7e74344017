"""Reads of the social intake. Staff see posts by role: moderators and the regional coordinator the
whole region (region-wide roles); others only the posts of appeals they may see."""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from otklik.accounts.models import Role, User
from otklik.accounts.permissions import capacities
from otklik.appeals.selectors import visible_appeals
from otklik.intake.social.models import OfficialAccount, Post, PostState, PublishAttempt, Source
from otklik.intake.social.pipeline import NEAR_WINDOW, Recent

QUEUE_ROLES = frozenset({Role.MODERATOR, Role.REGIONAL_COORDINATOR, Role.ADMIN})


def moderates_posts(user: User, *, at: dt.datetime | None = None) -> bool:
    return any(cap.role in QUEUE_ROLES for cap in capacities(user, at=at))


def visible_posts(user: User, *, at: dt.datetime | None = None) -> QuerySet[Post]:
    posts = Post.objects.select_related("source", "suggested_category", "suggested_territory",
                                        "suggested_organization", "appeal")
    if moderates_posts(user, at=at):
        return posts
    return posts.filter(appeal__in=visible_appeals(user, at=at))


def post_queue(user: User, *, state: str | None = PostState.NEW, network: str | None = None) -> QuerySet[Post]:
    posts = visible_posts(user)
    if state:
        posts = posts.filter(state=state)
    if network:
        posts = posts.filter(network=network)
    return posts.order_by("-suggested_high_importance", "posted_at", "id")


def post_for_user(user: User, post_id: int) -> Post | None:
    return visible_posts(user).filter(pk=post_id).first()


def replies_of(post: Post) -> QuerySet[PublishAttempt]:
    return post.replies.order_by("id")


def active_sources(*, now: dt.datetime | None = None, only_due: bool = False) -> list[Source]:
    now = now or timezone.now()
    sources = Source.objects.filter(is_active=True).filter(Q(paused_until__isnull=True) | Q(paused_until__lte=now))
    rows = list(sources.select_related("territory", "organization").order_by("pk"))
    if only_due:
        rows = [s for s in rows if s.last_fetched_at is None
                or s.last_fetched_at + dt.timedelta(minutes=s.fetch_every_minutes) <= now]
    return rows


def recent_fingerprints(*, now: dt.datetime | None = None) -> Recent:
    """Posts of the last days that a new one may repeat (duplicates are not compared against)."""
    now = now or timezone.now()
    recent = Recent()
    rows = (Post.objects.filter(fetched_at__gte=now - NEAR_WINDOW).exclude(state=PostState.DUPLICATE)
            .order_by("id").values_list("pk", "fingerprint", "normalized"))
    for pk, fp, normalized in rows.iterator():
        recent.add(pk, fp, normalized)
    return recent


def due_attempt_ids(*, now: dt.datetime | None = None) -> list[int]:
    from otklik.intake.social.models import AttemptState
    from otklik.intake.social.services import SENDING_LEASE

    now = now or timezone.now()
    due = Q(state__in=[AttemptState.PENDING, AttemptState.FAILED]) & (Q(next_try_at__isnull=True)
                                                                       | Q(next_try_at__lte=now))
    stale = Q(state=AttemptState.SENDING, started_at__lt=now - SENDING_LEASE)
    return list(PublishAttempt.objects.filter(due | stale).order_by("id").values_list("pk", flat=True))


def appeals_to_plan(*, now: dt.datetime | None = None) -> list[int]:
    """Accepted posts' appeals with an answer event no reply record covers (a lost signal)."""
    from otklik.appeals.models import AppealEvent
    from otklik.intake.social.services import ANSWER_ACTIONS

    now = now or timezone.now()
    events = AppealEvent.objects.filter(action__in=list(ANSWER_ACTIONS), at__gte=now - dt.timedelta(days=30),
                                        appeal__social_post__isnull=False)
    planned = set(PublishAttempt.objects.values_list("event_id", flat=True))
    return sorted({appeal_id for pk, appeal_id in events.values_list("pk", "appeal_id") if pk not in planned})


def source_health() -> list[Source]:
    """Every source with its last run, error and pause, for the moderators' page (tokens masked)."""
    return list(Source.objects.select_related("territory", "organization").order_by("network", "name"))


def silent_accounts(*, now: dt.datetime | None = None) -> list[OfficialAccount]:
    """Active official accounts with no post for longer than the region's period (never seen: silent too)."""
    from otklik.intake.social.services import social_settings_get

    now = now or timezone.now()
    limit = now - dt.timedelta(days=social_settings_get().silence_days)
    return list(OfficialAccount.objects.filter(is_active=True).filter(
        Q(last_post_at__lt=limit) | Q(last_post_at__isnull=True)).select_related("organization")
        .order_by(F("last_post_at").asc(nulls_first=True), "organization__name"))


def moderation_health(user: User) -> tuple[list[Source], list[OfficialAccount]]:
    """What the moderators' page shows beside the queue: the sources' health and the silent official
    accounts; nothing for whoever does not moderate posts."""
    if not moderates_posts(user):
        return [], []
    return source_health(), silent_accounts()


def silent_count_by_organization(*, now: dt.datetime | None = None) -> dict[int, int]:
    """For the quarterly report: silent accounts per organisation now."""
    counts: dict[int, int] = {}
    for account in silent_accounts(now=now):
        counts[account.organization_id] = counts.get(account.organization_id, 0) + 1
    return counts
