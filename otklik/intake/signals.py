"""What Open311 caches follows the registry: a change of a category, its attributes or the region's
terms bumps the services list's version once the change commits."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from otklik.core.services import version_bump
from otklik.intake.models import ServiceAttribute
from otklik.registry.models import Category, RegionSettings


@receiver([post_save, post_delete], sender=Category)
@receiver([post_save, post_delete], sender=ServiceAttribute)
@receiver([post_save, post_delete], sender=RegionSettings)
def services_changed(sender: type, **kwargs: Any) -> None:
    from otklik.intake.open311 import SERVICES_VERSION

    transaction.on_commit(lambda: version_bump(SERVICES_VERSION))
