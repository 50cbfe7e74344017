"""Writes to the registry. Changes to organisations' contacts and responsible officials are logged
with the day the change happened (the acts require such changes to be reported within 3 days, seed
002 §5, so the log is evidence)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.models import Membership, User
from otklik.registry.models import (
    CalendarOverride,
    Category,
    ClassifierCode,
    Official,
    Organization,
    RegionSettings,
    RegistryChange,
    RoutingRule,
    Territory,
    Topic,
)
from otklik.registry.selectors import may_edit_officials, region_settings


class RegistryError(Exception):
    """A refused registry write; ``message`` is for the user, ``field`` names the input at fault."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def check_happened_on(happened_on: dt.date | None, *, today: dt.date | None = None) -> None:
    if happened_on is not None and happened_on > (today or timezone.localdate()):
        raise RegistryError(_("The change cannot have happened in the future."), field="happened_on")

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


def registry_save(
    *, actor: User | None, instance: models.Model, happened_on: dt.date | None = None
) -> RegistryChange | None:
    """Save a registry object and record what changed in its tracked fields, and on which day the
    change happened (``happened_on``: the registry must hear of it within the region's term)."""
    check_happened_on(happened_on)
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
            happened_on=happened_on,
        )


def registry_delete(
    *, actor: User | None, instance: models.Model, happened_on: dt.date | None = None
) -> RegistryChange:
    check_happened_on(happened_on)
    fields = TRACKED_FIELDS.get(type(instance), ())
    with transaction.atomic():
        organization = _organization_of(instance)
        if isinstance(instance, Organization):
            organization = None  # the row goes away with the organisation
        change = RegistryChange.objects.create(
            organization=organization,
            actor=actor,
            entity=type(instance)._meta.model_name or "",
            entity_id=str(instance.pk),
            action="delete",
            changes={name: [_jsonable(getattr(instance, name)), None] for name in fields},
            happened_on=happened_on,
        )
        instance.delete()
        return change


def registry_formset_save(*, actor: User | None, formset: Any, happened_on: dt.date | None = None) -> None:
    """An admin inline formset (an organisation's officials) saved row by row through ``registry_save``
    and ``registry_delete``, so each change lands in the log with the day it happened."""
    with transaction.atomic():
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            registry_delete(actor=actor, instance=obj, happened_on=happened_on)
        for instance in instances:
            registry_save(actor=actor, instance=instance, happened_on=happened_on)
        formset.save_m2m()


OFFICIAL_VALUES = ("full_name", "position", "phone", "email")


def officials_update(
    *, actor: User, organization: Organization, entries: dict[str, dict[str, str]], happened_on: dt.date,
) -> list[RegistryChange]:
    """Enter the organisation's officials at once, each kind → its values (all blank: nobody holds the
    duty any more), with the day the change happened. Only what changed is logged."""
    if not may_edit_officials(actor, organization):
        raise RegistryError(_("Only the head of the organisation or the registry's keepers enter its officials."))
    check_happened_on(happened_on)
    current = {official.kind: official for official in organization.officials.all()}
    logged: list[RegistryChange] = []
    with transaction.atomic():
        for kind, raw in entries.items():
            if kind not in Official.Kind.values:
                raise RegistryError(_("Unknown kind of official."), field=kind)
            values = {name: (raw.get(name) or "").strip() for name in OFFICIAL_VALUES}
            instance = current.get(kind)
            if not any(values.values()):
                if instance is not None:
                    logged.append(registry_delete(actor=actor, instance=instance, happened_on=happened_on))
                continue
            if not values["full_name"] or not values["position"]:
                raise RegistryError(_("Give the full name and the position of this person, or leave all of their "
                                      "fields empty."), field=kind)
            official = instance or Official(organization=organization, kind=kind)
            for name, value in values.items():
                setattr(official, name, value)
            try:
                official.full_clean()
            except ValidationError as error:
                raise RegistryError("; ".join(error.messages), field=kind) from None
            change = registry_save(actor=actor, instance=official, happened_on=happened_on)
            if change is not None:
                logged.append(change)
    return logged


def organization_confirm_data(
    *, actor: User | None, organization: Organization, at: dt.datetime | None = None
) -> None:
    """The organisation confirms its registry data is current (the registry-health page checks age);
    ``at`` is when it did (now unless told: a history being replayed, as the demo's)."""
    with transaction.atomic():
        organization.data_confirmed_at = at or timezone.now()
        organization.save(update_fields=["data_confirmed_at"])
        RegistryChange.objects.create(
            organization=organization, actor=actor, entity="organization", entity_id=str(organization.pk),
            action="confirm", changes={},
        )


def territory_boundaries_set(*, outlines: dict[int, dict[str, Any]]) -> None:
    """Territories' outlines (GeoJSON polygons) by territory key, each row saved as the admin saves it,
    so that the configuration audit records it."""
    with transaction.atomic():
        for territory in Territory.objects.filter(pk__in=outlines):
            territory.boundary = outlines[territory.pk]
            territory.save(update_fields=["boundary"])


def calendar_override_save(*, day: dt.date, kind: str, note: str = "") -> CalendarOverride:
    """The region's own day off or working day (one row a day: a new kind replaces the old one)."""
    with transaction.atomic():
        override = CalendarOverride.objects.filter(day=day).first() or CalendarOverride(day=day)
        override.kind, override.note = kind, note
        override.full_clean()
        override.save()
        return override


def topics_create(*, names: Sequence[str]) -> list[Topic]:
    """Topics of discussions, votes and polls (not audited configuration: written at once)."""
    return Topic.objects.bulk_create([Topic(name=name) for name in names])


def region_settings_update(
    *, values: dict[str, Any], emblem: tuple[str, bytes] | None = None
) -> RegionSettings:
    """Change the region's settings row as the admin does (one save, audited); ``emblem`` (a file name
    and its bytes) replaces the emblem only where there is none yet."""
    from django.core.files.base import ContentFile

    with transaction.atomic():
        row = region_settings()
        for name, value in values.items():
            setattr(row, name, value)
        if emblem is not None and not row.emblem:
            row.emblem.save(emblem[0], ContentFile(emblem[1]), save=False)
        row.save()
        return row


def region_settings_create_default() -> RegionSettings:
    """The region's one settings row with the acts' defaults, made on first use of a new installation."""
    row, _created = RegionSettings.objects.get_or_create(pk=1)
    row.refresh_from_db()  # field defaults given as text ("09:00") come back as their types
    return row


# --- the registry import's writes ---------------------------------------------------------------------
# ``registry.transfer`` validates a whole file and plans; these write a kind's planned rows in one call.
# Rows keep their own saves where the configuration audit (core.audit, by signals) follows them; each
# call leaves one RegistryChange («import»: who loaded how many rows of which kind). Organisations and
# their officials go through ``registry_save`` / ``registry_delete`` row by row instead, since the acts
# ask for each of those changes with its day.

IMPORT_BATCH = 500


def _import_logged(actor: User | None, model: type[models.Model], created: int, updated: int) -> RegistryChange | None:
    if not created and not updated:
        return None
    return RegistryChange.objects.create(
        organization=None, actor=actor, entity=model._meta.model_name or "", entity_id="", action="import",
        changes={"created": created, "updated": updated},
    )


def registry_import_classifier(
    *, actor: User | None, new: Sequence[ClassifierCode], changed: Sequence[ClassifierCode]
) -> RegistryChange | None:
    """New classifier entries and renamed ones, in bulk (the official file holds thousands)."""
    with transaction.atomic():
        ClassifierCode.objects.bulk_create(new, batch_size=IMPORT_BATCH)
        ClassifierCode.objects.bulk_update(changed, ["name"], batch_size=IMPORT_BATCH)
        return _import_logged(actor, ClassifierCode, len(new), len(changed))


@dataclass(frozen=True)
class TerritoryImport:
    """One planned territory: ``node_id`` is its key, or a negative number for a new one that rows
    below may name as their ``parent_id`` before it exists."""

    node_id: int
    parent_id: int | None
    values: dict[str, Any]
    instance: Territory | None


def registry_import_territories(*, actor: User | None, rows: Sequence[TerritoryImport]) -> RegistryChange | None:
    """Territories in file order (a parent above its children), new parents' keys passed down."""
    new_ids: dict[int, int] = {}
    with transaction.atomic():
        for row in rows:
            territory = row.instance or Territory()
            for name, value in row.values.items():
                setattr(territory, name, value)
            territory.parent_id = new_ids.get(row.parent_id, row.parent_id) if row.parent_id is not None else None
            territory.save()
            new_ids[row.node_id] = territory.pk
        return _import_logged(actor, Territory, sum(row.instance is None for row in rows),
                              sum(row.instance is not None for row in rows))


@dataclass(frozen=True)
class CategoryImport:
    code: str
    values: dict[str, Any]
    parent: str | None  # the parent's code
    instance: Category | None


def registry_import_categories(*, actor: User | None, rows: Sequence[CategoryImport]) -> RegistryChange | None:
    """Categories, parents before children (the rows come sorted by depth)."""
    written: dict[str, Category] = {}
    with transaction.atomic():
        for row in rows:
            category = row.instance or Category(code=row.code)
            for name, value in row.values.items():
                setattr(category, name, value)
            parent = (written.get(row.parent) or Category.objects.get(code=row.parent)) if row.parent else None
            category.parent = parent
            category.save()
            written[row.code] = category
        return _import_logged(actor, Category, sum(row.instance is None for row in rows),
                              sum(row.instance is not None for row in rows))


@dataclass(frozen=True)
class RoutingImport:
    rule: RoutingRule | None
    category_id: int
    territory_id: int | None
    organization_id: int


def registry_import_routing(*, actor: User | None, rows: Sequence[RoutingImport]) -> RegistryChange | None:
    with transaction.atomic():
        for row in rows:
            target = row.rule or RoutingRule(category_id=row.category_id, territory_id=row.territory_id)
            target.organization_id = row.organization_id
            target.save()
        return _import_logged(actor, RoutingRule, sum(row.rule is None for row in rows),
                              sum(row.rule is not None for row in rows))


@dataclass(frozen=True)
class PersonImport:
    """One person: their values, a new password (blank: keep it, or none usable for a new person) and,
    where the file has the columns, exactly the roles (organisation key, role) they are to hold."""

    username: str
    instance: User | None
    values: dict[str, Any]
    password: str
    roles: set[tuple[int, str]] | None
    old_roles: set[tuple[int, str]]


def registry_import_people(*, actor: User | None, rows: Sequence[PersonImport]) -> RegistryChange | None:
    with transaction.atomic():
        for row in rows:
            user = row.instance or User(username=row.username)
            for name, value in row.values.items():
                setattr(user, name, value)
            if row.password:
                user.set_password(row.password)
            elif row.instance is None:
                user.set_unusable_password()
            user.save()
            if row.roles is None:
                continue
            for organization_id, role in row.old_roles - row.roles:
                Membership.objects.filter(user=user, organization_id=organization_id, role=role).delete()
            Membership.objects.bulk_create([
                Membership(user=user, organization_id=organization_id, role=role)
                for organization_id, role in sorted(row.roles - row.old_roles)
            ])
        return _import_logged(actor, User, sum(row.instance is None for row in rows),
                              sum(row.instance is not None for row in rows))
