"""The routing table: (category, territory) → organisation; a blank territory means "anywhere"."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otklik.accounts.models import User
from otklik.registry.models import Category, Organization, RoutingRule
from otklik.registry.services import RoutingImport, registry_import_routing
from otklik.registry.transfer.base import Column, DuplicateKeys, Errors, Kind, Plan, Row
from otklik.registry.transfer.territories import TerritoryIndex, TerritoryNotFound


class Routing(Kind):
    slug = "routing"
    title = gettext_lazy("Routing table")
    columns = (
        Column("category", "Код категории", required=True),
        Column("category_name", "Наименование категории", export_only=True),
        Column("territory", "Территория", required=True),
        Column("organization", "Организация", required=True),
    )

    def export_rows(self) -> Iterator[dict[str, str]]:
        index = TerritoryIndex.from_db()
        rules = RoutingRule.objects.select_related("category", "organization")
        rows = [
            {
                "category": rule.category.code,
                "category_name": rule.category.name,
                "territory": index.ref(rule.territory_id) if rule.territory_id else "",
                "organization": rule.organization.name,
            }
            for rule in rules
        ]
        yield from sorted(rows, key=lambda row: (row["category"], row["territory"]))

    def prepare(self, rows: list[Row], errors: Errors) -> Plan:
        categories = dict(Category.objects.values_list("code", "pk"))
        organizations = dict(Organization.objects.values_list("name", "pk"))
        index = TerritoryIndex.from_db()
        saved = {(rule.category_id, rule.territory_id): rule for rule in RoutingRule.objects.all()}
        duplicates = DuplicateKeys()
        plan = Plan()
        writes: list[RoutingImport] = []
        for row in rows:
            category_id = categories.get(row.get("category"))
            if category_id is None:
                message = _("No category with code “%(code)s”.") % {"code": row.get("category")}
                errors.add(row, "category", message if row.get("category") else _("This field cannot be blank."))
            territory_id = None
            if row.get("territory"):
                try:
                    territory_id = index.find(row.get("territory"))
                except TerritoryNotFound as problem:
                    errors.add(row, "territory", problem.message)
            organization_id = organizations.get(row.get("organization"))
            if organization_id is None:
                message = _("No organisation “%(name)s”.") % {"name": row.get("organization")}
                errors.add(row, "organization", message if row.get("organization") else
                           _("This field cannot be blank."))
            if errors.in_row(row) or category_id is None or organization_id is None:
                continue
            if not duplicates.check((category_id, territory_id), row, "territory", errors):
                continue
            rule = saved.get((category_id, territory_id))
            if rule is not None and rule.organization_id == organization_id:
                plan.count("unchanged")
                continue
            plan.count("create" if rule is None else "update")
            writes.append(RoutingImport(rule=rule, category_id=category_id, territory_id=territory_id,
                                        organization_id=organization_id))
        if writes:
            plan.writes.append(lambda actor: _write(actor, writes))
        return plan


def _write(actor: User | None, rows: list[RoutingImport]) -> None:
    registry_import_routing(actor=actor, rows=rows)
