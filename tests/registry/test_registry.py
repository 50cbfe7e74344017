import datetime as dt

import pytest
from django.utils import timezone

from otklik.accounts.models import Role
from otklik.registry import selectors, services
from otklik.registry.models import ClassifierCode, Official, RegistryChange
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_it_logs_who_changed_a_responsible_officials_contacts():
    admin = f.user("admin")
    org = f.organization("Комитет ЖКХ")
    official = Official(organization=org, kind=Official.Kind.RESPONSIBLE, full_name="Орлов О. О.",
                        position="Заместитель председателя", phone="+7 900 000-00-01")
    services.registry_save(actor=admin, instance=official)
    official.phone = "+7 900 000-00-02"
    services.registry_save(actor=admin, instance=official)
    services.registry_save(actor=admin, instance=official)  # nothing changed: nothing logged

    log = list(RegistryChange.objects.filter(organization=org).order_by("id"))
    assert [entry.action for entry in log] == ["create", "update"]
    assert log[1].changes == {"phone": ["+7 900 000-00-01", "+7 900 000-00-02"]}
    assert log[1].actor == admin


def test_it_logs_changes_made_in_the_admin(admin_client):
    org = f.organization("Администрация района", phone="1")
    response = admin_client.post(
        f"/admin/registry/organization/{org.pk}/change/",
        {"name": org.name, "short_name": "", "kind": org.kind, "address": "", "phone": "2", "email": "",
         "website": "", "sstu_department_guid": "", "portal_id": "", "is_active": "on",
         "happened_on": "2026-11-30", "officials-TOTAL_FORMS": "0", "officials-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 302, response.content[:2000]
    change = RegistryChange.objects.get(organization=org, action="update")
    assert change.changes["phone"] == ["1", "2"]
    assert change.happened_on == dt.date(2026, 11, 30)


def test_registry_health_lists_missing_officials_executors_and_stale_data(region):
    complete = f.organization("Полная")
    for kind in Official.Kind.values:
        Official.objects.create(organization=complete, kind=kind, full_name="Ф. И. О.", position="Заместитель")
    f.user(None, (Role.EXECUTOR, complete))
    complete.data_confirmed_at = timezone.now()
    complete.save()
    f.organization("Пустая")
    stale = f.organization("Устаревшая", data_confirmed_at=timezone.now() - dt.timedelta(days=400))
    Official.objects.create(organization=stale, kind=Official.Kind.RESPONSIBLE, full_name="Ф", position="Зам")

    problems = {row.organization.name: row.problems for row in selectors.registry_health()}
    assert "Полная" not in problems
    # five named persons, executors, confirmation
    assert len(problems["Пустая"]) == 7
    assert len(problems["Устаревшая"]) == 6  # every duty but the responsible official, and stale


def test_registry_health_page_is_only_for_region_wide_roles(client, region):
    org = f.organization("Пустая")
    f.user("coord", (Role.COORDINATOR, org))
    f.user("regional", (Role.REGIONAL_COORDINATOR, org))
    client.login(username="coord", password="secret-pass-1")
    assert client.get("/workspace/registry/health/").status_code == 403
    client.login(username="regional", password="secret-pass-1")
    page = client.get("/workspace/registry/health/")
    assert page.status_code == 200 and "Пустая" in page.content.decode()


def test_organization_confirm_data_resets_the_staleness(region):
    org = f.organization("Орг")
    services.organization_confirm_data(actor=None, organization=org)
    org.refresh_from_db()
    assert org.data_confirmed_at is not None
    assert RegistryChange.objects.filter(organization=org, action="confirm").exists()


def test_routing_falls_back_up_the_territory_tree_and_to_the_parent_category():
    region_t = f.territory("Область", kind="region")
    district = f.territory("Район", parent=region_t)
    village = f.territory("Село", parent=district, kind="rural_settlement")
    regional_org, district_org = f.organization("Минтранс"), f.organization("Администрация района")
    roads = f.category("Дороги")
    potholes = f.category("Ямы", parent=roads)
    f.route(roads, regional_org)
    f.route(roads, district_org, district)

    assert selectors.route_organization(category=potholes, territory=village) == district_org
    assert selectors.route_organization(category=potholes, territory=region_t) == regional_org
    assert selectors.route_organization(category=potholes, territory=None) == regional_org


def test_classifier_code_knows_its_level_and_parent():
    code = ClassifierCode(version="2024", code="0005.0005.0056.1149", name="Оплата ЖКУ")
    assert code.level == 4
    assert code.parent_code == "0005.0005.0056.0000"
    assert ClassifierCode(version="2024", code="0005.0000.0000.0000", name="ЖКС").parent_code is None
