"""Issue 9, points 5 and 9: a region shortens terms but never lengthens them past the law, and every
organisation names the persons of seed 002 §4 and reports their changes in time (seed 002 §5)."""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from otklik.accounts.models import Role
from otklik.registry import selectors, services
from otklik.registry.models import DUTY_KINDS, Category, Official, RegionSettings, RegistryChange
from otklik.registry.transfer import registry_export, registry_import
from tests import factories as f
from tests.registry.test_transfer import csv_bytes, import_csv

pytestmark = pytest.mark.django_db


def _errors(instance) -> dict[str, list[str]]:
    with translation.override("ru"), pytest.raises(ValidationError) as refused:
        instance.clean()
    return refused.value.message_dict


# --- 5. limits of configuration -------------------------------------------------------------------------


def test_a_region_cannot_lengthen_the_ordinary_term_past_30_days(region):
    region.answer_days_default = 31
    errors = _errors(region)
    assert list(errors) == ["answer_days_default"]
    assert "не более 30 календарных дней" in errors["answer_days_default"][0]
    region.answer_days_default = 20  # shortening is the region's right
    region.clean()


def test_a_region_cannot_lengthen_the_accelerated_59fz_extension_or_reconsideration_terms(region):
    region.answer_days_accelerated = 11
    region.fz59_answer_days = 45
    region.fz59_max_extension_days = 31
    region.reconsideration_days = 0
    errors = _errors(region)
    assert set(errors) == {"answer_days_accelerated", "fz59_answer_days", "fz59_max_extension_days",
                           "reconsideration_days"}
    assert "не более 10" in errors["answer_days_accelerated"][0]
    assert "не меньше 1 дня" in errors["reconsideration_days"][0]


def test_the_admin_refuses_region_settings_that_lengthen_a_term(admin_client, region):
    data = {}
    for field in RegionSettings._meta.concrete_fields:
        value = getattr(region, field.attname)
        if field.primary_key or field.name == "emblem" or value is None or value is False:
            continue
        data[field.name] = "on" if value is True else json.dumps(value) if field.name == "rework_reasons" \
            else str(value)[:5] if field.name.startswith("workday") else str(value)
    data["answer_days_default"] = "40"
    response = admin_client.post(f"/admin/registry/regionsettings/{region.pk}/change/", data)
    assert response.status_code == 200
    assert "answer_days_default" in response.context["adminform"].form.errors
    region.refresh_from_db()
    assert region.answer_days_default == 30


def test_a_category_term_stays_within_its_procedure_and_the_regional_override_within_the_approved_term(region):
    ordinary = Category(code="roads", name="Дороги", answer_days=31)
    assert "не более чем за 30" in _errors(ordinary)["answer_days"][0]
    accelerated = Category(code="heat", name="Отопление", procedure=Category.Procedure.ACCELERATED, answer_days=30)
    assert "не более чем за 10" in _errors(accelerated)["answer_days"][0]
    override = Category(code="snow", name="Снег", answer_days=10, region_answer_days=12,
                        procedure=Category.Procedure.ACCELERATED)
    assert "не более 10 дней" in _errors(override)["region_answer_days"][0]
    Category(code="ok", name="Годная", answer_days=10, region_answer_days=7,
             procedure=Category.Procedure.ACCELERATED).clean()


def test_the_admin_refuses_a_category_whose_term_is_longer_than_the_law(admin_client, region):
    response = admin_client.post("/admin/registry/category/add/", {
        "code": "heat", "name": "Отопление", "procedure": "accelerated", "answer_days": "30",
        "region_answer_days": "", "keywords": "", "is_active": "on", "is_public": "on",
    })
    assert response.status_code == 200
    assert "answer_days" in response.context["adminform"].form.errors
    assert not Category.objects.exists()


def test_the_registry_import_refuses_a_term_longer_than_the_law_row_by_row_in_russian(region):
    headers = ["Код", "Наименование", "Порядок рассмотрения", "Срок ответа, календарных дней",
               "Срок ответа, установленный регионом, дней"]
    with translation.override("ru"):
        result = import_csv("categories", headers, [
            ["roads", "Дороги", "ordinary", "30", "20"],
            ["long", "Долгая", "ordinary", "45", ""],
            ["heat", "Отопление", "accelerated", "30", ""],
            ["snow", "Снег", "accelerated", "10", "12"],
        ])
    assert [(e.row, e.column) for e in result.errors] == [
        (3, "Срок ответа, календарных дней"), (4, "Срок ответа, календарных дней"),
        (5, "Срок ответа, установленный регионом, дней"),
    ]
    assert "не более чем за 30" in result.errors[0].message
    assert "ускоренного рассмотрения" in result.errors[1].message
    assert not Category.objects.exists()


def test_the_import_checks_a_changed_procedure_against_the_term_the_category_already_holds(region):
    Category.objects.create(code="water", name="Вода", answer_days=30)
    result = import_csv("categories", ["Код", "Наименование", "Порядок рассмотрения"],
                        [["water", "Вода", "accelerated"]])
    assert [(e.row, e.column) for e in result.errors] == [(2, "Срок ответа, календарных дней")]
    assert Category.objects.get().procedure == Category.Procedure.ORDINARY


# --- 9. registry duties --------------------------------------------------------------------------------


def _complete(org, *, confirmed=True):
    for kind in DUTY_KINDS:
        Official.objects.create(organization=org, kind=kind, full_name=f"Лицо {kind}", position="Специалист",
                                phone="+7 900 000-00-00", email="p@example.org")
    f.user(None, (Role.EXECUTOR, org))
    if confirmed:
        org.data_confirmed_at = timezone.now()
        org.save()
    return org


def test_every_organisation_names_the_persons_of_the_act_or_the_health_page_lists_what_is_missing(region):
    _complete(f.organization("Полная"))
    partial = f.organization("Без уполномоченного")
    _complete(partial)
    Official.objects.filter(organization=partial, kind__in=[Official.Kind.AUTHORISED,
                                                            Official.Kind.EXECUTOR_STAND_IN]).delete()
    with translation.override("ru"):
        problems = {row.organization.name: row.problems for row in selectors.registry_health()}
    assert "Полная" not in problems
    assert problems["Без уполномоченного"] == ["нет лица, замещающего исполнителей",
                                               "нет уполномоченного по общественным голосованиям"]


def test_the_health_page_lists_organisations_whose_data_are_not_confirmed_for_the_regions_period(region, client):
    region.registry_confirmation_days = 30
    region.save()
    fresh = _complete(f.organization("Свежая"))
    old = _complete(f.organization("Давняя"))
    old.data_confirmed_at = timezone.now() - dt.timedelta(days=31)
    old.save()
    f.user("regional", (Role.REGIONAL_COORDINATOR, fresh))
    client.force_login(f.user("regional2", (Role.REGIONAL_COORDINATOR, fresh)))
    page = client.get("/workspace/registry/health/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Давняя" in page and "сведения не подтверждались последние 30 дней" in page
    assert "Свежая" not in page


def test_a_change_entered_after_the_regions_term_is_listed_as_late(region, client):
    org = _complete(f.organization("Администрация"))
    today = timezone.localdate()
    head = f.user("head", (Role.HEAD, org))
    official = Official.objects.get(organization=org, kind=Official.Kind.RESPONSIBLE)
    official.phone = "+7 900 111-11-11"
    services.registry_save(actor=head, instance=official, happened_on=today - dt.timedelta(days=3))  # in time
    official.phone = "+7 900 222-22-22"
    services.registry_save(actor=head, instance=official, happened_on=today - dt.timedelta(days=5))  # 2 days late

    late = selectors.late_registry_changes()
    assert [(item.change.changes["phone"][1], item.days_late) for item in late] == [("+7 900 222-22-22", 2)]
    region.registry_change_days = 5
    region.save()
    assert selectors.late_registry_changes() == []
    region.registry_change_days = 3
    region.save()
    client.force_login(f.user("regional", (Role.REGIONAL_COORDINATOR, org)))
    page = client.get("/workspace/registry/health/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Изменения, внесённые с опозданием" in page and "+7 900 222-22-22" in page


def test_the_change_form_asks_for_the_day_the_change_happened(region, client):
    org = f.organization("Администрация")
    other = f.organization("Соседи")
    head = f.user("head", (Role.HEAD, org))
    url = f"/registry/organizations/{org.pk}/officials/"
    client.force_login(head)
    assert client.get(f"/registry/organizations/{other.pk}/officials/").status_code == 403
    data = {"save": "1", "authorised-full_name": "Петрова Анна Ивановна", "authorised-position": "Консультант",
            "authorised-phone": "+7 900 000-00-01", "authorised-email": "petrova@example.org"}
    missing_date = client.post(url, data, HTTP_ACCEPT_LANGUAGE="ru")
    assert missing_date.status_code == 200 and not Official.objects.exists()
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    in_future = client.post(url, {**data, "happened_on": future}, HTTP_ACCEPT_LANGUAGE="ru")
    assert "Изменение не может произойти в будущем." in in_future.content.decode()
    happened = timezone.localdate() - dt.timedelta(days=1)
    assert client.post(url, {**data, "happened_on": happened.isoformat()}).status_code == 302

    official = Official.objects.get(organization=org)
    assert (official.kind, official.full_name, official.email) == (Official.Kind.AUTHORISED,
                                                                   "Петрова Анна Ивановна", "petrova@example.org")
    change = RegistryChange.objects.get(entity="official")
    assert (change.actor, change.happened_on, change.action) == (head, happened, "create")
    # Clearing every field removes the person, with the day of the change.
    client.post(url, {"save": "1", "happened_on": happened.isoformat()})
    assert not Official.objects.exists()
    assert RegistryChange.objects.get(entity="official", action="delete").happened_on == happened
    client.post(url, {"confirm": "1"})
    org.refresh_from_db()
    assert org.data_confirmed_at is not None
    # Someone with no role in the organisation may not enter its officials.
    client.force_login(f.user("executor", (Role.EXECUTOR, org)))
    assert client.get(url).status_code == 403


def test_the_registry_import_keeps_every_duty_and_the_day_the_change_happened(region):
    actor = f.user("admin")
    headers = ["Наименование", "Вид", "Уполномоченный: ФИО", "Уполномоченный: должность",
               "ССТУ, ведение раздела: ФИО", "ССТУ, ведение раздела: должность",
               "ССТУ, ведение раздела: эл. почта", "Дата изменения сведений"]
    data = csv_bytes(headers, [["Администрация А", "local_government", "Иванова Ирина", "Консультант",
                                "Сидоров Семён", "Начальник отдела", "sstu@example.org", "25.11.2026"]])
    result = registry_import(kind="organizations", data=data, filename="o.csv", actor=actor)
    assert result.ok, result.errors
    assert set(Official.objects.values_list("kind", "full_name")) == {
        (Official.Kind.AUTHORISED, "Иванова Ирина"), (Official.Kind.SSTU_SECTION, "Сидоров Семён")}
    assert set(RegistryChange.objects.values_list("happened_on", flat=True)) == {dt.date(2026, 11, 25)}
    exported = registry_export(kind="organizations", fmt="csv").decode("utf-8-sig")
    assert "ССТУ, ведение раздела: эл. почта" in exported and "sstu@example.org" in exported
    assert "Дата изменения сведений" not in exported  # a fact of one import, not of the registry
