"""The registry's version (selectors.REGISTRY_VERSION) follows every change of what processes keep
from it: a saved or deleted row of these models, and every RegistryChange (the import writes its rows
in bulk, without per-row signals, and records one change per kind)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from otklik.core.services import version_bump
from otklik.registry.models import (
    CalendarOverride,
    Category,
    Organization,
    RegionSettings,
    RegistryChange,
    Territory,
)
from otklik.registry.selectors import REGISTRY_VERSION


@receiver([post_save, post_delete], sender=Category)
@receiver([post_save, post_delete], sender=Territory)
@receiver([post_save, post_delete], sender=Organization)
@receiver([post_save, post_delete], sender=RegionSettings)
@receiver([post_save, post_delete], sender=CalendarOverride)
@receiver(post_save, sender=RegistryChange)
def registry_changed(sender: type, **kwargs: Any) -> None:
    version_bump(REGISTRY_VERSION)
