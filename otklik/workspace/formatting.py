"""The answer templates' placeholders. The answer's formatting itself is core/markup.py."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from otklik.appeals.models import Appeal
from otklik.core.markup import render_answer

__all__ = ["placeholder_values", "render_answer"]


def _date(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value)
    return value.strftime("%d.%m.%Y")


def placeholder_values(appeal: Appeal, *, show_personal: bool) -> dict[str, str]:
    """Values for {number}, {applicant}, {address}, {due}, {received}, {category}, {organization},
    {until}, {today}. The applicant's name is filled only for those who may see it."""
    applicant = (appeal.applicant_name or appeal.social_author) if show_personal else ""
    return {
        "number": appeal.number,
        "applicant": applicant or "—",
        "address": appeal.address or "—",
        "due": _date(appeal.due_at),
        "received": _date(appeal.received_at),
        "category": str(appeal.category) if appeal.category_id and appeal.category else "—",
        "organization": str(appeal.organization) if appeal.organization_id and appeal.organization else "—",
        "until": _date(appeal.postponed_until),
        "today": _date(timezone.now()),
    }
