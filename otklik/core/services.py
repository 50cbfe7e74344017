"""Writes of core: the version counters of cached reads, the record of configuration changes."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from otklik.core import versions
from otklik.core.models import ConfigurationChange, Version


def version_bump(name: str) -> None:
    """Called in the transaction of a write that changes what ``name`` caches (core/versions.py):
    readers see the new version exactly when they see the new data."""
    versions.forget_read(name)
    now = timezone.now()
    value = secrets.randbits(62) + 1
    if Version.objects.filter(name=name).update(value=value, changed_at=now):
        return
    try:
        with transaction.atomic():
            Version.objects.create(name=name, value=value, changed_at=now)
    except IntegrityError:
        Version.objects.filter(name=name).update(value=value, changed_at=now)


def configuration_change_record(*, model: str, object_id: str, object_repr: str, action: str,
                                changes: dict[str, Any], actor: Any, source: str) -> ConfigurationChange:
    """One configuration change (core/audit.py); in the same transaction as the change itself."""
    return ConfigurationChange.objects.create(
        at=timezone.now(), actor=actor, actor_name=str(getattr(actor, "username", "") or ""), source=source,
        model=model, object_id=object_id, object_repr=object_repr, action=action, changes=changes,
    )
