"""Writes of core: the version counters of cached reads."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from otklik.core.models import Version


def version_bump(name: str) -> None:
    """Called on commit of a write that changes what ``name`` caches."""
    now = timezone.now()
    if Version.objects.filter(name=name).update(value=F("value") + 1, changed_at=now):
        return
    try:
        with transaction.atomic():
            Version.objects.create(name=name, value=1)
    except IntegrityError:
        Version.objects.filter(name=name).update(value=F("value") + 1, changed_at=now)
