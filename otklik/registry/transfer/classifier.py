"""The federal thematic classifier «ТОТКО»: (version, code SSSS.TTTT.MMMM.QQQQ) → name.

The official file holds a few thousand entries, so new and changed entries are written in bulk.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otklik.accounts.models import User
from otklik.registry.models import CLASSIFIER_CODE_RE, ClassifierCode
from otklik.registry.services import registry_import_classifier
from otklik.registry.transfer.base import Column, DuplicateKeys, Errors, Kind, Plan, Row, RowParser


class Classifier(Kind):
    slug = "classifier"
    title = gettext_lazy("Thematic classifier")
    columns = (
        Column("version", "Версия", required=True),
        Column("code", "Код", required=True),
        Column("name", "Наименование", required=True),
    )

    def export_rows(self) -> Iterator[dict[str, str]]:
        for version, code, name in ClassifierCode.objects.order_by("version", "code").values_list(
            "version", "code", "name"
        ):
            yield {"version": version, "code": code, "name": name}

    def prepare(self, rows: list[Row], errors: Errors) -> Plan:
        saved = {(entry.version, entry.code): entry for entry in ClassifierCode.objects.all()}
        duplicates = DuplicateKeys()
        new: list[ClassifierCode] = []
        changed: list[ClassifierCode] = []
        plan = Plan()
        for row in rows:
            parser = RowParser(row, errors)
            version = parser.value(ClassifierCode, "version")
            code = parser.value(ClassifierCode, "code")
            name = parser.value(ClassifierCode, "name")
            if code and not CLASSIFIER_CODE_RE.match(code):
                errors.add(row, "code", _("Code must look like SSSS.TTTT.MMMM.QQQQ."))
            if errors.in_row(row) or not duplicates.check((version, code), row, "code", errors):
                continue
            entry = saved.get((version, code))
            if entry is None:
                new.append(ClassifierCode(version=version, code=code, name=name))
                plan.count("create")
            elif entry.name != name:
                entry.name = name
                changed.append(entry)
                plan.count("update")
            else:
                plan.count("unchanged")

        def write(actor: User | None) -> None:
            registry_import_classifier(actor=actor, new=new, changed=changed)

        plan.writes.append(write)
        return plan
