"""Organisations with the persons they name to the registry (seed 002 §4, seed 000 §1.1), one row each.

Every change goes through ``registry_save`` / ``registry_delete`` so the change log records it: the
acts ask organisations to report changes of responsible persons, and the log is the evidence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otklik.accounts.models import User
from otklik.registry.models import Official, Organization
from otklik.registry.services import registry_delete, registry_save
from otklik.registry.transfer.base import (
    Column,
    DuplicateKeys,
    Errors,
    Kind,
    Plan,
    Row,
    RowParser,
    changed_fields,
    depth_of,
    find_cycle_rows,
    text_of,
)
from otklik.registry.transfer.territories import TerritoryIndex, TerritoryNotFound

# Column key prefix and header prefix of each official.
OFFICIAL_GROUPS = (
    (Official.Kind.RESPONSIBLE, "responsible", "Ответственное лицо"),
    (Official.Kind.STAND_IN, "stand_in", "Замещающее лицо"),
    (Official.Kind.EXECUTOR_STAND_IN, "executor_stand_in", "Замещающий исполнителей"),
    (Official.Kind.AUTHORISED, "authorised", "Уполномоченный"),
    (Official.Kind.AUTHORISED_STAND_IN, "authorised_stand_in", "Замещающий уполномоченного"),
    (Official.Kind.SSTU_SECTION, "sstu_section", "ССТУ, ведение раздела"),
    (Official.Kind.SSTU_SUPPORT, "sstu_support", "ССТУ, техническое сопровождение"),
    (Official.Kind.SSTU_ENTRY, "sstu_entry", "ССТУ, внесение информации"),
)
OFFICIAL_FIELDS = (("full_name", "ФИО"), ("position", "должность"), ("phone", "телефон"), ("email", "эл. почта"))


@dataclass
class _OfficialChange:
    kind: str
    values: dict[str, Any]  # empty with ``delete`` set: remove the official
    instance: Official | None
    delete: bool = False


class Organizations(Kind):
    slug = "organizations"
    title = gettext_lazy("Organisations")
    columns = (
        Column("name", "Наименование", required=True),
        Column("short_name", "Краткое наименование"),
        Column("kind", "Вид", required=True),
        Column("parent", "Вышестоящая организация"),
        Column("territory", "Территория"),
        Column("address", "Почтовый адрес"),
        Column("phone", "Телефон"),
        Column("email", "Эл. почта"),
        Column("website", "Сайт"),
        Column("sstu_department_guid", "GUID подразделения ССТУ"),
        Column("portal_id", "Идентификатор на портале"),
        Column("is_active", "Действует"),
        *(
            Column(f"{prefix}_{name}", f"{header}: {field_header}")
            for _kind, prefix, header in OFFICIAL_GROUPS
            for name, field_header in OFFICIAL_FIELDS
        ),
        # The day the changes of the row happened (seed 002 §5: the registry hears of them within days).
        Column("happened_on", "Дата изменения сведений", import_only=True),
    )
    _fields = ("short_name", "kind", "address", "phone", "email", "website", "sstu_department_guid", "portal_id",
               "is_active")

    def export_rows(self) -> Iterator[dict[str, str]]:
        index = TerritoryIndex.from_db()
        organizations = list(Organization.objects.select_related("parent").prefetch_related("officials"))
        parents = {org.name: org.parent.name if org.parent else None for org in organizations}
        organizations.sort(key=lambda org: (depth_of(parents, org.name), org.name))
        for org in organizations:
            row = {name: text_of(getattr(org, name)) for name in self._fields}
            row.update(
                name=org.name,
                parent=org.parent.name if org.parent else "",
                territory=index.ref(org.territory_id) if org.territory_id else "",
            )
            officials = {official.kind: official for official in org.officials.all()}
            for kind, prefix, _header in OFFICIAL_GROUPS:
                official = officials.get(kind)
                for name, _field_header in OFFICIAL_FIELDS:
                    row[f"{prefix}_{name}"] = getattr(official, name) if official else ""
            yield row

    def prepare(self, rows: list[Row], errors: Errors) -> Plan:
        saved = {org.name: org for org in Organization.objects.select_related("parent").prefetch_related("officials")}
        names_in_file = {row.get("name") for row in rows}
        known = set(saved) | names_in_file
        index = TerritoryIndex.from_db()
        duplicates = DuplicateKeys()
        parents: dict[str, str | None] = {name: org.parent.name if org.parent else None for name, org in saved.items()}
        planned: list[tuple[Row, str, dict[str, Any], str | None, list[_OfficialChange], dt.date | None]] = []
        for row in rows:
            parser = RowParser(row, errors)
            name = parser.value(Organization, "name")
            values = parser.fields(Organization, self._fields)
            if row.has("parent"):
                parent = row.get("parent") or None
                if parent is not None and parent not in known:
                    errors.add(row, "parent", _("No organisation “%(name)s”.") % {"name": parent})
                if name:
                    parents[name] = parent
            if row.has("territory"):
                values["territory_id"] = None
                if row.get("territory"):
                    try:
                        values["territory_id"] = index.find(row.get("territory"))
                    except TerritoryNotFound as problem:
                        errors.add(row, "territory", problem.message)
            official_changes = self._officials(row, parser, saved.get(name or ""))
            if name:
                duplicates.check(name, row, "name", errors)
            happened_on = _happened_on(row, errors)
            planned.append((row, name, values, parents.get(name) if name else None, official_changes, happened_on))

        for name in find_cycle_rows(parents, [name for _row, name, *_rest in planned if name]):
            row = next(row for row, row_name, *_rest in planned if row_name == name)
            errors.add(row, "parent", _("An organisation cannot be placed under itself or its own subordinate."))

        plan = Plan()
        if errors:
            return plan
        # Parents are written before their children, so each one exists when a child points to it.
        planned.sort(key=lambda item: depth_of(parents, item[1]))
        for row, name, values, parent, official_changes, happened_on in planned:
            instance = saved.get(name)
            if row.has("parent"):
                values["parent_id"] = parent  # a name for now; turned into a key when written
            compare = {k: v for k, v in values.items() if k != "parent_id"}
            old_parent = instance.parent.name if instance is not None and instance.parent else None
            org_changed = changed_fields(instance, compare) or (row.has("parent") and old_parent != parent)
            officials_changed = [
                change for change in official_changes if change.delete or changed_fields(change.instance, change.values)
            ]
            plan.count("create" if instance is None else "update" if org_changed or officials_changed else "unchanged")
            if org_changed or officials_changed:
                plan.writes.append(_organization_write(name, values, instance, org_changed, officials_changed,
                                                       happened_on))
        return plan

    def _officials(self, row: Row, parser: RowParser, organization: Organization | None) -> list[_OfficialChange]:
        changes: list[_OfficialChange] = []
        current = {official.kind: official for official in organization.officials.all()} if organization else {}
        for kind, prefix, _header in OFFICIAL_GROUPS:
            keys = [f"{prefix}_{name}" for name, _field_header in OFFICIAL_FIELDS]
            if not any(row.has(key) for key in keys):
                continue
            instance = current.get(kind)
            if row.has(keys[0]) and not row.get(keys[0]):
                if any(row.get(key) for key in keys[1:]):
                    parser.errors.add(
                        row, keys[0], _("Give the full name of this person or leave all of their columns empty.")
                    )
                elif instance is not None:
                    changes.append(_OfficialChange(kind=kind, values={}, instance=instance, delete=True))
                continue
            values: dict[str, Any] = {}
            for (name, _field_header), key in zip(OFFICIAL_FIELDS, keys, strict=True):
                if row.has(key):
                    values[name] = parser.value(Official, name, key)
            if instance is None and not row.get(keys[0]):
                continue  # no column names this person and there is nobody to change
            if instance is None and "position" not in values:
                parser.errors.add(row, keys[1], _("Give the position of this person."))
            changes.append(_OfficialChange(kind=kind, values=values, instance=instance))
        return changes


def _happened_on(row: Row, errors: Errors) -> dt.date | None:
    text = row.get("happened_on").strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            day = dt.datetime.strptime(text[:10], pattern).date()
        except ValueError:
            continue
        if day > timezone.localdate():
            errors.add(row, "happened_on", _("The change cannot have happened in the future."))
            return None
        return day
    errors.add(row, "happened_on", _("Enter a date as DD.MM.YYYY."))
    return None


def _organization_write(
    name: str, values: dict[str, Any], instance: Organization | None, org_changed: bool,
    officials: list[_OfficialChange], happened_on: dt.date | None,
) -> Callable[[User | None], None]:
    def write(actor: User | None) -> None:
        org = instance or Organization(name=name)
        if org_changed:
            for field_name, value in values.items():
                if field_name == "parent_id":
                    value = Organization.objects.get(name=value).pk if value else None
                setattr(org, field_name, value)
            registry_save(actor=actor, instance=org, happened_on=happened_on)
        for change in officials:
            if change.delete:
                assert change.instance is not None
                registry_delete(actor=actor, instance=change.instance, happened_on=happened_on)
                continue
            official = change.instance or Official(organization=org, kind=change.kind)
            for field_name, value in change.values.items():
                setattr(official, field_name, value)
            registry_save(actor=actor, instance=official, happened_on=happened_on)

    return write
