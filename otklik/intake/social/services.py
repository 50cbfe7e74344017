"""Every write of the social intake: posts stored from a fetch, sources' positions, the moderator's
accept and reject, and the idempotency records of the replies published under posts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.models import Role, User
from otklik.accounts.permissions import find_capacity
from otklik.appeals.lifecycle import Action, Regime
from otklik.appeals.models import Appeal, AppealEvent, Channel
from otklik.appeals.services import AppealError, NewAppeal, appeal_accept, appeal_receive
from otklik.intake.social.base import Item, Reply
from otklik.intake.social.models import (
    AnswerKind,
    AttemptState,
    Network,
    OfficialAccount,
    Post,
    PostEvent,
    PostState,
    PublishAttempt,
    SocialSettings,
    Source,
)
from otklik.intake.social.pipeline import Pipeline, Recent, Verdict
from otklik.registry.models import Category, Organization, Territory

MODERATING_ROLES = (Role.MODERATOR, Role.REGIONAL_COORDINATOR)
DECIDABLE = (PostState.NEW, PostState.IGNORED, PostState.DUPLICATE)
# A try still "being sent" after this long has died with its worker.
SENDING_LEASE = dt.timedelta(minutes=10)
MAX_BACKOFF = dt.timedelta(hours=1)
# A refused reply waits at least this long, even when the network asks for a second: the next
# pass of the worker, not a tight loop, tries it again.
MIN_RETRY = dt.timedelta(seconds=30)


class SocialError(AppealError):
    """A refused action in the API's shape: a code, a Russian message, the field at fault."""


def _fail(code: str, message: str, *, field: str | None = None, status: int = 400) -> SocialError:
    return SocialError(code, message, field=field, status=status)


# --- fetching ---------------------------------------------------------------------------------------


@dataclass
class StoreResult:
    new: int = 0
    duplicates: int = 0
    ignored: int = 0
    known: int = 0


def posts_store(
    *, source: Source, items: Sequence[Item], cursor: dict[str, Any] | None, pipeline: Pipeline, recent: Recent,
    now: dt.datetime | None = None,
) -> StoreResult:
    """Keep a page of fetched items (each once: the network's id is unique) with the pipeline's
    verdict, and move the source's position in the same transaction, so a crash between the two
    can neither skip nor repeat posts."""
    now = now or timezone.now()
    result = StoreResult()
    with transaction.atomic():
        ids = [item.external_id for item in items]
        known = set(Post.objects.filter(network=source.network, external_id__in=ids).values_list("external_id",
                                                                                                   flat=True))
        fresh: list[tuple[Post, Verdict]] = []
        # Posts of this page are compared with each other before they have ids: a negative id
        # -(n + 1) stands for the page's n-th new post and is resolved after the insert.
        page_recent = recent.layer()
        pending: list[tuple[Post, int]] = []
        seen_in_page: set[str] = set()
        for item in items:
            if item.external_id in known or item.external_id in seen_in_page:
                result.known += 1
                continue
            seen_in_page.add(item.external_id)
            verdict = pipeline.judge(item.text, page_recent, source_territory=source.territory,
                                     source_organization=source.organization)
            duplicate_of = verdict.duplicate_of
            if duplicate_of is not None:
                state = PostState.DUPLICATE
                result.duplicates += 1
            elif not (verdict.is_problem and verdict.in_territory):
                state = PostState.IGNORED
                result.ignored += 1
            else:
                state = PostState.NEW
                result.new += 1
            post = Post(
                source=source, network=source.network, external_id=item.external_id[:255], thread=item.thread,
                url=item.url[:1000], author=item.author[:255], author_id=item.author_id[:64],
                text=item.text.replace("\x00", ""), posted_at=item.posted_at, fetched_at=now, raw=item.raw,
                normalized=verdict.normalized, fingerprint=verdict.fingerprint, state=state,
                duplicate_of_id=duplicate_of if duplicate_of is not None and duplicate_of > 0 else None,
                is_problem=verdict.is_problem,
                in_territory=verdict.in_territory, suggested_category_id=verdict.category_id,
                suggested_territory_id=verdict.territory_id, suggested_organization_id=verdict.organization_id,
                suggested_high_importance=verdict.high_importance,
            )
            if duplicate_of is not None and duplicate_of < 0:
                pending.append((post, -duplicate_of - 1))
            if state != PostState.DUPLICATE:
                page_recent.add(-len(fresh) - 1, verdict.fingerprint, verdict.normalized, verdict.signature)
            fresh.append((post, verdict))
        Post.objects.bulk_create([post for post, _verdict in fresh])
        for post, _verdict in fresh:
            if post.pk is None:  # a backend that does not return ids: read them back
                post.pk = Post.objects.only("pk").get(network=post.network, external_id=post.external_id).pk
        for post, index in pending:
            post.duplicate_of_id = fresh[index][0].pk
        if pending:
            Post.objects.bulk_update([post for post, _index in pending], ["duplicate_of"])
        for post, verdict in fresh:
            if post.state != PostState.DUPLICATE:
                recent.add(post.pk, verdict.fingerprint, verdict.normalized, verdict.signature)
        if cursor is not None:
            Source.objects.filter(pk=source.pk).update(cursor=cursor)
            source.cursor = cursor
    return result


FETCH_LEASE = dt.timedelta(minutes=10)


def source_claim(*, source: Source, now: dt.datetime | None = None) -> bool:
    """Take the source for one fetch (a conditional UPDATE, so that of two workers one wins); a lease
    left by a worker that died runs out after ten minutes."""
    now = now or timezone.now()
    free = Q(fetching_until__isnull=True) | Q(fetching_until__lt=now)
    return bool(Source.objects.filter(free, pk=source.pk).update(fetching_until=now + FETCH_LEASE))


def source_record_run(
    *, source: Source, now: dt.datetime | None = None, error: str = "", paused_until: dt.datetime | None = None,
) -> None:
    now = now or timezone.now()
    Source.objects.filter(pk=source.pk).update(last_fetched_at=now, last_error=error[:2000],
                                               paused_until=paused_until, fetching_until=None)
    source.last_fetched_at, source.last_error, source.paused_until = now, error[:2000], paused_until


def source_save(*, source: Source | None, values: dict[str, Any]) -> Source:
    """Create or change a source (the registry import); a blank token keeps the stored one."""
    with transaction.atomic():
        row = source or Source()
        for name, value in values.items():
            if name == "token" and not value and row.pk:
                continue
            setattr(row, name, value)
        row.full_clean()
        row.save()
    return row


# --- moderation -------------------------------------------------------------------------------------


def _moderator(user: User, now: dt.datetime) -> None:
    if user is None or not user.is_authenticated:
        raise _fail("not_authenticated", _("Sign in to perform this action."), status=401)
    if find_capacity(user, MODERATING_ROLES, None, at=now) is None:
        raise _fail("forbidden", _("Only a moderator decides on social network posts."), status=403)


def _locked_post(post_id: int) -> Post:
    post = Post.objects.select_for_update().select_related("source").filter(pk=post_id).first()
    if post is None:
        raise _fail("not_found", _("Post not found."), status=404)
    if post.state not in DECIDABLE:
        raise _fail("already_decided", _("The post has already been decided on."), status=409)
    return post


def post_accept(
    *, post_id: int, user: User, category_id: int | None = None, organization_id: int | None = None,
    high_importance: bool | None = None, now: dt.datetime | None = None,
) -> Post:
    """Make the post an appeal of regime ``social`` and route it: the moderator's choices or the
    suggestions. The appeal, its routing and the post's decision are one transaction."""
    now = now or timezone.now()
    _moderator(user, now)
    with transaction.atomic():
        post = _locked_post(post_id)
        category_id = category_id if category_id is not None else post.suggested_category_id
        category = Category.objects.filter(pk=category_id, is_active=True).first() if category_id else None
        if category_id is not None and category is None:
            raise _fail("invalid_category", _("Choose an active category."), field="category_id")
        organization_id = organization_id if organization_id is not None else post.suggested_organization_id
        if organization_id is not None and not Organization.objects.filter(pk=organization_id).exists():
            raise _fail("invalid_organization", _("No such organisation."), field="organization_id")
        territory = Territory.objects.filter(pk=post.suggested_territory_id).first() if (
            post.suggested_territory_id) else post.source.territory
        important = post.suggested_high_importance if high_importance is None else high_importance
        appeal = appeal_receive(
            NewAppeal(text=post.text or post.url, regime=Regime.SOCIAL, channel=Channel.SOCIAL, category=category,
                      territory=territory, social_author=post.author, social_url=post.url,
                      high_importance=important),
            intake_key=f"social:{post.network}:{post.external_id}"[:200], intake_client="social", now=now,
        )
        appeal_accept(appeal_id=appeal.pk, user=user, organization_id=organization_id, now=now)
        post.state, post.appeal, post.decided_by, post.decided_at = PostState.ACCEPTED, appeal, user, now
        post.save(update_fields=["state", "appeal", "decided_by", "decided_at"])
        PostEvent.objects.create(post=post, at=now, action="accepted", actor=user, payload={
            "appeal_id": appeal.pk, "number": appeal.number, "category_id": category.pk if category else None,
            "organization_id": organization_id, "high_importance": important})
    return post


def post_reject(*, post_id: int, user: User, reason: str, now: dt.datetime | None = None) -> Post:
    now = now or timezone.now()
    _moderator(user, now)
    reason = (reason or "").strip()
    if not reason:
        raise _fail("reason_required", _("Say why the post is rejected."), field="reason")
    if "\x00" in reason:
        raise _fail("invalid_text", _("The text contains a forbidden character."), field="reason")
    with transaction.atomic():
        post = _locked_post(post_id)
        post.state, post.decided_by, post.decided_at, post.reject_reason = PostState.REJECTED, user, now, reason
        post.save(update_fields=["state", "decided_by", "decided_at", "reject_reason"])
        PostEvent.objects.create(post=post, at=now, action="rejected", actor=user, reason=reason)
    return post


# --- replies under the post ------------------------------------------------------------------------

ANSWER_ACTIONS = {Action.PUBLISH: AnswerKind.FINAL, Action.INTERMEDIATE: AnswerKind.INTERMEDIATE}


def reply_text(appeal: Appeal, answer: str, marker: str) -> str:
    body = appeal.answer_text if answer == AnswerKind.FINAL else appeal.intermediate_text
    signature = _("Message No. %(marker)s") % {"marker": marker}
    return body.strip() + "\n\n" + signature


def replies_plan(*, appeal_id: int, now: dt.datetime | None = None) -> list[int]:
    """The idempotency records of every answer of the appeal not yet planned (one per answer event);
    returns the ids still to send. Running it twice plans nothing twice."""
    now = now or timezone.now()
    post = Post.objects.filter(appeal_id=appeal_id).select_related("appeal").first()
    if post is None or post.appeal is None or post.network == Network.FEED:
        return []  # a news feed is read-only: its authors are answered elsewhere
    appeal = post.appeal
    events = AppealEvent.objects.filter(appeal_id=appeal_id, action__in=list(ANSWER_ACTIONS)).order_by("at", "id")
    planned = set(PublishAttempt.objects.filter(appeal_id=appeal_id).values_list("event_id", flat=True))
    # Only the newest answer of each kind is sent: a reply repeats nothing the post already has.
    newest: dict[str, AppealEvent] = {}
    for event in events:
        newest[ANSWER_ACTIONS[Action(event.action)]] = event
    for answer, event in newest.items():
        if event.pk in planned:
            continue
        sequence = PublishAttempt.objects.filter(appeal_id=appeal_id).count() + 1
        marker = f"{appeal.number}/{sequence}"
        try:
            with transaction.atomic():
                PublishAttempt.objects.create(appeal=appeal, post=post, answer=answer, event_id=event.pk, marker=marker,
                                              text=reply_text(appeal, answer, marker), next_try_at=now)
        except IntegrityError:
            pass  # planned by a concurrent worker
    return list(PublishAttempt.objects.filter(appeal_id=appeal_id).exclude(
        state__in=[AttemptState.SENT, AttemptState.UNKNOWN]).values_list("pk", flat=True))


@dataclass
class Claim:
    attempt: PublishAttempt
    # An earlier try may have reached the network: look under the post before sending.
    verify_first: bool


def attempt_claim(*, attempt_id: int, now: dt.datetime | None = None) -> Claim | None:
    """Mark the record "being sent" and commit before the network is called (the write before the
    call). None when it is sent, not due, or another worker holds it."""
    now = now or timezone.now()
    due = Q(state__in=[AttemptState.PENDING, AttemptState.FAILED]) & (Q(next_try_at__isnull=True)
                                                                       | Q(next_try_at__lte=now))
    stale = Q(state=AttemptState.SENDING, started_at__lt=now - SENDING_LEASE)
    with transaction.atomic():
        attempt = (PublishAttempt.objects.select_for_update().select_related("post__source", "appeal")
                   .filter(due | stale, pk=attempt_id).first())
        if attempt is None:
            return None
        verify = attempt.verify_first or attempt.state == AttemptState.SENDING
        attempt.state, attempt.started_at, attempt.tries = AttemptState.SENDING, now, attempt.tries + 1
        attempt.verify_first = True  # until settled, this try may have reached the network
        attempt.save(update_fields=["state", "started_at", "tries", "verify_first"])
    return Claim(attempt=attempt, verify_first=verify)


def attempt_settle(
    *, attempt_id: int, now: dt.datetime | None = None, reply: Reply | None = None, error: str = "",
    retry_after: float | None = None, uncertain: bool = False, unknown: bool = False, permanent: bool = False,
) -> PublishAttempt:
    """After the call: sent (with the reply's id and link), failed (to be tried again after the wait
    the network asked for, or a growing pause), or unknown (nobody can tell; a person checks)."""
    now = now or timezone.now()
    with transaction.atomic():
        attempt = PublishAttempt.objects.select_for_update().select_related("post").get(pk=attempt_id)
        if reply is not None:
            attempt.state, attempt.sent_at = AttemptState.SENT, now
            attempt.reply_id, attempt.reply_url, attempt.last_error = reply.reply_id[:255], reply.url[:1000], ""
            attempt.verify_first = False
            PostEvent.objects.create(post=attempt.post, at=now, action="replied", payload={
                "appeal_id": attempt.appeal_id, "answer": attempt.answer, "reply_id": attempt.reply_id,
                "reply_url": attempt.reply_url, "tries": attempt.tries})
        elif unknown or permanent:
            attempt.state, attempt.last_error = AttemptState.UNKNOWN, error[:2000]
            attempt.verify_first = uncertain
        else:
            backoff = min(dt.timedelta(minutes=2 ** min(attempt.tries, 6)), MAX_BACKOFF)
            wait = max(dt.timedelta(seconds=retry_after), MIN_RETRY) if retry_after is not None else backoff
            attempt.state, attempt.next_try_at, attempt.last_error = AttemptState.FAILED, now + wait, error[:2000]
            attempt.verify_first = uncertain
        attempt.save()
    return attempt


# --- official accounts ------------------------------------------------------------------------------


def account_checked(*, account: OfficialAccount, now: dt.datetime, latest: dt.datetime | None = None,
                    error: str = "") -> None:
    """Record a check; a failed check keeps the last known post time (a silent page is not made up)."""
    values: dict[str, Any] = {"checked_at": now, "last_error": error[:2000]}
    if not error:
        values["last_post_at"] = latest
    OfficialAccount.objects.filter(pk=account.pk).update(**values)


def social_settings_get() -> SocialSettings:
    found = SocialSettings.objects.order_by("pk").first()
    return found if found is not None else SocialSettings.objects.create()


def account_save(*, account: OfficialAccount | None, values: dict[str, Any]) -> OfficialAccount:
    """Create or change an official account (the registry import); a blank token keeps the stored one."""
    with transaction.atomic():
        row = account or OfficialAccount()
        for name, value in values.items():
            if name == "token" and not value and row.pk:
                continue
            setattr(row, name, value)
        row.full_clean()
        row.save()
    return row
