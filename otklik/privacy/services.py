"""Writes of the privacy domain: making applicants anonymous once the region's term of keeping their data
has passed (152-FZ art. 5 §7). What identifies the person goes; what statistics need stays: the number,
regime, channel, category, organisation, territory, every date and state, the rating and the event log.

Texts (the appeal, the answers, the rating comment, notices about it) keep their words with names, phones,
e-mails and home addresses replaced by placeholders (core/pii.py, with the models). The event log is
append-only and hash-chained: its rows keep ids, states and staff reasons, and are not rewritten; a
comment the applicant wrote into it stays there (docs/security.md, «Personal data»)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter

from django.db import transaction
from django.utils import timezone

from otklik.appeals.models import Appeal
from otklik.core import pii
from otklik.intake.models import Attachment, Follower, PublicText, Submission
from otklik.notifications.models import Notice
from otklik.privacy import selectors
from otklik.privacy.models import Anonymisation

TEXT_FIELDS = ("text", "draft_answer", "answer_text", "intermediate_text", "rating_comment", "proposed_reason")
CONTACT_FIELDS = ("applicant_name", "applicant_email", "applicant_phone", "applicant_address", "social_author",
                  "social_url")


def applicant_anonymise(*, appeal_id: int, now: dt.datetime | None = None,
                        before_term: bool = False) -> Anonymisation | None:
    """Erase the applicant of one appeal; None when it is already anonymous, still open, or (unless
    ``before_term``: the person asked to be erased, art. 21) its term has not ended yet."""
    now = now or timezone.now()
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().filter(pk=appeal_id).first()
        if appeal is None or appeal.is_open or Anonymisation.objects.filter(appeal_id=appeal_id).exists():
            return None
        if not before_term and not selectors.due_for_anonymisation(now).filter(pk=appeal_id).exists():
            return None
        finished_at = appeal.closed_at or appeal.state_changed_at
        names = [n for n in (appeal.applicant_name, appeal.social_author) if n]
        addresses = [appeal.applicant_address] if appeal.applicant_address else []
        found: Counter[str] = Counter()
        changes: dict[str, object] = {field: "" for field in CONTACT_FIELDS}
        for field in TEXT_FIELDS:
            source = getattr(appeal, field) or ""
            spans = pii.find_personal_data(source, names=names, addresses=addresses)
            found.update(span.kind for span in spans)
            changes[field] = pii.mask_spans(source, spans)
        # The tracking link dies with the person it was for.
        changes.update(applicant=None, access_token=secrets.token_urlsafe(24), intake_key=None)
        Appeal.objects.filter(pk=appeal_id).update(**changes)
        for notice in Notice.objects.filter(appeal_id=appeal_id):
            notice.body = pii.mask(notice.body, names=names, addresses=addresses)
            notice.subject = pii.mask(notice.subject, names=names, addresses=addresses, models=False)
            if notice.email and notice.email.lower() == appeal.applicant_email.lower():
                notice.email = ""
            notice.save(update_fields=["body", "subject", "email"])
        for attachment in Attachment.objects.filter(appeal_id=appeal_id):
            if attachment.file:
                attachment.file.delete(save=False)
            attachment.delete()
        Follower.objects.filter(appeal_id=appeal_id).delete()
        Submission.objects.filter(appeal_id=appeal_id).update(device_id="", account_id="", address_id="",
                                                              attributes={})
        PublicText.objects.filter(appeal_id=appeal_id).delete()
        return Anonymisation.objects.create(appeal_id=appeal_id, at=now, term_ended_at=finished_at,
                                            found=dict(found))


def applicants_anonymise(*, now: dt.datetime | None = None, limit: int | None = None) -> int:
    """Every appeal past the term, one transaction each (a long run can be stopped and started again)."""
    now = now or timezone.now()
    ids = list(selectors.due_for_anonymisation(now).values_list("pk", flat=True)[:limit])
    return sum(applicant_anonymise(appeal_id=appeal_id, now=now) is not None for appeal_id in ids)
