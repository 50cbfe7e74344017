"""What Open311 caches follows the registry (registry/signals.py bumps its version for categories and
the region's terms); a service's attributes and the API keys are the intake's own rows kept with it, and
bump the same version."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from otklik.core.services import version_bump
from otklik.intake.models import ApiKey, ServiceAttribute
from otklik.registry.selectors import REGISTRY_VERSION


@receiver([post_save, post_delete], sender=ServiceAttribute)
@receiver([post_save, post_delete], sender=ApiKey)
def intake_registry_changed(sender: type, **kwargs: Any) -> None:
    version_bump(REGISTRY_VERSION)
