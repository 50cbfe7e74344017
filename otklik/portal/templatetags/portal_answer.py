"""``{{ text|answer_html }}``: an answer (or an intermediate answer) as the same sanitised HTML staff
see in the workspace, for citizen pages, the public page, e-mails and the PDF."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from otklik.core.markup import render_answer

register = template.Library()


@register.filter
def answer_html(text: str) -> SafeString:
    return render_answer(text or "")
