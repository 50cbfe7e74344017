"""Delivery of notices by e-mail. A worker because SMTP is slow and may fail: a failure is
recorded and the notice stays unsent, so the sweeper's retry picks it up again."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from otklik.notifications.models import Notice

MAX_ATTEMPTS = 10


@task()
def deliver_notice(notice_id: int) -> bool:
    # Claim the row first: two workers with the same notice never both send it.
    claimed = Notice.objects.filter(pk=notice_id, sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    notice = Notice.objects.get(pk=notice_id)
    try:
        send_mail(notice.subject, notice.body, settings.DEFAULT_FROM_EMAIL, [notice.email])
    except Exception as exc:
        Notice.objects.filter(pk=notice_id).update(sent_at=None, last_error=str(exc)[:2000])
        raise
    return True


def retry_unsent(limit: int = 500) -> int:
    """Enqueue delivery again for e-mail notices that failed or whose task was lost."""
    cutoff = timezone.now() - dt.timedelta(minutes=5)
    ids = list(
        Notice.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS, created_at__lt=cutoff)
        .exclude(email="")
        .values_list("pk", flat=True)[:limit]
    )
    for notice_id in ids:
        deliver_notice.enqueue(notice_id)
    return len(ids)
