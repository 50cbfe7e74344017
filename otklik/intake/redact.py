"""Hiding personal data in texts shown publicly (portal pages, the start page, Open311): the applicant's
name and address, other people's names, phones, e-mails and home addresses (core/pii.py). Public pages
show what the problem is and what was answered, never who asked.

The full detection (natasha's models) is kept per text in ``PublicText``; a response that would have to
compute many texts at once (a first Open311 list) computes them within a time budget, gives the rest with
the fast pass (phones, e-mails, the applicant's name, full names) and leaves them to a background task."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.utils import timezone

from otklik.appeals.models import Appeal
from otklik.core import pii
from otklik.intake.models import PublicText

PUBLIC_FIELDS = ("text", "answer_text", "intermediate_text")
# Raise when core/pii.py learns to find more: every stored public text is computed again on next use.
DETECTOR_VERSION = "1"


def redact(text: str, names: Sequence[str] | None = None) -> str:
    """The fast pass, for a text that is not an appeal's own (nothing to keep it with)."""
    return pii.mask(text, names=[n for n in names or [] if n], models=False)


def _known(appeal: Appeal) -> tuple[list[str], list[str]]:
    return [n for n in (appeal.applicant_name, appeal.social_author) if n], [appeal.applicant_address]


def _digest(appeal: Appeal, source: str) -> str:
    names, addresses = _known(appeal)
    return hashlib.sha256("\x1f".join([DETECTOR_VERSION, source, *names, "\x1e", *addresses]).encode()).hexdigest()


class PublicTexts:
    """Masked texts of some appeals, by appeal and field."""

    def __init__(self, values: dict[tuple[int, str], str], late: list[int],
                 found: dict[tuple[int, str], dict[str, int]] | None = None) -> None:
        self._values = values
        self._found = found or {}
        self.late = late  # appeals whose texts got only the fast pass this time

    def get(self, appeal: Appeal, field: str = "text") -> str:
        return self._values.get((appeal.pk, field), "")

    def found(self, appeal: Appeal, field: str = "text") -> dict[str, int]:
        """Personal data found in the text, by kind (core.pii: name, phone, email, address)."""
        return self._found.get((appeal.pk, field), {})


def public_texts(appeals: Iterable[Appeal], fields: Sequence[str] = PUBLIC_FIELDS, *,
                 budget: float | None = None, enqueue: bool = True) -> PublicTexts:
    """The public version of ``fields`` of ``appeals``; what is missing or stale is computed and kept."""
    from otklik.intake.services import public_texts_store

    rows = list(appeals)
    stored = {(r.appeal_id, r.field): r for r in
              PublicText.objects.filter(appeal_id__in=[a.pk for a in rows], field__in=list(fields))}
    limit = settings.PII_PUBLIC_BUDGET_SECONDS if budget is None else budget
    values: dict[tuple[int, str], str] = {}
    found: dict[tuple[int, str], dict[str, int]] = {}
    late: set[int] = set()
    computed: list[PublicText] = []
    started: float | None = None
    models = False
    for appeal in rows:
        for field in fields:
            source = getattr(appeal, field) or ""
            key = (appeal.pk, field)
            digest = _digest(appeal, source) if source else ""
            row = stored.get(key)
            if not source or (row is not None and row.digest == digest):
                values[key] = row.masked if source and row is not None else ""
                found[key] = row.found if source and row is not None else {}
                continue
            names, addresses = _known(appeal)
            if started is None:
                models = pii.load_models()  # loading is once per process, not this response's time
                started = time.perf_counter()
            elif time.perf_counter() - started > limit:
                values[key] = pii.mask(source, names=names, addresses=addresses, models=False)
                late.add(appeal.pk)
                continue
            spans = pii.find_personal_data(source, names=names, addresses=addresses, models=models)
            values[key] = pii.mask_spans(source, spans)
            found[key] = dict(Counter(s.kind for s in spans))
            if models:
                computed.append(PublicText(appeal_id=appeal.pk, field=field, digest=digest, masked=values[key],
                                           found=found[key], computed_at=timezone.now()))
    public_texts_store(rows=computed)
    if late and enqueue:
        from otklik.intake.tasks import fill_public_texts

        fill_public_texts.enqueue(sorted(late))
    return PublicTexts(values, sorted(late), found)
