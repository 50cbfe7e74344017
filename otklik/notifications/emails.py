"""The e-mail of a notice: a readable plain-text part and an HTML part.

The notice's body is plain text written by appeals/notify.py or a region's template; an answer or an
intermediate answer quoted in it is written with the answer editor's little Markdown. Both parts show
it formatted, the way staff saw it: the text part without asterisks and brackets, the HTML part as
the same sanitised HTML as the tracking page.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.html import escape, urlize
from django.utils.safestring import SafeString, mark_safe

from otklik.core.markup import answer_plain_text, render_answer
from otklik.notifications.models import Notice

# Mail programs drop style sheets: the quoted answer's frame is set on the element itself.
ANSWER_STYLE = "border-left:4px solid #1e7b34;padding:2px 12px;margin:8px 0;"


def _formatted_texts(notice: Notice) -> list[str]:
    appeal = notice.appeal
    if appeal is None:
        return []
    texts = [appeal.answer_text, appeal.intermediate_text]
    return sorted({text.strip() for text in texts if text and text.strip() and text.strip() in notice.body},
                  key=len, reverse=True)


def _segments(notice: Notice) -> list[tuple[str, bool]]:
    """The body cut into (text, is_formatted) pieces: the quoted answers and the plain rest."""
    quoted = _formatted_texts(notice)
    if not quoted:
        return [(notice.body, False)]
    pattern = re.compile("|".join(re.escape(text) for text in quoted))
    pieces: list[tuple[str, bool]] = []
    position = 0
    for match in pattern.finditer(notice.body):
        pieces.append((notice.body[position:match.start()], False))
        pieces.append((match.group(0), True))
        position = match.end()
    pieces.append((notice.body[position:], False))
    return [(text, formatted) for text, formatted in pieces if text]


def _plain_html(text: str) -> str:
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join(f"<p>{urlize(escape(p)).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def email_text(notice: Notice) -> str:
    return "".join(answer_plain_text(text).rstrip("\n") if formatted else text
                   for text, formatted in _segments(notice))


def email_html(notice: Notice) -> SafeString:
    body = "".join(
        f'<div style="{ANSWER_STYLE}">{render_answer(text)}</div>' if formatted else _plain_html(text)
        for text, formatted in _segments(notice)
    )
    return mark_safe(render_to_string("notifications/email.html", {"subject": notice.subject,
                                                                    "body": mark_safe(body)}))


def email_message(notice: Notice, *, headers: dict[str, str] | None = None) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(notice.subject, email_text(notice), settings.DEFAULT_FROM_EMAIL,
                                     [notice.email], headers=headers or {})
    message.attach_alternative(email_html(notice), "text/html")
    return message
