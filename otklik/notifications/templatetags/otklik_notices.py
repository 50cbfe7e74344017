"""The header's link to the notices page with the number of unread notices."""

from __future__ import annotations

from typing import Any

from django import template

from otklik.accounts.permissions import capacities
from otklik.notifications.selectors import unread_count

register = template.Library()


@register.inclusion_tag("notifications/header_link.html", takes_context=True)
def notices_link(context: Any) -> dict[str, Any]:
    user = context.get("user")
    # Only officials have in-app notices; citizens are told by e-mail.
    show = bool(user is not None and user.is_authenticated and capacities(user))
    return {"show": show, "unread": unread_count(user) if show else 0}
