"""Issue 11 §13: every change of roles, routing, categories, deadlines and calendars is recorded with
who, when and from where — through the admin, a command or a service — and secrets stay out of it."""

import datetime as dt

import pytest
from django.conf import settings

from otklik.accounts.models import Membership, Role
from otklik.core.models import ConfigurationChange
from otklik.notifications.models import WebhookEndpoint
from otklik.registry.models import CalendarOverride
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_routing_rule_changed_in_the_admin_is_recorded_with_its_author(client, region):
    admin_user = f.user("root", is_staff=True, is_superuser=True)
    category, org, other = f.category("Дороги"), f.organization("Дорожная служба"), f.organization("Мэрия")
    rule = f.route(category, org)
    client.force_login(admin_user)
    response = client.post(f"/{settings.ADMIN_PATH}registry/routingrule/{rule.pk}/change/",
                           {"category": category.pk, "territory": "", "organization": other.pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    change = ConfigurationChange.objects.get(model="registry.RoutingRule", action="update")
    assert (change.actor, change.actor_name, change.source) == (admin_user, "root", "admin")
    assert change.changes == {"organization": [org.pk, other.pk]}
    assert change.object_id == str(rule.pk) and "Мэрия" in change.object_repr


def test_roles_and_calendars_changed_outside_a_request_are_recorded_as_commands(region):
    org = f.organization("Мэрия")
    person = f.user("official", (Role.EXECUTOR, org))
    membership = Membership.objects.get(user=person)
    membership.role = Role.COORDINATOR
    membership.save()
    CalendarOverride.objects.create(day=dt.date(2026, 12, 31), kind=CalendarOverride.Kind.DAY_OFF)
    rows = list(ConfigurationChange.objects.order_by("id").values_list("model", "action", "source", "actor"))
    assert ("accounts.Membership", "update", "command", None) in rows
    assert ("registry.CalendarOverride", "create", "command", None) in rows
    update = ConfigurationChange.objects.get(model="accounts.Membership", action="update")
    assert update.changes == {"role": [Role.EXECUTOR, Role.COORDINATOR]}
    membership.save()  # nothing moved: nothing recorded
    assert ConfigurationChange.objects.filter(model="accounts.Membership", action="update").count() == 1
    membership.delete()
    assert ConfigurationChange.objects.filter(model="accounts.Membership", action="delete").exists()


def test_a_secret_is_recorded_as_changed_never_by_value(region):
    hook = WebhookEndpoint.objects.create(name="СЭД", url="https://sed.example.org/hook", secret="first-secret-1")
    hook.secret = "second-secret-2"
    hook.save()
    stored = list(ConfigurationChange.objects.filter(model="notifications.WebhookEndpoint").order_by("id")
                  .values_list("changes", flat=True))
    assert stored[0]["secret"] == "changed" and stored[0]["url"] == [None, "https://sed.example.org/hook"]
    assert stored[1] == {"secret": "changed"}
    assert "secret-1" not in str(stored) and "secret-2" not in str(stored)
