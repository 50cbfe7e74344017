"""JSON API of the moderator's queue of social posts (/api/social/): list, accept, reject.

Staff only: the queue is read through selectors scoped by the user's roles; accept and reject go
through services and answer errors as {"code", "message", "field"} like every other router.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from otklik.accounts.models import User
from otklik.appeals.api import ErrorOut
from otklik.intake.social import selectors, services
from otklik.intake.social.metrics import GROUPINGS, social_metrics
from otklik.intake.social.models import Post, PostState
from otklik.intake.social.services import SocialError

router = Router(tags=["social"])
PAGE_LIMIT = 200


class ReplyOut(Schema):
    answer: str
    state: str
    reply_id: str
    reply_url: str
    sent_at: dt.datetime | None


class PostOut(Schema):
    id: int
    network: str
    source: str
    state: str
    url: str
    author: str
    text: str
    posted_at: dt.datetime
    fetched_at: dt.datetime
    is_problem: bool
    in_territory: bool
    suggested_category_id: int | None
    suggested_territory_id: int | None
    suggested_organization_id: int | None
    suggested_high_importance: bool
    duplicate_of_id: int | None
    appeal_id: int | None
    appeal_number: str | None
    reject_reason: str
    replies: list[ReplyOut]


class PostFilter(Schema):
    state: str | None = PostState.NEW
    network: str | None = None
    limit: int = 50  # cut to PAGE_LIMIT below
    offset: int = Field(0, ge=0, le=1_000_000)


class AcceptIn(Schema):
    category_id: int | None = None
    organization_id: int | None = None
    high_importance: bool | None = None


class PostRejectIn(Schema):
    reason: str


def _staff(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if not selectors.moderates_posts(user) and not selectors.visible_posts(user).exists():
        raise SocialError("forbidden", _("Social network posts are for moderators."), status=403)
    return user


def _out(post: Post) -> PostOut:
    return PostOut(
        id=post.pk, network=post.network, source=post.source.name, state=post.state, url=post.url,
        author=post.author, text=post.text, posted_at=post.posted_at, fetched_at=post.fetched_at,
        is_problem=post.is_problem, in_territory=post.in_territory,
        suggested_category_id=post.suggested_category_id, suggested_territory_id=post.suggested_territory_id,
        suggested_organization_id=post.suggested_organization_id,
        suggested_high_importance=post.suggested_high_importance, duplicate_of_id=post.duplicate_of_id,
        appeal_id=post.appeal_id, appeal_number=post.appeal.number if post.appeal else None,
        reject_reason=post.reject_reason,
        replies=[ReplyOut(answer=r.answer, state=r.state, reply_id=r.reply_id, reply_url=r.reply_url,
                          sent_at=r.sent_at) for r in selectors.replies_of(post)],
    )


@router.get("/posts", response={200: list[PostOut], 403: ErrorOut})
def list_posts(request: HttpRequest, filters: Query[PostFilter]) -> list[PostOut]:
    user = _staff(request)
    if filters.state and filters.state not in PostState.values:
        raise SocialError("invalid_state", _("Unknown state of a post."), field="state")
    limit = max(1, min(filters.limit, PAGE_LIMIT))
    posts = selectors.post_queue(user, state=filters.state or None, network=filters.network)
    return [_out(post) for post in posts[max(filters.offset, 0):max(filters.offset, 0) + limit]]


@router.get("/posts/{post_id}", response={200: PostOut, 403: ErrorOut, 404: ErrorOut})
def get_post(request: HttpRequest, post_id: int) -> PostOut:
    user = _staff(request)
    post = selectors.post_for_user(user, post_id)
    if post is None:
        raise SocialError("not_found", _("Post not found."), status=404)
    return _out(post)


@router.post("/posts/{post_id}/accept", response={200: PostOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                                                   409: ErrorOut})
def accept_post(request: HttpRequest, post_id: int, payload: AcceptIn) -> PostOut:
    user = _staff(request)
    if selectors.post_for_user(user, post_id) is None:
        raise SocialError("not_found", _("Post not found."), status=404)
    services.post_accept(post_id=post_id, user=user, category_id=payload.category_id,
                         organization_id=payload.organization_id, high_importance=payload.high_importance)
    post = selectors.post_for_user(user, post_id)
    assert post is not None
    return _out(post)


@router.post("/posts/{post_id}/reject", response={200: PostOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                                                   409: ErrorOut})
def reject_post(request: HttpRequest, post_id: int, payload: PostRejectIn) -> PostOut:
    user = _staff(request)
    if selectors.post_for_user(user, post_id) is None:
        raise SocialError("not_found", _("Post not found."), status=404)
    services.post_reject(post_id=post_id, user=user, reason=payload.reason)
    post = selectors.post_for_user(user, post_id)
    assert post is not None
    return _out(post)


class MetricsFilter(Schema):
    start: dt.date
    end: dt.date
    by: str = "network"


@router.get("/metrics", response={200: list[dict[str, Any]], 400: ErrorOut, 403: ErrorOut})
def metrics(request: HttpRequest, filters: Query[MetricsFilter]) -> list[dict[str, Any]]:
    """Posts found, accepted, rejected, answered, on time and the median hours to the first reply and to
    the final answer, over posts found from ``start`` to ``end`` (inclusive), grouped ``by`` network,
    organization, category or territory. Region-wide staff only."""
    user = request.user
    assert isinstance(user, User)
    if not selectors.moderates_posts(user):
        raise SocialError("forbidden", _("Social network figures are for the region's staff."), status=403)
    if filters.by not in GROUPINGS:
        raise SocialError("invalid_grouping", _("Group by network, organization, category or territory."),
                          field="by")
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(filters.start, dt.time(), tz)
    end = dt.datetime.combine(filters.end + dt.timedelta(days=1), dt.time(), tz)
    return social_metrics(start=start, end=end, by=filters.by)
