"""Territories, and how every file refers to a territory.

A territory's name is unique only under its parent, so a reference is one of: the OKTMO code, the
name where it is unique, or the end of the path of names, «Район / Поселение» (as many levels as it
takes to be unique). Export writes the shortest reference that is unique.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otklik.accounts.models import User
from otklik.registry.models import Territory
from otklik.registry.services import TerritoryImport, registry_import_territories
from otklik.registry.transfer.base import (
    Column,
    DuplicateKeys,
    Errors,
    Kind,
    Plan,
    Row,
    RowParser,
    changed_fields,
    text_of,
)

PATH_SEPARATOR = " / "


class TerritoryNotFound(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def normalize_oktmo(text: str) -> str:
    """Spreadsheets read OKTMO codes as numbers and drop a leading zero; put it back."""
    text = text.strip()
    if text.isdigit() and len(text) in (7, 10):
        return "0" + text
    return text


def is_oktmo(text: str) -> bool:
    return text.isdigit() and len(text) in (8, 11)


@dataclass(frozen=True)
class Node:
    id: int  # the primary key of a saved territory; negative for one the import will create
    name: str
    parent_id: int | None
    oktmo: str


class TerritoryIndex:
    """Territories in memory, so a whole file is resolved without a query per row."""

    def __init__(self, nodes: list[Node]) -> None:
        self.nodes: dict[int, Node] = {}
        self._by_name: dict[str, set[int]] = {}
        self._by_oktmo: dict[str, set[int]] = {}
        for node in nodes:
            self.put(node)

    @classmethod
    def from_db(cls) -> TerritoryIndex:
        return cls([
            Node(id=pk, name=name, parent_id=parent_id, oktmo=oktmo)
            for pk, name, parent_id, oktmo in Territory.objects.values_list("pk", "name", "parent_id", "oktmo")
        ])

    def put(self, node: Node) -> None:
        old = self.nodes.get(node.id)
        if old is not None:
            self._by_name[old.name].discard(old.id)
            self._by_oktmo.get(old.oktmo, set()).discard(old.id)
        self.nodes[node.id] = node
        self._by_name.setdefault(node.name, set()).add(node.id)
        if node.oktmo:
            self._by_oktmo.setdefault(node.oktmo, set()).add(node.id)

    def by_oktmo(self, oktmo: str) -> Node | None:
        found = self._by_oktmo.get(oktmo, set())
        return self.nodes[next(iter(found))] if len(found) == 1 else None

    def child(self, parent_id: int | None, name: str) -> Node | None:
        for node_id in self._by_name.get(name, ()):
            node = self.nodes[node_id]
            if node.parent_id == parent_id:
                return node
        return None

    def path(self, node_id: int) -> list[str]:
        names: list[str] = []
        seen: set[int] = set()
        current: int | None = node_id
        while current is not None and current not in seen:
            seen.add(current)
            node = self.nodes[current]
            names.append(node.name)
            current = node.parent_id
        return names[::-1]

    def is_within(self, node_id: int | None, ancestor_id: int) -> bool:
        """Whether ``node_id`` is ``ancestor_id`` or lies under it."""
        seen: set[int] = set()
        while node_id is not None and node_id not in seen:
            if node_id == ancestor_id:
                return True
            seen.add(node_id)
            node_id = self.nodes[node_id].parent_id
        return False

    def _ending_with(self, names: list[str]) -> list[int]:
        return [
            node_id for node_id in self._by_name.get(names[-1], ())
            if self.path(node_id)[-len(names):] == names
        ]

    def find(self, ref: str) -> int:
        """The territory a file cell names; raises TerritoryNotFound with a message for the user."""
        ref = ref.strip()
        code = normalize_oktmo(ref)
        if is_oktmo(code):
            matches = sorted(self._by_oktmo.get(code, set()))
        else:
            names = [part.strip() for part in ref.split(PATH_SEPARATOR.strip())]
            matches = self._ending_with(names)
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise TerritoryNotFound(_("No territory “%(ref)s”.") % {"ref": ref})
        raise TerritoryNotFound(
            _("Several territories match “%(ref)s”; give the OKTMO code or the path, as in “%(example)s”.")
            % {"ref": ref, "example": self.ref(matches[0])}
        )

    def ref(self, node_id: int) -> str:
        """The shortest reference that finds this territory again."""
        path = self.path(node_id)
        for length in range(1, len(path) + 1):
            if len(self._ending_with(path[-length:])) == 1:
                return PATH_SEPARATOR.join(path[-length:])
        return self.nodes[node_id].oktmo or PATH_SEPARATOR.join(path)


class Territories(Kind):
    slug = "territories"
    title = gettext_lazy("Territories")
    columns = (
        Column("name", "Наименование", required=True),
        Column("kind", "Вид", required=True),
        Column("parent", "Вышестоящая территория", required=True),
        Column("oktmo", "ОКТМО"),
        Column("centre_lat", "Широта центра"),
        Column("centre_lon", "Долгота центра"),
    )
    _fields = ("kind", "centre_lat", "centre_lon")

    def export_rows(self) -> Iterator[dict[str, str]]:
        index = TerritoryIndex.from_db()
        territories = {t.pk: t for t in Territory.objects.all()}
        children: dict[int | None, list[Territory]] = {}
        for territory in territories.values():
            children.setdefault(territory.parent_id, []).append(territory)
        # Depth first from the roots, so a parent always comes before its children.
        stack = sorted(children.get(None, []), key=lambda t: t.name, reverse=True)
        while stack:
            territory = stack.pop()
            yield {
                "name": territory.name,
                "kind": territory.kind,
                "parent": index.ref(territory.parent_id) if territory.parent_id else "",
                "oktmo": territory.oktmo,
                "centre_lat": text_of(territory.centre_lat),
                "centre_lon": text_of(territory.centre_lon),
            }
            stack.extend(sorted(children.get(territory.pk, []), key=lambda t: t.name, reverse=True))

    def prepare(self, rows: list[Row], errors: Errors) -> Plan:
        """Rows are taken in file order: a parent must be above its children or exist already."""
        plan = Plan()
        index = TerritoryIndex.from_db()
        saved = {t.pk: t for t in Territory.objects.all()}
        duplicates = DuplicateKeys()
        new_id = 0
        writes: list[TerritoryImport] = []
        for row in rows:
            parser = RowParser(row, errors)
            name = parser.value(Territory, "name")
            values = parser.fields(Territory, self._fields)
            oktmo = normalize_oktmo(row.get("oktmo"))
            if row.has("oktmo"):
                if oktmo and not is_oktmo(oktmo):
                    errors.add(row, "oktmo", _("An OKTMO code has 8 or 11 digits."))
                values["oktmo"] = oktmo
            parent_id = None
            if row.get("parent"):
                try:
                    parent_id = index.find(row.get("parent"))
                except TerritoryNotFound as problem:
                    errors.add(row, "parent", problem.message)
            if errors.in_row(row):
                continue
            node = index.by_oktmo(oktmo) if oktmo else None
            same_place = index.child(parent_id, name)
            if node is None:
                node = same_place
            elif same_place is not None and same_place.id != node.id:
                errors.add(row, "name", _("Another territory with this name is already under this parent."))
                continue
            if node is not None:
                if not duplicates.check(node.id, row, "name", errors):
                    continue
                if parent_id is not None and index.is_within(parent_id, node.id):
                    errors.add(row, "parent", _("A territory cannot be placed under itself or its own part."))
                    continue
            if node is None:
                new_id -= 1
                node_id = new_id
                duplicates.check(node_id, row, "name", errors)
            else:
                node_id = node.id
            values.update(name=name)
            kept_oktmo = node.oktmo if node is not None else ""
            index.put(Node(id=node_id, name=name, parent_id=parent_id, oktmo=values.get("oktmo", kept_oktmo)))
            instance = saved.get(node_id)
            changed = changed_fields(instance, {**values, "parent_id": parent_id})
            plan.count("create" if instance is None else "update" if changed else "unchanged")
            if changed:
                writes.append(TerritoryImport(node_id=node_id, parent_id=parent_id, values=values, instance=instance))
        if writes:
            plan.writes.append(lambda actor: _write(actor, writes))
        return plan


def _write(actor: User | None, rows: list[TerritoryImport]) -> None:
    """New territories' keys pass to the rows below them (a planned negative id → the saved key)."""
    registry_import_territories(actor=actor, rows=rows)
