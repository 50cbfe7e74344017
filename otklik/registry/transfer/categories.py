"""Categories of messages: a tree by the parent's code, with deadlines and the classifier link."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otklik.accounts.models import User
from otklik.registry.models import Category, ClassifierCode, term_limit_errors
from otklik.registry.services import CategoryImport, registry_import_categories
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


class Categories(Kind):
    slug = "categories"
    title = gettext_lazy("Categories")
    columns = (
        Column("code", "Код", required=True),
        Column("name", "Наименование", required=True),
        Column("parent", "Код вышестоящей категории"),
        Column("procedure", "Порядок рассмотрения"),
        Column("answer_days", "Срок ответа, календарных дней"),
        Column("region_answer_days", "Срок ответа, установленный регионом, дней"),
        Column("keywords", "Ключевые слова"),
        Column("classifier_version", "Версия классификатора"),
        Column("classifier_code", "Код классификатора"),
        Column("is_active", "Действует"),
        Column("is_public", "Ответы публикуются"),
    )
    _fields = ("name", "procedure", "answer_days", "region_answer_days", "keywords", "is_active", "is_public")

    def export_rows(self) -> Iterator[dict[str, str]]:
        categories = list(Category.objects.select_related("parent", "classifier_code"))
        parents = {c.code: c.parent.code if c.parent else None for c in categories}
        categories.sort(key=lambda c: (depth_of(parents, c.code), c.code))
        for category in categories:
            row = {name: text_of(getattr(category, name)) for name in self._fields}
            classifier = category.classifier_code
            row.update(
                code=category.code,
                parent=parents[category.code] or "",
                classifier_version=classifier.version if classifier else "",
                classifier_code=classifier.code if classifier else "",
            )
            yield row

    def check_columns(self, present: set[str], errors: Errors) -> None:
        if "classifier_version" in present and "classifier_code" not in present:
            errors.add(None, "classifier_code", _("The column is missing."))

    def prepare(self, rows: list[Row], errors: Errors) -> Plan:
        saved = {c.code: c for c in Category.objects.select_related("parent")}
        parents: dict[str, str | None] = {code: c.parent.code if c.parent else None for code, c in saved.items()}
        known = set(saved) | {row.get("code") for row in rows}
        classifier = _ClassifierLookup()
        duplicates = DuplicateKeys()
        planned: list[tuple[Row, str, dict[str, Any]]] = []
        for row in rows:
            parser = RowParser(row, errors)
            code = parser.value(Category, "code")
            values = parser.fields(Category, self._fields)
            if row.has("parent"):
                parent = row.get("parent") or None
                if parent is not None and parent not in known:
                    errors.add(row, "parent", _("No category with code “%(code)s”.") % {"code": parent})
                if code:
                    parents[code] = parent
            if row.has("classifier_code"):
                values["classifier_code_id"] = classifier.find(row, errors)
            _check_terms(row, values, saved.get(code or ""), errors)
            if code and duplicates.check(code, row, "code", errors):
                planned.append((row, code, values))
        for code in find_cycle_rows(parents, [code for _row, code, _values in planned]):
            row = next(row for row, row_code, _values in planned if row_code == code)
            errors.add(row, "parent", _("A category cannot be placed under itself or its own subcategory."))

        plan = Plan()
        if errors:
            return plan
        planned.sort(key=lambda item: depth_of(parents, item[1]))
        writes: list[CategoryImport] = []
        for row, code, values in planned:
            instance = saved.get(code)
            old_parent = instance.parent.code if instance is not None and instance.parent else None
            changed = changed_fields(instance, values) or (row.has("parent") and old_parent != parents[code])
            plan.count("create" if instance is None else "update" if changed else "unchanged")
            if changed:
                writes.append(CategoryImport(code=code, values=values, parent=parents.get(code), instance=instance))
        if writes:
            plan.writes.append(lambda actor: _write(actor, writes))
        return plan


def _write(actor: User | None, rows: list[CategoryImport]) -> None:
    registry_import_categories(actor=actor, rows=rows)


TERM_KEYS = ("procedure", "answer_days", "region_answer_days")


def _check_terms(row: Row, values: dict[str, Any], instance: Category | None, errors: Errors) -> None:
    """A region may shorten a category's term, never lengthen it past the law (seed 004 §2.2, seed 002
    §7): the row's terms, with what the category already holds for columns the file leaves out."""
    if any(row.has(key) and key not in values for key in TERM_KEYS):
        return  # a cell that did not parse is reported already
    current = instance or Category()
    merged = {key: values[key] if key in values else getattr(current, key) for key in TERM_KEYS}
    for key, message in term_limit_errors(**merged).items():
        errors.add(row, key, message)


class _ClassifierLookup:
    def __init__(self) -> None:
        self.entries: dict[str, dict[str, int]] = {}
        for pk, version, code in ClassifierCode.objects.values_list("pk", "version", "code"):
            self.entries.setdefault(code, {})[version] = pk

    def find(self, row: Row, errors: Errors) -> int | None:
        code, version = row.get("classifier_code"), row.get("classifier_version")
        if not code:
            if version:
                errors.add(row, "classifier_code", _("Give the classifier code for this version."))
            return None
        versions = self.entries.get(code, {})
        if version:
            if version not in versions:
                errors.add(row, "classifier_code", _("No classifier code “%(code)s” in version “%(version)s”.")
                           % {"code": code, "version": version})
                return None
            return versions[version]
        if len(versions) == 1:
            return next(iter(versions.values()))
        if not versions:
            errors.add(row, "classifier_code", _("No classifier code “%(code)s”.") % {"code": code})
        else:
            errors.add(row, "classifier_version", _("Several classifier versions have code “%(code)s”; give the "
                                                    "version.") % {"code": code})
        return None

