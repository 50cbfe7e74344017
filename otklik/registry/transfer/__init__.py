"""Import and export of the registry's reference data as XLSX or CSV files.

An import validates every row first and writes only if no row has a problem, all in one
transaction: a registry half-loaded from a half-valid file would route messages to wrong places.
Rows are matched by natural keys (organisation name, territory OKTMO or place, category code, login,
classifier version and code, category and territory for routing), so importing the same file twice
changes nothing and an exported file imports back to the same state.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from django.db import DatabaseError, IntegrityError, transaction
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.registry.transfer.base import Column, Errors, Kind, Row, RowError
from otklik.registry.transfer.categories import Categories
from otklik.registry.transfer.classifier import Classifier
from otklik.registry.transfer.organizations import Organizations
from otklik.registry.transfer.people import People
from otklik.registry.transfer.routing import Routing
from otklik.registry.transfer.tables import (
    CONTENT_TYPES,
    FORMATS,
    TableError,
    detect_format,
    normalize_header,
    read_table,
    write_table,
)
from otklik.registry.transfer.territories import Territories

# In the order a new region loads them: each kind refers only to kinds above it.
KINDS: dict[str, type[Kind]] = {
    kind.slug: kind for kind in (Classifier, Territories, Organizations, Categories, Routing, People)
}

__all__ = ["CONTENT_TYPES", "FORMATS", "KINDS", "ImportResult", "RowError", "kind_title", "register_kind",
           "registry_export", "registry_import"]


def register_kind(kind: type[Kind]) -> type[Kind]:
    """Add a kind of reference data owned by a domain above the registry (social sources, the
    gazetteer): the domain calls this in its ``AppConfig.ready``, and the same import command, admin
    page, dry run and row errors serve it."""
    KINDS[kind.slug] = kind
    return kind


@dataclass
class ImportResult:
    kind: str
    dry_run: bool
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run


def kind_title(slug: str) -> str:
    return str(KINDS[slug].title)


def _make(slug: str, actor: User | None = None) -> Kind:
    kind_class = KINDS[slug]
    return kind_class(actor) if kind_class is People else kind_class()  # type: ignore[call-arg]


def registry_export(*, kind: str, fmt: str) -> bytes:
    """The current state of ``kind`` as a file that ``registry_import`` reads back."""
    handler = _make(kind)
    columns = [column for column in handler.columns if not column.import_only]
    rows = ([row.get(column.key, "") for column in columns] for row in handler.export_rows())
    return write_table([column.header for column in columns], rows, fmt, sheet_name=kind)


def registry_import(
    *, kind: str, data: bytes, filename: str = "", fmt: str | None = None, actor: User | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Validate a whole file of ``kind`` and, unless ``dry_run`` or a row is invalid, write it."""
    handler = _make(kind, actor)
    result = ImportResult(kind=kind, dry_run=dry_run)
    errors = Errors(handler.columns)
    try:
        table = read_table(data, fmt or detect_format(filename, data), [c.header for c in handler.columns])
    except TableError as problem:
        result.errors.append(RowError(row=None, column="", message=problem.message))
        return result
    rows = _bind(table.headers, table.rows, handler, errors)
    if any(error.row is None for error in errors.items):
        result.errors = errors.items  # without the right columns the rows cannot be read
        return result
    # A dry run only reads; a real one holds one transaction from the first check to the last write,
    # so nobody changes the rows it checked before it writes them.
    try:
        with contextlib.nullcontext() if dry_run else transaction.atomic():
            plan = handler.prepare(rows, errors)
            if not errors and not dry_run:
                plan.apply(actor)
    except (IntegrityError, DatabaseError) as problem:
        result.errors.append(RowError(row=None, column="", message=_(
            "The file could not be saved, nothing was written: %(error)s") % {"error": problem}))
        return result
    result.errors = sorted(errors.items, key=lambda e: (e.row or 0))
    if result.ok:
        result.created, result.updated, result.unchanged = plan.created, plan.updated, plan.unchanged
    return result


def _bind(headers: list[str], cells: list[tuple[int, list[str]]], handler: Kind, errors: Errors) -> list[Row]:
    """Map the file's headers to the layout's columns and check the columns, before any row."""
    by_header: dict[str, Column] = {normalize_header(c.header): c for c in handler.columns}
    positions: dict[str, int] = {}
    for position, header in enumerate(headers):
        column = by_header.get(normalize_header(header))
        if column is None:
            if header:
                errors.add(None, header, _("Unknown column. The columns of this kind are: %(columns)s.") % {
                    "columns": ", ".join(c.header for c in handler.columns if not c.export_only)})
        elif column.key in positions:
            errors.add(None, column.key, _("The column appears twice."))
        elif not column.export_only:
            positions[column.key] = position
    for column in handler.columns:
        if column.required and column.key not in positions:
            errors.add(None, column.key, _("The column is missing."))
    handler.check_columns(set(positions), errors)
    rows = []
    for number, values in cells:
        if any(value for i, value in enumerate(values) if i >= len(headers) or not headers[i]):
            errors.add(Row(number, {}), "", _("A value stands in a column without a header."))
        rows.append(Row(number=number, values={
            key: values[position] if position < len(values) else "" for key, position in positions.items()
        }))
    return rows
