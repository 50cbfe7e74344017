"""Reading and bumping the version counters of cached reads (core/models.py)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from otklik.core.models import Version


def current(name: str) -> tuple[int, dt.datetime | None]:
    row = Version.objects.filter(name=name).values_list("value", "changed_at").first()
    return (row[0], row[1]) if row else (0, None)


def bump(name: str) -> None:
    """Called on commit of a write that changes what ``name`` caches."""
    now = timezone.now()
    if Version.objects.filter(name=name).update(value=F("value") + 1, changed_at=now):
        return
    try:
        with transaction.atomic():
            Version.objects.create(name=name, value=1)
    except IntegrityError:
        Version.objects.filter(name=name).update(value=F("value") + 1, changed_at=now)
