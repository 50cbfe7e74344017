from __future__ import annotations

from django import forms, template
from django.forms import BoundField
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from otklik.core.markup import render_answer
from otklik.workspace import presentation

register = template.Library()


@register.filter
def queue_title(key: str) -> str:
    return presentation.queue_title(key)


@register.filter
def queue_hint(key: str) -> str:
    return presentation.queue_hint(key)


@register.filter
def sees_escalations(user: object) -> bool:
    """Whether the menu offers escalations: only to those the escalation pages would not answer 404."""
    from otklik.accounts.models import User
    from otklik.escalations.selectors import may_view

    return isinstance(user, User) and may_view(user)


@register.filter
def sees_social_posts(user: object) -> bool:
    """Whether the menu offers the social posts' queue: only to those who moderate posts."""
    from otklik.accounts.models import User
    from otklik.intake.social.selectors import moderates_posts

    return isinstance(user, User) and moderates_posts(user)


@register.filter
def sees_privacy_log(user: object) -> bool:
    """Whether the menu offers the log of openings of personal data (the privacy officer's page)."""
    from otklik.accounts.models import User
    from otklik.accounts.permissions import reviews_personal_data

    return isinstance(user, User) and reviews_personal_data(user)


@register.simple_tag
def field_widget(bound: BoundField) -> SafeString:
    """A form field's widget; single selects are built here directly.

    Django renders every widget through its own template engine, which costs about a millisecond a
    select with a few dozen options; queue pages carry eight of them, so this keeps a page in budget.
    """
    widget = bound.field.widget
    if type(widget) is not forms.Select:
        return bound.as_widget()
    value = bound.value()
    selected = {"" if value is None else str(value)}
    attrs = []
    if bound.field.required and bound.form.use_required_attribute:
        attrs.append(" required")
    if bound.errors:
        attrs.append(' aria-invalid="true"')
    extra = "".join(f' {name}="{escape(val)}"' for name, val in widget.attrs.items())
    parts = [f'<select name="{escape(bound.html_name)}" id="{escape(bound.auto_id)}"{"".join(attrs)}{extra}>']
    for option_value, label in bound.field.choices:  # type: ignore[attr-defined]
        text = "" if option_value is None else str(option_value)
        mark = " selected" if text in selected else ""
        parts.append(f'<option value="{escape(text)}"{mark}>{escape(label)}</option>')
    parts.append("</select>")
    return mark_safe("".join(parts))  # every value above is escaped


@register.filter
def answer_html(text: str) -> SafeString:
    """An answer as its reader sees it: the one sanitised renderer (core/markup.py)."""
    return render_answer(text)
