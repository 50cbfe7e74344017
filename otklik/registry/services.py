"""Writes to the registry. Changes to organisations' contacts and responsible officials are logged
(the acts require such changes to be reported within 3 days, so the log is evidence)."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils import timezone

from otklik.accounts.models import User
from otklik.registry.models import Official, Organization, RegistryChange

# Fields whose changes the change log records, per model.
TRACKED_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Organization: ("name", "short_name", "address", "phone", "email", "website", "parent_id", "territory_id",
                   "sstu_department_guid", "portal_id", "is_active"),
    Official: ("kind", "full_name", "position", "phone", "email"),
}


def _snapshot(instance: models.Model, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in fields}


def _jsonable(value: Any) -> Any:
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def _organization_of(instance: models.Model) -> Organization | None:
    if isinstance(instance, Organization):
        return instance
    return getattr(instance, "organization", None)


def registry_save(*, actor: User | None, instance: models.Model) -> RegistryChange | None:
    """Save a registry object and record what changed in its tracked fields."""
    fields = TRACKED_FIELDS.get(type(instance), ())
    with transaction.atomic():
        before: dict[str, Any] = {}
        created = instance.pk is None
        if not created:
            previous = type(instance)._default_manager.filter(pk=instance.pk).first()
            created = previous is None
            if previous is not None:
                before = _snapshot(previous, fields)
        instance.save()
        after = _snapshot(instance, fields)
        diff = {
            name: [_jsonable(before.get(name)), _jsonable(after[name])]
            for name in fields
            if created or before.get(name) != after[name]
        }
        if not diff:
            return None
        return RegistryChange.objects.create(
            organization=_organization_of(instance),
            actor=actor,
            entity=type(instance)._meta.model_name or "",
            entity_id=str(instance.pk),
            action="create" if created else "update",
            changes=diff,
        )


def registry_delete(*, actor: User | None, instance: models.Model) -> None:
    fields = TRACKED_FIELDS.get(type(instance), ())
    with transaction.atomic():
        organization = _organization_of(instance)
        if isinstance(instance, Organization):
            organization = None  # the row goes away with the organisation
        RegistryChange.objects.create(
            organization=organization,
            actor=actor,
            entity=type(instance)._meta.model_name or "",
            entity_id=str(instance.pk),
            action="delete",
            changes={name: [_jsonable(getattr(instance, name)), None] for name in fields},
        )
        instance.delete()


def organization_confirm_data(*, actor: User | None, organization: Organization) -> None:
    """The organisation confirms its registry data is current (the registry-health page checks age)."""
    with transaction.atomic():
        organization.data_confirmed_at = timezone.now()
        organization.save(update_fields=["data_confirmed_at"])
        RegistryChange.objects.create(
            organization=organization, actor=actor, entity="organization", entity_id=str(organization.pk),
            action="confirm", changes={},
        )
