"""The answer editor's small, safe formatting and the answer templates' placeholders.

Answers are written as plain text with a little Markdown: paragraphs (a blank line), lists
("- " or "1. "), links ("[text](https://…)" or "<https://…>"), **bold** and *italic*. Raw HTML is
never passed through: markdown-it escapes it, and nh3 (the Ammonia sanitiser) keeps only the tags
and link schemes below, so a pasted script or a javascript: link cannot reach a reader.
"""

from __future__ import annotations

import datetime as dt

import nh3
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from otklik.appeals.models import Appeal

ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "a", "strong", "em", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}

_markdown = MarkdownIt("commonmark", {"html": False, "breaks": True}).disable(
    ["image", "heading", "lheading", "code", "fence", "html_block", "html_inline", "hr"]
)


def render_answer(text: str) -> SafeString:
    """Answer text as sanitised HTML."""
    html = _markdown.render(text or "")
    clean = nh3.clean(
        html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)


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
