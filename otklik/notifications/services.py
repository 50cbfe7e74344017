"""Creating notices. Delivery happens in tasks.py after the transaction commits."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.accounts.permissions import stand_in_for
from otklik.notifications.models import Notice


def notice_create(
    *,
    kind: str,
    dedupe: str,
    subject: str,
    body: str,
    appeal_id: int | None = None,
    recipient: User | None = None,
    email: str = "",
) -> Notice | None:
    """Record one notice; a second call with the same ``dedupe`` key does nothing.

    A notice to an absent official goes to their stand-in, who gets the absent person's work.
    Staff get an in-app notice (and e-mail when they have an address); applicants get e-mail.
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
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                dedupe_key=key, kind=kind, channel=channel, recipient=recipient, addressed_to=addressed_to,
                email=email, appeal_id=appeal_id, subject=subject[:255], body=body,
            )
    except IntegrityError:
        return None
    if notice.email:
        from otklik.notifications.tasks import deliver_notice

        transaction.on_commit(lambda: deliver_notice.enqueue(notice.pk))
    return notice
