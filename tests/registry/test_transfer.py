from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from otklik.accounts.models import Membership, Role, User
from otklik.registry.models import (
    Category,
    ClassifierCode,
    Official,
    Organization,
    RegistryChange,
    RoutingRule,
    Territory,
)
from otklik.registry.transfer import KINDS, registry_export, registry_import
from tests import factories as f

REGISTRY_OWN_KINDS = {"classifier", "territories", "organizations", "categories", "routing", "people"}

pytestmark = pytest.mark.django_db

ORG_HEADERS = ["Наименование", "Вид", "Эл. почта", "Ответственное лицо: ФИО", "Ответственное лицо: должность"]


def csv_bytes(headers: list[str], rows: list[list[Any]], delimiter: str = ";", bom: bool = False) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(headers)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(headers: list[str], rows: list[list[Any]]) -> bytes:
    """A workbook as a spreadsheet program writes it: numbers stay numbers."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def import_csv(kind: str, headers: list[str], rows: list[list[Any]], **kwargs: Any):
    return registry_import(kind=kind, data=csv_bytes(headers, rows), filename=f"{kind}.csv", **kwargs)


def territory_path(territory: Territory | None) -> tuple[str, ...] | None:
    return tuple(t.name for t in reversed(territory.ancestors_and_self())) if territory else None


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """The registry by natural keys, so two databases can be compared regardless of primary keys."""
    return {
        "classifier": sorted(ClassifierCode.objects.values_list("version", "code", "name")),
        "territories": sorted(
            (territory_path(t), t.kind, t.oktmo, t.centre_lat, t.centre_lon) for t in Territory.objects.all()
        ),
        "organizations": sorted(
            (o.name, o.short_name, o.kind, o.parent.name if o.parent else None, territory_path(o.territory),
             o.address, o.phone, o.email, o.website, o.sstu_department_guid, o.portal_id, o.is_active)
            for o in Organization.objects.all()
        ),
        "officials": sorted(
            Official.objects.values_list("organization__name", "kind", "full_name", "position", "phone", "email")
        ),
        "categories": sorted(
            (c.code, c.name, c.parent.code if c.parent else None, c.procedure, c.answer_days, c.region_answer_days,
             c.keywords, c.classifier_code.version if c.classifier_code else None,
             c.classifier_code.code if c.classifier_code else None, c.is_active, c.is_public)
            for c in Category.objects.all()
        ),
        "routing": sorted(
            (r.category.code, territory_path(r.territory) or (), r.organization.name)
            for r in RoutingRule.objects.all()
        ),
        "people": sorted(
            User.objects.filter(memberships__isnull=False).distinct().values_list(
                "username", "last_name", "first_name", "patronymic", "email", "phone", "position", "is_active"
            )
        ),
        "memberships": sorted(Membership.objects.values_list("user__username", "organization__name", "role")),
    }


def wipe_registry() -> None:
    Membership.objects.all().delete()
    User.objects.all().delete()
    RoutingRule.objects.all().delete()
    Category.objects.update(parent=None)
    Category.objects.all().delete()
    RegistryChange.objects.all().delete()
    Official.objects.all().delete()
    Organization.objects.update(parent=None)
    Organization.objects.all().delete()
    Territory.objects.update(parent=None)
    Territory.objects.all().delete()
    ClassifierCode.objects.all().delete()


@pytest.fixture
def rich_registry(db) -> None:
    """A registry with the awkward cases: repeated names, leading zeros, odd characters, two versions."""
    old = ClassifierCode.objects.create(version="2019", code="0005.0005.0056.1149", name="Оплата ЖКУ")
    ClassifierCode.objects.create(version="2023", code="0005.0005.0056.1149", name="Оплата жилищно-коммунальных услуг")
    ClassifierCode.objects.create(version="2023", code="0004.0015.0155.0946", name="Строительство и ремонт дорог")
    region = f.territory("Тестовая область", kind="region")
    region.oktmo = "01000000"
    region.save()
    north = f.territory("Северный район", parent=region)
    south = f.territory("Южный район", parent=region)
    village_north = f.territory("Ивановское", parent=north, kind="rural_settlement")
    f.territory("Ивановское", parent=south, kind="rural_settlement")
    village_north.centre_lat, village_north.centre_lon = 55.755826, 37.6173
    village_north.save()
    ministry = f.organization("Министерство ЖКХ; «Тест», отдел \"А\"", kind="regional_body", short_name="Минжкх",
                              email="mzhkh@example.org", website="https://example.org", territory=region)
    district = f.organization("Администрация Северного района", parent=ministry, territory=north,
                              phone="+7 900 000-00-00", is_active=False)
    Official.objects.create(organization=ministry, kind="responsible", full_name="Иванов Иван Иванович",
                            position="Заместитель министра", phone="1", email="ivanov@example.org")
    Official.objects.create(organization=ministry, kind="stand_in", full_name="Петрова Анна", position="Начальник")
    Official.objects.create(organization=district, kind="responsible", full_name="Сидоров", position="Глава")
    housing = Category.objects.create(code="housing", name="ЖКХ", answer_days=30, keywords="вода, тепло")
    Category.objects.create(code="housing.heating", name="Нет отопления", parent=housing, answer_days=10,
                            procedure="accelerated", region_answer_days=5, classifier_code=old, is_public=False)
    roads = Category.objects.create(code="roads", name="Дороги", is_active=False)
    f.route(housing, ministry)
    f.route(roads, district, village_north)
    f.route(roads, ministry, north)
    f.user("ivanov", (Role.HEAD, ministry), (Role.EXECUTOR, district), first_name="Иван", last_name="Иванов",
           patronymic="Иванович", position="Министр", phone="+7 1")
    f.user("moderator", (Role.MODERATOR, ministry), is_active=False)


# ------------------------------------------------------------------------------------ all or nothing


def test_it_rejects_the_whole_file_when_one_row_is_bad():
    result = import_csv("organizations", ORG_HEADERS, [
        ["Администрация А", "local_government", "a@example.org", "Иванов", "Глава"],
        ["Администрация Б", "local_government", "not-an-email", "Петров", "Глава"],
        ["Администрация В", "local_government", "", "", ""],
    ])

    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(3, "Эл. почта")]
    assert result.errors[0].message
    assert Organization.objects.count() == 0
    assert Official.objects.count() == 0
    assert RegistryChange.objects.count() == 0


def test_it_writes_none_of_the_good_rows_of_a_file_with_a_bad_one():
    ClassifierCode.objects.create(version="2023", code="0001.0001.0001.0001", name="Старое")

    result = import_csv("classifier", ["Версия", "Код", "Наименование"], [
        ["2023", "0001.0001.0001.0001", "Конституционные права граждан"],
        ["2023", "0005.0005.0056.1149", "Оплата жилищно-коммунальных услуг"],
        ["2023", "0005.0005.0056", "Без вопроса"],
    ])

    assert [(e.row, e.column) for e in result.errors] == [(4, "Код")]
    assert list(ClassifierCode.objects.values_list("code", "name")) == [("0001.0001.0001.0001", "Старое")]


def test_it_reports_every_bad_row_with_its_column():
    headers = ["Код", "Наименование", "Срок ответа, календарных дней", "Порядок рассмотрения"]
    result = import_csv("categories", headers, [
        ["a", "А", "много", "ordinary"],
        ["b", "", "30", "ordinary"],
        ["c", "В", "30", "быстро"],
        ["d", "Г", "10", "accelerated"],
    ])

    assert [(e.row, e.column) for e in result.errors] == [
        (2, "Срок ответа, календарных дней"), (3, "Наименование"), (4, "Порядок рассмотрения"),
    ]
    assert "быстро" in result.errors[2].message
    assert Category.objects.count() == 0


def test_it_imports_a_good_file_through_the_change_log():
    actor = f.user("admin")
    result = import_csv("organizations", ORG_HEADERS, [
        ["Администрация А", "local_government", "a@example.org", "Иванов Иван", "Глава"],
        ["Министерство Б", "Regional executive body", "", "", ""],  # a label works as well as a code
    ], actor=actor)

    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    org = Organization.objects.get(name="Администрация А")
    assert org.email == "a@example.org"
    assert Organization.objects.get(name="Министерство Б").kind == "regional_body"
    official = Official.objects.get(organization=org)
    assert (official.kind, official.full_name, official.position) == ("responsible", "Иванов Иван", "Глава")
    logged = set(RegistryChange.objects.filter(actor=actor).values_list("entity", "action"))
    assert logged == {("organization", "create"), ("official", "create")}


def test_it_updates_by_natural_key_and_logs_only_real_changes():
    org = f.organization("Администрация А", phone="1")
    rows = [["Администрация А", "local_government", "2"]]
    headers = ["Наименование", "Вид", "Телефон"]

    first = import_csv("organizations", headers, rows)
    second = import_csv("organizations", headers, rows)

    assert (first.created, first.updated) == (0, 1)
    assert (second.updated, second.unchanged) == (0, 1)
    org.refresh_from_db()
    assert org.phone == "2"
    assert list(RegistryChange.objects.values_list("action", "changes")) == [("update", {"phone": ["1", "2"]})]


def test_it_leaves_columns_the_file_does_not_have_and_clears_blank_cells():
    org = f.organization("Администрация А", phone="1", email="a@example.org")
    Official.objects.create(organization=org, kind="stand_in", full_name="Петров", position="Зам")

    result = import_csv("organizations", ["Наименование", "Вид", "Эл. почта", "Замещающее лицо: ФИО",
                                          "Замещающее лицо: должность"],
                        [["Администрация А", "local_government", "", "", ""]])

    assert result.ok, result.errors
    org.refresh_from_db()
    assert (org.phone, org.email) == ("1", "")
    assert not Official.objects.filter(organization=org).exists()
    assert RegistryChange.objects.filter(entity="official", action="delete").count() == 1


def test_it_writes_nothing_on_dry_run():
    f.organization("Администрация А", phone="1")

    result = import_csv("organizations", ["Наименование", "Вид", "Телефон"], [
        ["Администрация А", "local_government", "2"],
        ["Администрация Б", "local_government", "3"],
    ], dry_run=True)

    assert result.ok and not result.written
    assert (result.created, result.updated) == (1, 1)
    assert list(Organization.objects.values_list("name", "phone")) == [("Администрация А", "1")]
    assert RegistryChange.objects.count() == 0


def test_it_reports_row_errors_on_dry_run_too():
    result = import_csv("classifier", ["Версия", "Код", "Наименование"], [["2023", "5.5.56.1149", "Тест"]],
                        dry_run=True)

    assert [(e.row, e.column) for e in result.errors] == [(2, "Код")]


# ------------------------------------------------------------------------------------ round trip


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_it_exports_a_file_that_imports_back_to_the_same_registry(rich_registry, fmt):
    before = snapshot()
    files = {kind: registry_export(kind=kind, fmt=fmt) for kind in KINDS}

    wipe_registry()
    assert snapshot()["organizations"] == []
    for kind in KINDS:  # KINDS lists each kind after the kinds it refers to
        result = registry_import(kind=kind, data=files[kind], filename=f"{kind}.{fmt}")
        assert result.ok, (kind, result.errors)

    assert snapshot() == before
    assert not any(User.objects.get(username=name).has_usable_password() for name in ("ivanov", "moderator"))


def test_it_changes_nothing_when_an_export_is_imported_again(rich_registry):
    for kind in KINDS:
        result = registry_import(kind=kind, data=registry_export(kind=kind, fmt="xlsx"), filename="x.xlsx")
        assert result.ok, (kind, result.errors)
        assert (result.created, result.updated) == (0, 0), kind
        # Kinds that domains above the registry register (social sources) have no rows in this registry.
        assert result.unchanged > 0 or kind not in REGISTRY_OWN_KINDS, kind


def test_it_writes_territory_references_that_find_the_same_place(rich_registry):
    exported = registry_export(kind="routing", fmt="csv").decode("utf-8-sig")

    assert "Северный район / Ивановское" in exported
    assert ";Северный район;" in exported


# ------------------------------------------------------------------------------------ formats


def test_it_reads_csv_with_a_bom_and_commas_between_cells():
    data = csv_bytes(["Код", "Наименование", "Срок ответа, календарных дней"], [["roads", "Дороги, мосты", "20"]],
                     delimiter=",", bom=True)

    result = registry_import(kind="categories", data=data, filename="c.csv")

    assert result.ok, result.errors
    assert Category.objects.values_list("code", "name", "answer_days").get() == ("roads", "Дороги, мосты", 20)


def test_it_takes_a_blank_number_for_its_default_and_a_decimal_comma():
    result = import_csv("categories", ["Код", "Наименование", "Срок ответа, календарных дней",
                                       "Срок ответа, установленный регионом, дней"], [["roads", "Дороги", "", ""]])
    territories = import_csv("territories", ["Наименование", "Вид", "Вышестоящая территория", "Долгота центра"],
                             [["Область", "region", "", "37,5"]])

    assert result.ok and territories.ok, (result.errors, territories.errors)
    assert Category.objects.values_list("answer_days", "region_answer_days").get() == (30, None)
    assert Territory.objects.get().centre_lon == 37.5


def test_it_reads_xlsx_where_the_spreadsheet_turned_codes_into_numbers():
    data = xlsx_bytes(["Наименование", "Вид", "Вышестоящая территория", "ОКТМО", "Широта центра"],
                      [["Тестовая область", "region", None, 1000000, 55.5]])

    result = registry_import(kind="territories", data=data, filename="t.xlsx")

    assert result.ok, result.errors
    assert Territory.objects.values_list("oktmo", "centre_lat").get() == ("01000000", 55.5)


def test_it_tells_a_file_that_is_not_utf8_or_not_a_workbook():
    latin = registry_import(kind="classifier", data="Версия;Код".encode("cp1251"), filename="c.csv")
    broken = registry_import(kind="classifier", data=b"PK\x03\x04 not really", filename="c.xlsx")

    assert latin.errors[0].row is None and "UTF-8" in latin.errors[0].message
    assert broken.errors[0].row is None and "XLSX" in broken.errors[0].message


def test_it_reports_missing_unknown_and_repeated_columns():
    result = import_csv("classifier", ["Версия", "Наимнование", "Версия"], [["2023", "x", "2023"]])

    assert sorted((e.row, e.column) for e in result.errors) == sorted(
        [(None, "Наимнование"), (None, "Версия"), (None, "Код"), (None, "Наименование")]
    )


# ------------------------------------------------------------------------------------ kinds


def test_it_reports_a_loop_in_the_category_tree():
    Category.objects.create(code="a", name="А")

    result = import_csv("categories", ["Код", "Наименование", "Код вышестоящей категории"], [
        ["a", "А", "b"],
        ["b", "Б", "a"],
        ["c", "В", "nowhere"],
    ])

    assert sorted((e.row, e.column) for e in result.errors) == [
        (2, "Код вышестоящей категории"), (3, "Код вышестоящей категории"), (4, "Код вышестоящей категории"),
    ]
    assert Category.objects.get(code="a").parent is None


def test_it_builds_the_category_tree_whatever_the_row_order():
    ClassifierCode.objects.create(version="2023", code="0005.0005.0056.1149", name="Оплата")

    result = import_csv("categories", ["Код", "Наименование", "Код вышестоящей категории", "Код классификатора"], [
        ["child", "Подкатегория", "root", "0005.0005.0056.1149"],
        ["root", "Категория", "", ""],
    ])

    assert result.ok, result.errors
    child = Category.objects.get(code="child")
    assert child.parent is not None and child.parent.code == "root"
    assert child.classifier_code is not None and child.classifier_code.version == "2023"


def test_it_asks_for_the_classifier_version_when_a_code_has_several():
    ClassifierCode.objects.create(version="2019", code="0005.0005.0056.1149", name="Оплата")
    ClassifierCode.objects.create(version="2023", code="0005.0005.0056.1149", name="Оплата")

    result = import_csv("categories", ["Код", "Наименование", "Код классификатора"],
                        [["x", "Х", "0005.0005.0056.1149"]])

    assert [(e.row, e.column) for e in result.errors] == [(2, "Версия классификатора")]


def test_it_needs_a_path_for_a_territory_whose_name_repeats():
    region = f.territory("Область", kind="region")
    f.territory("Ивановское", parent=f.territory("Северный район", parent=region))
    south_village = f.territory("Ивановское", parent=f.territory("Южный район", parent=region))
    f.organization("Администрация")
    Category.objects.create(code="roads", name="Дороги")
    headers = ["Код категории", "Территория", "Организация"]

    ambiguous = import_csv("routing", headers, [["roads", "Ивановское", "Администрация"]])
    by_path = import_csv("routing", headers, [["roads", "Южный район / Ивановское", "Администрация"]])

    assert [(e.row, e.column) for e in ambiguous.errors] == [(2, "Территория")]
    assert "Ивановское" in ambiguous.errors[0].message
    assert by_path.ok, by_path.errors
    assert RoutingRule.objects.get().territory == south_village


def test_it_takes_a_parent_territory_only_from_rows_above():
    result = import_csv("territories", ["Наименование", "Вид", "Вышестоящая территория"], [
        ["Район", "municipal_district", "Область"],
        ["Область", "region", ""],
    ])

    assert [(e.row, e.column) for e in result.errors] == [(2, "Вышестоящая территория")]
    assert Territory.objects.count() == 0


def test_it_rejects_the_same_routing_key_twice():
    f.organization("Администрация")
    Category.objects.create(code="roads", name="Дороги")

    result = import_csv("routing", ["Код категории", "Территория", "Организация"], [
        ["roads", "", "Администрация"],
        ["roads", "", "Администрация"],
    ])

    assert [(e.row, e.column) for e in result.errors] == [(3, "Территория")]
    assert RoutingRule.objects.count() == 0


def test_it_updates_the_organisation_of_an_existing_route():
    old, new = f.organization("Старая"), f.organization("Новая")
    roads = Category.objects.create(code="roads", name="Дороги")
    f.route(roads, old)

    result = import_csv("routing", ["Код категории", "Территория", "Организация"], [["roads", "", "Новая"]])

    assert (result.created, result.updated) == (0, 1)
    assert RoutingRule.objects.get().organization == new


PEOPLE_HEADERS = ["Логин", "Фамилия", "Эл. почта", "Организация", "Роль", "Пароль"]


def test_it_creates_people_without_a_usable_password_unless_the_file_gives_one():
    org = f.organization("Администрация")

    result = import_csv("people", PEOPLE_HEADERS, [
        ["petrov", "Петров", "p@example.org", "Администрация", "executor", ""],
        ["petrov", "", "", "Администрация", "coordinator", ""],
        ["sidorova", "Сидорова", "", "Администрация", "head", "Long-enough-pass-42"],
    ])

    assert result.ok, result.errors
    assert (result.created, result.updated) == (2, 0)
    petrov, sidorova = User.objects.get(username="petrov"), User.objects.get(username="sidorova")
    assert (petrov.last_name, petrov.email, petrov.has_usable_password()) == ("Петров", "p@example.org", False)
    assert sidorova.check_password("Long-enough-pass-42")
    assert set(Membership.objects.filter(user=petrov).values_list("organization", "role")) == {
        (org.pk, "executor"), (org.pk, "coordinator")
    }


def test_it_gives_a_person_exactly_the_roles_the_file_lists():
    org = f.organization("Администрация")
    person = f.user("petrov", (Role.HEAD, org), (Role.EXECUTOR, org))

    result = import_csv("people", ["Логин", "Организация", "Роль"], [["petrov", "Администрация", "executor"]])

    assert result.ok, result.errors
    assert list(Membership.objects.filter(user=person).values_list("role", flat=True)) == ["executor"]
    assert person.check_password("secret-pass-1")  # a file without passwords leaves them alone


def test_it_reports_a_person_whose_rows_disagree():
    f.organization("Администрация")

    result = import_csv("people", PEOPLE_HEADERS, [
        ["petrov", "Петров", "", "Администрация", "executor", ""],
        ["petrov", "Петровский", "", "Нет такой", "head", "short"],
    ])

    assert {(e.row, e.column) for e in result.errors} == {(3, "Фамилия"), (3, "Организация"), (3, "Пароль")}
    assert not User.objects.filter(username="petrov").exists()


def test_it_lets_only_a_superuser_change_a_superuser_by_import():
    User.objects.create_superuser("root", "root@example.org", "root-pass-123")
    moderator = f.user("mod")

    refused = import_csv("people", ["Логин", "Пароль"], [["root", "Taken-over-123"]], actor=moderator)

    assert [(e.row, e.column) for e in refused.errors] == [(2, "Логин")]
    assert User.objects.get(username="root").check_password("root-pass-123")


# ------------------------------------------------------------------------------------ commands


def test_it_imports_and_exports_from_the_command_line(tmp_path, capsys):
    f.organization("Администрация А", phone="1")
    exported = tmp_path / "orgs.xlsx"
    call_command("export_registry", "organizations", str(exported))
    Organization.objects.all().delete()

    call_command("import_registry", "organizations", str(exported), "--dry-run")
    assert Organization.objects.count() == 0
    call_command("import_registry", "organizations", str(exported))
    assert Organization.objects.get().phone == "1"

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(["Наименование", "Вид"], [["Б", "нет такого"]]))
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_registry", "organizations", str(bad))
    assert "row 2, Вид" in capsys.readouterr().err
