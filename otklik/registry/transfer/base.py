"""Shared pieces of the registry file formats: column layouts, rows, row errors and value parsing.

Column headers are Russian words written here directly: they are part of a file format that other
systems and people's spreadsheets depend on, so they must not change with the interface language.
Error messages, on the other hand, are interface text and go through gettext.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from otklik.accounts.models import User

YES = "да"
NO = "нет"
_TRUE_WORDS = frozenset({"да", "д", "yes", "y", "true", "истина", "1", "+"})
_FALSE_WORDS = frozenset({"нет", "н", "no", "n", "false", "ложь", "0", "-"})


@dataclass(frozen=True)
class Column:
    """One column of a kind's layout: ``key`` is used in code, ``header`` is what the file shows."""

    key: str
    header: str
    # The column must be in the file (its cells may still be blank where the kind allows it).
    required: bool = False
    # Read on import, never written on export (a password).
    import_only: bool = False
    # Written on export for the reader's convenience, ignored on import (a category's name next to its code).
    export_only: bool = False


@dataclass(frozen=True)
class RowError:
    """A problem with one cell, one row (``column`` empty) or the whole file (``row`` is None)."""

    row: int | None
    column: str
    message: str


@dataclass
class Row:
    """A data row: ``number`` as a spreadsheet shows it (the header is row 1), ``values`` keyed by column.

    Only the columns present in the file are in ``values``: a missing column leaves a field as it is,
    a present but blank cell clears it.
    """

    number: int
    values: dict[str, str]

    def has(self, key: str) -> bool:
        return key in self.values

    def get(self, key: str) -> str:
        return self.values.get(key, "")


class Errors:
    """Collects row errors for a layout, naming columns by their headers."""

    def __init__(self, columns: tuple[Column, ...]) -> None:
        self._headers = {column.key: column.header for column in columns}
        self.items: list[RowError] = []
        self._rows: set[int] = set()

    def add(self, row: Row | None, key: str, message: str | Promise) -> None:
        number = row.number if row is not None else None
        if number is not None:
            self._rows.add(number)
        self.items.append(RowError(row=number, column=self._headers.get(key, key), message=str(message)))

    def add_validation(self, row: Row, key: str, error: ValidationError) -> None:
        for message in error.messages:
            self.add(row, key, message)

    def in_row(self, row: Row) -> bool:
        return row.number in self._rows

    def __bool__(self) -> bool:
        return bool(self.items)


@dataclass
class Plan:
    """What an import would do: counts for the report and the writes to run if it is accepted."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    writes: list[Callable[[User | None], None]] = field(default_factory=list)

    def count(self, action: str) -> None:
        if action == "create":
            self.created += 1
        elif action == "update":
            self.updated += 1
        else:
            self.unchanged += 1

    def apply(self, actor: User | None) -> None:
        for write in self.writes:
            write(actor)


class Kind(ABC):
    """A kind of reference data with its file layout."""

    slug: str
    title: str | Promise
    columns: tuple[Column, ...]

    @abstractmethod
    def export_rows(self) -> Iterator[dict[str, str]]:
        """Rows of the current state, in an order that imports back (parents before children)."""

    @abstractmethod
    def prepare(self, rows: list[Row], errors: Errors) -> Plan:
        """Validate every row (reading only) and plan the writes; report problems into ``errors``."""

    def check_columns(self, present: set[str], errors: Errors) -> None:
        """Rules about which columns go together; the default has none."""
        return None


class DuplicateKeys:
    """Remembers the row where each natural key was first seen, to report repeats."""

    def __init__(self) -> None:
        self._first: dict[Any, int] = {}

    def check(self, key: Any, row: Row, column: str, errors: Errors) -> bool:
        first = self._first.setdefault(key, row.number)
        if first != row.number:
            errors.add(row, column, _("The same entry is already in row %(row)d.") % {"row": first})
            return False
        return True


# ----------------------------------------------------------------------------------------- values


def yes_no(value: bool) -> str:
    return YES if value else NO


def text_of(value: Any) -> str:
    """How a stored value is written into a file cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def parse_bool(text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise ValidationError(_("Enter “%(yes)s” or “%(no)s”.") % {"yes": YES, "no": NO})


def choice_code(choices: list[tuple[Any, Any]], text: str) -> str:
    """The stored code of a choice given as its code or its label (in Russian or English)."""
    wanted = text.strip().lower()
    labels: dict[str, str] = {}
    for code, label in choices:
        labels[str(code).lower()] = str(code)
        labels[str(label).lower()] = str(code)
        with translation.override("en"):
            labels[str(label).lower()] = str(code)
    if wanted in labels:
        return labels[wanted]
    codes = ", ".join(str(code) for code, _label in choices)
    raise ValidationError(
        _("Unknown value “%(value)s”; use one of: %(choices)s.") % {"value": text, "choices": codes}
    )


def clean_value(model: type[models.Model], name: str, text: str) -> Any:
    """Turn a cell into a value of ``model.name`` with the model field's own validation.

    Blank means the field's empty value: None where the field is nullable, "" for text, otherwise
    the field's default. Raises ValidationError with translated messages.
    """
    model_field = model._meta.get_field(name)
    assert isinstance(model_field, models.Field)
    if isinstance(model_field, models.BooleanField):
        return model_field.get_default() if text == "" else parse_bool(text)
    if text == "":
        if model_field.null:
            return None
        if isinstance(model_field, models.CharField | models.TextField):
            return model_field.clean("", None)  # tells a required text apart from an optional one
        if model_field.has_default():
            return model_field.get_default()
        raise ValidationError(model_field.error_messages["blank"])
    if model_field.choices:
        text = choice_code(list(model_field.flatchoices), text)
    if isinstance(model_field, models.FloatField):
        text = text.replace(",", ".")  # a Russian spreadsheet writes a decimal comma
    return model_field.clean(text, None)


class RowParser:
    """Parses the cells of one row into typed values, collecting every error instead of stopping."""

    def __init__(self, row: Row, errors: Errors) -> None:
        self.row = row
        self.errors = errors

    def fields(self, model: type[models.Model], keys: tuple[str, ...]) -> dict[str, Any]:
        """Values of the present columns among ``keys``, each named like its model field."""
        values: dict[str, Any] = {}
        for key in keys:
            if self.row.has(key):
                try:
                    values[key] = clean_value(model, key, self.row.get(key))
                except ValidationError as error:
                    self.errors.add_validation(self.row, key, error)
        return values

    def value(self, model: type[models.Model], name: str, key: str | None = None) -> Any:
        try:
            return clean_value(model, name, self.row.get(key or name))
        except ValidationError as error:
            self.errors.add_validation(self.row, key or name, error)
            return None


def changed_fields(instance: models.Model | None, values: dict[str, Any]) -> bool:
    """Whether setting ``values`` on ``instance`` would change it (a new instance always changes)."""
    if instance is None:
        return True
    return any(getattr(instance, name) != value for name, value in values.items())


def find_cycle_rows(parents: dict[str, str | None], keys: list[str]) -> set[str]:
    """Keys among ``keys`` whose chain of parents comes back to themselves."""
    looped: set[str] = set()
    for start in keys:
        seen: set[str] = set()
        node = parents.get(start)
        while node is not None and node not in seen:
            if node == start:
                looped.add(start)
                break
            seen.add(node)
            node = parents.get(node)
    return looped


def depth_of(parents: dict[str, str | None], key: str) -> int:
    depth = 0
    seen = {key}
    node = parents.get(key)
    while node is not None and node not in seen:
        seen.add(node)
        depth += 1
        node = parents.get(node)
    return depth
