"""Writes of the intake channels. A submission creates the appeal through appeals.services and, in
the same transaction, what the channel knew: consent, attachments, Open311 extras. Nothing is
acknowledged to the citizen before this transaction commits."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.appeals.lifecycle import Regime
from otklik.appeals.models import Appeal, Channel
from otklik.appeals.services import AppealError, NewAppeal, appeal_comment, appeal_receive
from otklik.intake.models import ApiKey, Attachment, ConsentText, Follower, PublicText, Submission
from otklik.intake.uploads import UploadRefused, check_upload
from otklik.registry.models import Organization
from otklik.registry.selectors import registry_snapshot

DEFAULT_CONSENT_VERSION = "1"


def consent_current() -> ConsentText:
    """The consent text shown now: the newest one, or the built-in text if none was entered."""
    found = ConsentText.objects.order_by("-created_at", "-id").first()
    if found is not None:
        return found
    text = _(
        "I consent to the processing of my personal data (surname, name, e-mail, phone, address and the "
        "content of the message) by the operator of the platform and by the organisations that consider "
        "the message, for the purpose of considering it and answering me, under Federal Law No. 152-FZ "
        "of 27.07.2006 «On personal data». The consent is valid until the purpose is achieved and may be "
        "withdrawn by a written statement."
    )
    consent, _created = ConsentText.objects.get_or_create(version=DEFAULT_CONSENT_VERSION, defaults={"text": text})
    return consent


def client_fingerprint(address: str) -> str:
    """A keyed hash of a client's address: enough to count its uploads, useless to identify it."""
    return salted_hmac("otklik.intake.client", address or "-", algorithm="sha256").hexdigest()[:32]


def attachment_store(*, upload: UploadedFile, draft_key: str, client: str = "") -> Attachment:
    """Check and keep one uploaded file under the form's key; raises UploadRefused.

    Files are kept before the form is sent (so a mistake elsewhere does not make the citizen upload
    again), which is why anonymous uploads are bounded: per form key, and per client in an hour."""
    checked = check_upload(upload)
    existing = Attachment.objects.filter(draft_key=draft_key, sha256=checked.sha256).first()
    if existing is not None:
        return existing  # the same file sent again with a retried form
    size = len(checked.content)
    kept = Attachment.objects.filter(draft_key=draft_key, appeal=None).aggregate(total=Sum("size"))["total"] or 0
    if kept + size > settings.PORTAL_UPLOAD_MAX_BYTES_PER_FORM:
        raise UploadRefused(_("The files of one message may take at most %(mb)s MB in all.")
                            % {"mb": settings.PORTAL_UPLOAD_MAX_BYTES_PER_FORM // (1024 * 1024)})
    fingerprint = client_fingerprint(client) if client else ""
    if fingerprint:
        hour_ago = timezone.now() - dt.timedelta(hours=1)
        recent = Attachment.objects.filter(client=fingerprint, appeal=None, created_at__gte=hour_ago).aggregate(
            total=Sum("size"))["total"] or 0
        if recent + size > settings.PORTAL_UPLOAD_MAX_BYTES_PER_CLIENT_HOUR:
            raise UploadRefused(_("Too many files were sent from your address in the last hour: send the message, "
                                  "or try again later."))
    attachment = Attachment(
        draft_key=draft_key, kind=checked.kind, content_type=checked.content_type,
        original_name=checked.original_name, size=size, sha256=checked.sha256, client=fingerprint,
    )
    attachment.file.save(f"upload{checked.extension}", ContentFile(checked.content), save=False)
    attachment.save()
    return attachment


def attachment_discard(*, draft_key: str, attachment_id: int) -> None:
    """The citizen removed a file they had attached to a form not yet sent."""
    for attachment in Attachment.objects.filter(pk=attachment_id, draft_key=draft_key, appeal=None):
        attachment.file.delete(save=False)
        attachment.delete()


def applicant_update(
    *, appeal_id: int, text: str, uploads: Sequence[UploadedFile] = (), user: User | None = None,
    token: str | None = None, client: str = "",
) -> Appeal:
    """The applicant's comment and photos on their own open message (FixMyStreet's "updates"): the
    files are checked and kept like the form's, the comment event lists them, and they join the
    appeal; a refusal of the comment keeps no file. Raises UploadRefused or AppealError."""
    if len(uploads) > settings.PORTAL_UPLOAD_MAX_FILES:
        raise UploadRefused(_("At most %(n)s files can be attached.") % {"n": settings.PORTAL_UPLOAD_MAX_FILES})
    draft_key = f"update:{uuid.uuid4().hex}"
    stored: list[Attachment] = []
    try:
        for upload in uploads:
            stored.append(attachment_store(upload=upload, draft_key=draft_key, client=client))
        ids = [attachment.pk for attachment in stored]
        with transaction.atomic():
            appeal = appeal_comment(appeal_id=appeal_id, text=text, user=user, token=token, attachment_ids=ids)
            Attachment.objects.filter(pk__in=ids, draft_key=draft_key, appeal=None).update(appeal=appeal)
    except (UploadRefused, AppealError):
        for attachment in stored:
            attachment_discard(draft_key=draft_key, attachment_id=attachment.pk)
        raise
    return appeal


def attachments_purge_abandoned(*, older_than: dt.timedelta = dt.timedelta(hours=3)) -> int:
    """Delete files uploaded with a form that was never sent: they belong to no appeal, and keeping
    them would keep personal data nobody needs."""
    cutoff = timezone.now() - older_than
    purged = 0
    for attachment in Attachment.objects.filter(appeal=None, created_at__lt=cutoff).iterator():
        attachment.file.delete(save=False)
        attachment.delete()
        purged += 1
    return purged


# A key's «last used» is kept to the minute: a write of the key's row on every request of a busy
# integrator would cost more than the request's own writes.
KEY_USE_PRECISION = dt.timedelta(minutes=1)


def intake_submit(
    new: NewAppeal,
    *,
    source: str,
    intake_key: str,
    intake_client: str = "portal",
    organization: Organization | None = None,
    consent: ConsentText | None = None,
    draft_key: str = "",
    api_key: ApiKey | None = None,
    token: str | None = None,
    device_id: str = "",
    account_id: str = "",
    address_id: str = "",
    attributes: dict[str, Any] | None = None,
    media_url: str = "",
    now: dt.datetime | None = None,
) -> Appeal:
    """Receive an appeal from a channel: what the message says (``new``; a channel's messages are
    platform messages, and the channel is the ``source``'s) and what the channel knew. Idempotent by
    ``intake_key``: a retried submission returns the appeal created the first time and adds nothing."""
    now = now or timezone.now()
    channel = {Submission.Source.PORTAL: Channel.PORTAL, Submission.Source.WIDGET: Channel.WIDGET,
               Submission.Source.OPEN311: Channel.OPEN311}[Submission.Source(source)]
    territory = new.territory
    if territory is None and organization is not None:
        territory = organization.territory
    new = replace(new, regime=Regime.POS, channel=channel, territory=territory)
    with transaction.atomic():
        appeal = appeal_receive(new, intake_key=intake_key, intake_client=intake_client, now=now)
        with connection.cursor() as cursor:  # plain SQL: this runs on every intake (see appeals._existing_for_key)
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(Submission._meta.db_table)} "
                           "WHERE appeal_id = %s", [appeal.pk])
            if cursor.fetchone() is not None:
                return appeal
        Submission.objects.create(
            appeal=appeal, source=source, organization=organization, consent=consent,
            consent_at=now if consent else None, api_key=api_key, token=token, device_id=device_id[:255],
            account_id=account_id[:255], address_id=address_id[:255], attributes=attributes or {},
        )
        if draft_key:
            Attachment.objects.filter(draft_key=draft_key, appeal=None).update(appeal=appeal)
        if media_url:
            Attachment.objects.create(appeal=appeal, kind=Attachment.Kind.LINK, url=media_url)
        if api_key is not None and (api_key.last_used_at is None or now - api_key.last_used_at >= KEY_USE_PRECISION):
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
            api_key.last_used_at = now  # the kept key knows it too, until the snapshot is rebuilt
    return appeal


def appeal_follow(*, appeal: Appeal, email: str = "", user: User | None = None) -> Follower:
    """Join an existing appeal instead of sending the same problem again."""
    email = (email or (user.email if user else "")).strip().lower()
    try:
        with transaction.atomic():
            return Follower.objects.create(appeal=appeal, email=email, user=user)
    except IntegrityError:
        return Follower.objects.get(appeal=appeal, email=email)


def api_key_regenerate(*, key: ApiKey) -> str:
    """A new secret for the key; the old one stops working at once."""
    raw = key.set_new_key()
    key.save(update_fields=["key_hash"])
    return raw


def api_key_create(*, name: str, organization: Organization | None = None) -> tuple[ApiKey, str]:
    key = ApiKey(name=name, organization=organization)
    raw = key.set_new_key()
    key.save()
    return key, raw


def api_key_find(raw: str) -> ApiKey | None:
    if not raw:
        return None
    # The active keys are few (one per integrator) and kept with the registry's snapshot: a save of a
    # key (revoked, regenerated, new) bumps its version (intake/signals.py), so a revoked key stops at once,
    # and a guessed key costs no query.
    def active() -> dict[str, ApiKey]:
        return {key.key_hash: key for key in ApiKey.objects.filter(is_active=True)}

    return registry_snapshot().get("intake.active_api_keys", active).get(ApiKey.hash(raw))


def new_token() -> str:
    return secrets.token_hex(16)



def public_texts_store(*, rows: Sequence[PublicText]) -> None:
    """Keep masked public versions of appeals' texts (intake/redact.py computes them), one statement for
    a whole page of them: a page's queries do not grow with its rows."""
    if not rows:
        return
    with transaction.atomic():
        PublicText.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["appeal", "field"],
            update_fields=["digest", "masked", "found", "computed_at"],
        )
