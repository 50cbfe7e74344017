from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.shortcuts import resolve_url
from django.urls import reverse

from otklik.accounts.models import Absence, Membership, Role, User
from otklik.appeals.lifecycle import State
from otklik.appeals.models import Appeal, AppealEvent
from otklik.demo import region as demo
from otklik.registry.models import Category, Official, Organization, RoutingRule, Territory
from otklik.registry.selectors import registry_health, route_organization

pytestmark = pytest.mark.django_db

# Enough appeals for one of every state plus a few more; the full demo makes 300.
APPEALS = 24


@pytest.fixture
def loaded(settings, tmp_path):
    # Hashing the demo password with the production hasher would dominate the test's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path)  # the demo emblem
    out = StringIO()
    call_command("load_demo", appeals=APPEALS, stdout=out)
    return out.getvalue()


def test_it_loads_the_region_once_and_skips_a_second_run(loaded):
    assert demo.DEMO_REGION in Territory.objects.filter(kind=Territory.Kind.REGION).values_list("name", flat=True)
    counts = (Appeal.objects.count(), User.objects.count(), Organization.objects.count(), Category.objects.count())
    assert counts[0] == APPEALS

    out = StringIO()
    call_command("load_demo", appeals=APPEALS, stdout=out)

    assert "already loaded" in out.getvalue() or "уже загружен" in out.getvalue()
    assert (Appeal.objects.count(), User.objects.count(), Organization.objects.count(),
            Category.objects.count()) == counts


def test_it_builds_territories_with_centres_below_the_region(loaded):
    region = Territory.objects.get(name=demo.DEMO_REGION, parent=None)
    municipalities = Territory.objects.filter(parent=region)
    assert municipalities.count() >= 5
    assert Territory.objects.filter(parent__parent=region).exists()  # settlements
    assert not Territory.objects.filter(centre_lat__isnull=True).exists()


def test_it_builds_every_kind_of_organisation_with_people_in_every_role(loaded):
    assert set(Organization.objects.values_list("kind", flat=True)) == set(Organization.Kind.values)
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role.values)
    assert Organization.objects.filter(parent__isnull=False).exists()
    assert not Organization.objects.filter(territory__isnull=True).exists()
    active_today = Absence.objects.filter(user__username="executor3", stand_in__username="executor")
    assert active_today.exists()


def test_it_leaves_two_organisations_incomplete_for_the_registry_health_page(loaded):
    problems = {row.organization.name: row.problems for row in registry_health()}
    no_stand_in = [name for name, found in problems.items() if any("stand-in" in p or "замещ" in p for p in found)]
    no_executor = [name for name, found in problems.items() if any(p in ("no executor", "нет исполнителя")
                                                                   for p in found)]
    assert len(no_stand_in) == 1 and len(no_executor) == 1
    assert Official.objects.filter(kind=Official.Kind.RESPONSIBLE).count() == Organization.objects.count()
    confirmed = Organization.objects.filter(data_confirmed_at__isnull=False).count()
    assert confirmed >= Organization.objects.count() - 2


def test_it_builds_categories_with_accelerated_subcategories_and_routes_every_one(loaded):
    children = Category.objects.filter(parent__isnull=False)
    assert Category.objects.count() >= 40 and children.count() >= 25
    accelerated = set(children.filter(procedure=Category.Procedure.ACCELERATED).values_list("name", flat=True))
    assert {"Отопление", "Водоснабжение и водоотведение", "Электроснабжение"} <= accelerated
    assert Category.objects.filter(classifier_code__version="2024").exists()
    assert RoutingRule.objects.filter(territory__isnull=False).exists()
    region = Territory.objects.get(name=demo.DEMO_REGION, parent=None)
    for category in Category.objects.all():
        for territory in [region, *Territory.objects.filter(parent=region)]:
            assert route_organization(category=category, territory=territory) is not None, (category, territory)


def test_it_creates_appeals_in_every_state_through_the_services(loaded):
    assert set(Appeal.objects.values_list("state", flat=True)) == set(State.values)
    assert set(Appeal.objects.values_list("regime", flat=True)) == {"pos", "fz59", "social"}
    # Every appeal starts with a submit event: none was written around the services.
    assert AppealEvent.objects.filter(action="submit").count() == APPEALS
    assert not Appeal.objects.exclude(events__action="submit").exists()
    # The history is spread over weeks, not created in one instant.
    first, last = (Appeal.objects.order_by(field).values_list("received_at", flat=True).first()
                   for field in ("received_at", "-received_at"))
    assert first is not None and last is not None and (last - first).days >= 20


def test_it_prints_one_login_per_role(loaded):
    out = StringIO()
    call_command("load_demo", print_logins=True, stdout=out)
    printed = out.getvalue()
    for login, _role in demo.FEATURED_LOGINS:
        assert login in printed
    assert demo.DEMO_PASSWORD in printed
    assert {row.login for row in demo.demo_logins()} >= {"moderator", "coordinator", "executor", "head",
                                                         "authorised", "regional", "admin"}
    lines = printed.splitlines()
    # Every login on its own line with the role, the organisation and the person's name, then what to try first.
    for login in ["citizen", *(login for login, _role in demo.FEATURED_LOGINS)]:
        user = User.objects.get(username=login)
        (line,) = [line for line in lines if line.startswith(login + " ")]
        assert f"{user.last_name} {user.first_name} {user.patronymic}" in line
        following = lines[lines.index(line) + 1]
        assert following.strip().startswith("начните с: /")
    assert "Заявитель · портал" in printed and "/submit/" in printed
    assert "модератор · " in printed and "очередь модерации" in printed


def test_the_printed_route_sends_a_new_message_to_the_printed_staff(loaded):
    from otklik.registry.models import Category
    from otklik.registry.selectors import route_organization

    hint = demo.demo_route_hint()
    category_name = hint.split("«")[1].split("»")[0]
    category = Category.objects.get(name=category_name, children__isnull=True)
    coordinator = User.objects.get(username="coordinator").memberships.get()
    organization = route_organization(category=category, territory=coordinator.organization.territory)
    assert organization == coordinator.organization
    staff = set(organization.memberships.values_list("user__username", flat=True))
    assert {"coordinator", "executor", "head"} <= staff
    assert f"«{organization.short_name}»" in hint


def test_it_lets_every_printed_login_sign_in_through_the_login_page(loaded, client):
    rows = demo.demo_logins()
    assert len(rows) == len(demo.FEATURED_LOGINS)
    home_url = resolve_url(django_settings.LOGIN_REDIRECT_URL)  # the workspace home page
    for row in rows:
        client.logout()
        response = client.post(reverse("accounts:login"), {"username": row.login, "password": demo.DEMO_PASSWORD})
        assert response.status_code == 302, row.login
        assert response["Location"] == home_url, row.login
        home = client.get(home_url)
        assert home.status_code == 200, row.login
        assert home.wsgi_request.user.username == row.login
    assert User.objects.get(username="admin").is_superuser


def test_it_refuses_a_database_that_already_holds_other_data(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    Organization.objects.create(name="Чужая организация", kind=Organization.Kind.OTHER)
    with pytest.raises(demo.DemoError):
        demo.build_demo(appeals=1)
    assert not demo.demo_exists()
