"""The escalation's report: an automatic draft (what, where, since when, how many, the trend, sample
texts, organisations involved and what they answered) that staff edit, and its PDF (WeasyPrint)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.core import pii
from otklik.escalations.models import Escalation
from otklik.escalations.selectors import escalation_appeals
from otklik.routing.text import clean

SAMPLES = 3
SAMPLE_CHARS = 300


def _fmt(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%d.%m.%Y %H:%M")


def trend(escalation: Escalation, appeals: list[Any]) -> list[tuple[str, int]]:
    """Messages of the escalation per local day, from the first one's day to the last one's."""
    days = Counter(timezone.localdate(appeal.received_at) for appeal in appeals)
    if not days:
        return []
    start, end = min(days), max(days)
    return [((start + dt.timedelta(days=i)).strftime("%d.%m"), days.get(start + dt.timedelta(days=i), 0))
            for i in range((end - start).days + 1)]


def facts(escalation: Escalation) -> dict[str, Any]:
    appeals = escalation_appeals(escalation)
    organisations = Counter(str(a.organization) for a in appeals if a.organization_id)
    answers = [(str(a.organization or "—"), a.number, a.answer_text or a.intermediate_text)
               for a in appeals if a.answer_text or a.intermediate_text]
    territories = sorted({str(a.territory) for a in appeals if a.territory_id}) or (
        [str(escalation.territory)] if escalation.territory else [])
    return {
        "what": escalation.category.name if escalation.category else (escalation.signal or _("no category")),
        "kind": escalation.get_kind_display(),
        "where": ", ".join(territories) or _("the region"),
        "since": _fmt(escalation.first_appeal_at),
        "opened": _fmt(escalation.opened_at),
        "due": _fmt(escalation.due_at),
        "count": len(appeals),
        "expected": round(escalation.expected, 1),
        "trend": trend(escalation, appeals),
        # A one-day report goes up to people who need the problem, not who wrote about it.
        "samples": [clean(pii.mask(a.text, names=[n for n in (a.applicant_name, a.social_author) if n],
                                   models=False))[:SAMPLE_CHARS] for a in appeals[-SAMPLES:]],
        "organisations": organisations.most_common(),
        "answers": answers[:5],
        "signal": escalation.signal,
    }


def draft_report(escalation: Escalation, *, now: dt.datetime | None = None) -> str:
    f = facts(escalation)
    lines = [
        _("Escalation № %(number)s: %(kind)s.") % {"number": escalation.pk, "kind": f["kind"]},
        _("What: %(what)s.") % f,
        _("Where: %(where)s.") % f,
        _("Since: %(since)s (detected at %(opened)s).") % f,
        _("How many messages: %(count)s.") % f,
    ]
    if escalation.kind == Escalation.Kind.SPIKE:
        lines.append(_("Usually in 24 hours: %(expected)s.") % f)
    if f["signal"]:
        lines.append(_("Signal: %(signal)s.") % f)
    if f["trend"]:
        lines.append(_("By day: %(trend)s.") % {"trend": ", ".join(f"{day} — {n}" for day, n in f["trend"])})
    if f["organisations"]:
        lines.append(_("Organisations involved: %(orgs)s.") % {
            "orgs": "; ".join(f"{name} ({n})" for name, n in f["organisations"])})
    if f["answers"]:
        lines.append(_("What they answered:"))
        lines.extend(f"— {org}, {number}: {clean(text)[:SAMPLE_CHARS]}" for org, number, text in f["answers"])
    else:
        lines.append(_("No answers yet."))
    if f["samples"]:
        lines.append(_("Sample messages:"))
        lines.extend(f"— {text}" for text in f["samples"])
    return "\n".join(lines)


def render_pdf(escalation: Escalation) -> bytes:
    from weasyprint import HTML  # imported here: it loads Pango, which only documents need

    context = {"escalation": escalation, "facts": facts(escalation),
               "paragraphs": [line for line in escalation.report_text.splitlines() if line.strip()],
               "max_day": max([n for _d, n in facts(escalation)["trend"]] or [1])}
    html = render_to_string("escalations/report_document.html", context)
    return bytes(HTML(string=html).write_pdf())
