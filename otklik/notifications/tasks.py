"""Delivery of notices by e-mail and webhook. A worker because SMTP and remote servers are slow and may
fail: a failure is recorded, the notice stays unsent with a later next attempt, and the periodic
retry picks it up again.

A worker claims a notice with a lease, sends it, and only then marks it sent. Two workers never hold
the same notice at once; a worker killed mid-send leaves the lease to expire and the notice is sent
again. Every send carries the notice's own identity (the e-mail's Message-ID, the webhook's
X-Otklik-Delivery header), so the retry of a send that did arrive is recognised as the same message:
a crash costs one retry, never a loss and never a second message."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from otklik.notifications.emails import email_message
from otklik.notifications.models import Notice
from otklik.notifications.services import notice_claim, notice_mark_failed, notice_mark_sent

MAX_ATTEMPTS = 10
# Longer than any send may take (the webhook timeout, a slow SMTP server), short enough to retry soon.
WEBHOOK_TIMEOUT_S = 10
log = logging.getLogger(__name__)


def _backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4 … minutes between attempts, at most six hours."""
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def webhook_payload(notice: Notice) -> dict[str, object]:
    appeal = notice.appeal
    return {
        "id": notice.pk,
        "kind": notice.kind,
        "subject": notice.subject,
        "body": notice.body,
        "created_at": notice.created_at.isoformat(),
        "appeal": {"id": appeal.pk, "number": appeal.number, "state": appeal.state} if appeal else None,
        "recipient": notice.recipient.username if notice.recipient else None,
        "email": notice.email or None,
    }


def _post_webhook(notice: Notice) -> None:
    assert notice.webhook is not None
    body = json.dumps(webhook_payload(notice), ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "X-Otklik-Notice": str(notice.pk),
               "X-Otklik-Delivery": delivery_id(notice)}
    if notice.webhook.secret:
        digest = hmac.new(notice.webhook.secret.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Otklik-Signature"] = f"sha256={digest}"
    request = urllib.request.Request(notice.webhook.url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S) as response:
        if not 200 <= response.status < 300:
            raise urllib.error.HTTPError(notice.webhook.url, response.status, "unexpected status", response.headers,
                                         None)


def delivery_id(notice: Notice) -> str:
    """The same for every attempt to send one notice: receivers recognise a repeated delivery by it."""
    domain = settings.SITE_URL.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "otklik"
    return f"notice-{notice.pk}@{domain}"


def _send_email(notice: Notice) -> None:
    # A plain-text part and an HTML part; a quoted answer is formatted in both (notifications/emails.py).
    email_message(notice, headers={"Message-ID": f"<{delivery_id(notice)}>"}).send()


@task()
def deliver_notice(notice_id: int) -> bool:
    return _deliver(notice_id)


@task()
def deliver_notices(notice_ids: list[int]) -> int:
    """A batch's notices (the sweeper's) in one task; each is claimed and recorded on its own, so a
    worker that dies midway leaves the rest to ``retry_unsent``. Returns how many were sent."""
    return sum(_deliver(notice_id) for notice_id in notice_ids)


def _deliver(notice_id: int) -> bool:
    now = timezone.now()
    lease = dt.timedelta(seconds=settings.NOTICE_LEASE_SECONDS)
    if not notice_claim(notice_id=notice_id, now=now, lease=lease, max_attempts=MAX_ATTEMPTS):
        return False
    notice = Notice.objects.select_related("webhook", "appeal", "recipient").get(pk=notice_id)
    try:
        if notice.channel == Notice.Channel.WEBHOOK:
            if notice.webhook is not None and notice.webhook.is_active:
                _post_webhook(notice)
        elif notice.email:
            _send_email(notice)
    except Exception as exc:  # any failure of the remote side: record it and retry later
        log.warning("notice %s not delivered: %s", notice_id, type(exc).__name__)
        notice_mark_failed(notice_id=notice_id, error=str(exc), next_attempt_at=now + _backoff(notice.attempts))
        return False
    notice_mark_sent(notice_id=notice_id)
    return True


def retry_unsent(limit: int = 500, *, now: dt.datetime | None = None) -> int:
    """Enqueue delivery again for e-mail and webhook notices that failed or whose task was lost."""
    now = now or timezone.now()
    lost_before = now - dt.timedelta(minutes=5)
    # Failed and due again; never tried although old (its task was lost); or held by a worker whose
    # lease ran out (it died mid-send).
    due = (Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True, created_at__lt=lost_before)
           | Q(claimed_until__lt=now))
    not_held = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    ids = list(
        Notice.objects.filter(due, not_held, sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
        .filter(Q(channel=Notice.Channel.WEBHOOK) | ~Q(email=""))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for notice_id in ids:
        deliver_notice.enqueue(notice_id)
    return len(ids)
