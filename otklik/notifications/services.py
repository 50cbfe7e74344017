"""Creating notices and changing their state. Delivery happens in tasks.py after the transaction commits."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.accounts.permissions import stand_in_for
from otklik.core.text import fill_placeholders
from otklik.notifications.models import Notice, NoticeTemplate, WebhookEndpoint


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
    """
    addressed_to = None
    if recipient is not None:
        substitute = stand_in_for(recipient.pk)
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
    try:
        with transaction.atomic():
            notice = Notice.objects.create(dedupe_key=key, channel=channel, email=email, **fields)
    except IntegrityError:
        return None
    from otklik.notifications.tasks import deliver_notice

    to_deliver = [notice.pk] if notice.email else []
    for endpoint in WebhookEndpoint.objects.filter(is_active=True):
        if not endpoint.wants(kind):
            continue
        try:
            with transaction.atomic():
                copy = Notice.objects.create(dedupe_key=f"{key}:webhook:{endpoint.pk}"[-200:],
                                             channel=Notice.Channel.WEBHOOK, webhook=endpoint, email=email,
                                             **{**fields, "body": webhook_body if webhook_body is not None else body})
        except IntegrityError:
            continue
        to_deliver.append(copy.pk)
    for notice_id in to_deliver:
        transaction.on_commit(lambda notice_id=notice_id: deliver_notice.enqueue(notice_id))  # type: ignore[misc]
    return notice


def notice_texts(kind: str, values: dict[str, Any]) -> tuple[str, str] | None:
    """Subject and body from the region's own template of ``kind``, or None to use the built-in text."""
    template = NoticeTemplate.objects.filter(kind=kind, is_active=True).first()
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
