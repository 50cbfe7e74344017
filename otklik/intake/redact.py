"""Hiding personal data in texts shown publicly: the applicant's own name, e-mail addresses and phone
numbers. Public pages show what the problem is and what was answered, never who asked."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# Russian phone numbers in their usual spellings: +7 (912) 345-67-89, 8 912 3456789, 89123456789.
PHONE_RE = re.compile(r"(?<!\d)(\+7|8)[\s(-]*\d{3}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}(?!\d)")


def redact(text: str, names: list[str] | None = None) -> str:
    if not text:
        return text
    text = EMAIL_RE.sub(_("[e-mail hidden]"), text)
    text = PHONE_RE.sub(_("[phone hidden]"), text)
    for name in names or []:
        for part in {p for p in re.split(r"[\s.,]+", name) if len(p) >= 3}:
            text = re.sub(rf"(?<!\w){re.escape(part)}\w*", _("[name hidden]"), text, flags=re.IGNORECASE)
    return text
