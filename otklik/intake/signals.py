"""What Open311 caches follows the registry (registry/signals.py bumps its version for categories and
the region's terms); a service's attributes are the intake's own rows and bump the same version."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from otklik.core.services import version_bump
from otklik.intake.models import ServiceAttribute
from otklik.registry.selectors import REGISTRY_VERSION


@receiver([post_save, post_delete], sender=ServiceAttribute)
def service_attributes_changed(sender: type, **kwargs: Any) -> None:
    version_bump(REGISTRY_VERSION)
