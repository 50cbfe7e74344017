"""Reads of notices: a person sees only the in-app notices addressed to them (or to them as a stand-in)."""

from __future__ import annotations

from django.db.models import QuerySet

from otklik.accounts.models import User
from otklik.notifications.models import Notice


def user_notices(user: User, *, unread_only: bool = False) -> QuerySet[Notice]:
    queryset = Notice.objects.filter(recipient=user, channel=Notice.Channel.IN_APP)
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    return queryset.select_related("appeal", "addressed_to").order_by("-created_at", "-id")


def unread_count(user: User) -> int:
    if not user.is_authenticated:
        return 0
    return Notice.objects.filter(recipient=user, channel=Notice.Channel.IN_APP, read_at__isnull=True).count()
