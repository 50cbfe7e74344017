"""Creating notices and changing their state. Delivery happens in tasks.py after the transaction commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.accounts.permissions import stand_in_for
from otklik.core.text import fill_placeholders
from otklik.notifications.models import Notice, NoticeTemplate, WebhookEndpoint

T = TypeVar("T")


@dataclass
class _Batch:
    """One batch of notices: their rows until the batch ends, and ``memo``, what every notice would
    otherwise read again (stand-ins, the region's templates, webhooks, and what callers keep there)."""

    memo: dict[Any, Any]
    notices: list[Notice] = field(default_factory=list)


_batch: ContextVar[_Batch | None] = ContextVar("notice_batch", default=None)
# One delivery task carries this many notices: few tasks for a sweep's thousands, several workers still share them.
DELIVERY_CHUNK = 200


@contextmanager
def notice_batch(memo: dict[Any, Any] | None = None) -> Iterator[None]:
    """Notices created inside the block are written with one statement when it ends, and delivered by
    one task per ``DELIVERY_CHUNK``; the block must end inside the caller's transaction (the sweeper's
    claim), so the notices commit with what caused them. Nothing is written if the block fails.
    ``memo`` may be shared by consecutive batches (one sweep's): what it holds is read once for all."""
    batch = _Batch(memo={} if memo is None else memo)
    token = _batch.set(batch)
    try:
        yield
    finally:
        _batch.reset(token)
    _flush(batch)


def batch_memo() -> dict[Any, Any] | None:
    """The current notice batch's memo (None outside one): callers keep there what every notice of the
    batch would look up again."""
    batch = _batch.get()
    return batch.memo if batch is not None else None


def batch_memoised(key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """Inside a notice batch, what is the same for many of its notices is computed once (``key`` names it
    in the batch's memo); outside one, every time."""
    batch = _batch.get()
    if batch is None:
        return compute()
    if key not in batch.memo:
        batch.memo[key] = compute()
    return cast(T, batch.memo[key])


def _deliverable(notice: Notice) -> bool:
    return notice.channel == Notice.Channel.WEBHOOK or bool(notice.email)


def _deliver_after_commit(notice_ids: list[int]) -> None:
    from otklik.notifications.tasks import deliver_notice, deliver_notices

    if len(notice_ids) == 1:
        transaction.on_commit(lambda: deliver_notice.enqueue(notice_ids[0]))
        return
    for start in range(0, len(notice_ids), DELIVERY_CHUNK):
        chunk = notice_ids[start:start + DELIVERY_CHUNK]
        transaction.on_commit(lambda chunk=chunk: deliver_notices.enqueue(chunk))  # type: ignore[misc]


def _create_one(notice: Notice) -> bool:
    try:
        with transaction.atomic():
            notice.save(force_insert=True)
    except IntegrityError:  # the same dedupe key is recorded already
        return False
    return True


def _flush(batch: _Batch) -> None:
    if not batch.notices:
        return
    unique: dict[str, Notice] = {}
    for notice in batch.notices:
        unique.setdefault(notice.dedupe_key, notice)
    keys = list(unique)
    recorded: set[str] = set()
    for start in range(0, len(keys), 1000):
        recorded.update(Notice.objects.filter(dedupe_key__in=keys[start:start + 1000])
                        .values_list("dedupe_key", flat=True))
    fresh = [notice for key, notice in unique.items() if key not in recorded]
    try:
        with transaction.atomic():
            Notice.objects.bulk_create(fresh)
    except IntegrityError:  # another writer recorded one of the keys meanwhile: one at a time, as it would
        for notice in fresh:
            notice.pk = None
        fresh = [notice for notice in fresh if _create_one(notice)]
    _deliver_after_commit([notice.pk for notice in fresh if _deliverable(notice)])


def notice_create(
    *,
    kind: str,
    dedupe: str,
    subject: str,
    body: str,
    appeal_id: int | None = None,
    recipient: User | None = None,
    email: str = "",
    webhook_body: str | None = None,
) -> Notice | None:
    """Record one notice; a second call with the same ``dedupe`` key does nothing.

    A notice to an absent official goes to their stand-in, who gets the absent person's work.
    Staff get an in-app notice (and e-mail when they have an address); applicants get e-mail.
    Every active webhook that wants this kind gets its own copy, recorded and retried like e-mail;
    ``webhook_body`` replaces the body there when the recipient's copy holds what only they may see.
    Inside ``notice_batch()`` the notice is returned unsaved and written when the batch ends.
    """
    batch = _batch.get()
    addressed_to = None
    if recipient is not None:
        person_id = recipient.pk
        substitute = batch_memoised(("stand-in", person_id), lambda: stand_in_for(person_id))
        if substitute is not None:
            addressed_to, recipient = recipient, substitute
            body = _("On behalf of %(name)s, who is absent:") % {"name": addressed_to.display_name} + "\n\n" + body
        email = email or recipient.email
    channel = Notice.Channel.IN_APP if recipient is not None else Notice.Channel.EMAIL
    if channel == Notice.Channel.EMAIL and not email:
        return None
    key = f"{dedupe}:{recipient.pk if recipient else email}"[:200]
    fields: dict[str, Any] = {
        "kind": kind, "recipient": recipient, "addressed_to": addressed_to, "appeal_id": appeal_id,
        "subject": subject[:255], "body": body,
    }
    notice = Notice(dedupe_key=key, channel=channel, email=email, **fields)
    copies = [
        Notice(dedupe_key=f"{key}:webhook:{endpoint.pk}"[-200:], channel=Notice.Channel.WEBHOOK, webhook=endpoint,
               email=email, **{**fields, "body": webhook_body if webhook_body is not None else body})
        for endpoint in batch_memoised(("webhooks",),
                                       lambda: list(WebhookEndpoint.objects.filter(is_active=True)))
        if endpoint.wants(kind)
    ]
    if batch is not None:
        batch.notices += [notice, *copies]
        return notice
    if not _create_one(notice):
        return None
    created = [notice, *(copy for copy in copies if _create_one(copy))]
    _deliver_after_commit([n.pk for n in created if _deliverable(n)])
    return notice


def notice_texts(kind: str, values: dict[str, Any]) -> tuple[str, str] | None:
    """Subject and body from the region's own template of ``kind``, or None to use the built-in text."""
    template = batch_memoised(("template", kind),
                              lambda: NoticeTemplate.objects.filter(kind=kind, is_active=True).first())
    if template is None:
        return None
    return fill_placeholders(template.subject, values), fill_placeholders(template.body, values)


def notice_claim(*, notice_id: int, now: dt.datetime, lease: dt.timedelta, max_attempts: int) -> bool:
    """Hold an unsent notice for one delivery attempt; False when another worker holds it or it is done."""
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    return bool(
        Notice.objects.filter(free, pk=notice_id, sent_at__isnull=True, attempts__lt=max_attempts)
        .update(claimed_until=now + lease, attempts=F("attempts") + 1)
    )


def notice_mark_sent(*, notice_id: int) -> None:
    Notice.objects.filter(pk=notice_id).update(sent_at=timezone.now(), claimed_until=None, last_error="",
                                               next_attempt_at=None)


def notice_mark_failed(*, notice_id: int, error: str, next_attempt_at: dt.datetime) -> None:
    Notice.objects.filter(pk=notice_id).update(claimed_until=None, last_error=error[:2000],
                                               next_attempt_at=next_attempt_at)


def notice_mark_read(*, user: User, notice_id: int) -> bool:
    """Mark one of the user's own notices read; another person's notice is left alone."""
    return bool(
        Notice.objects.filter(pk=notice_id, recipient=user, read_at__isnull=True).update(read_at=timezone.now())
    )


def notice_mark_all_read(*, user: User) -> int:
    return Notice.objects.filter(recipient=user, channel=Notice.Channel.IN_APP, read_at__isnull=True).update(
        read_at=timezone.now()
    )
