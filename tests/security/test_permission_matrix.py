"""Issue 11 §11: access proven over every route. The test walks every URL pattern of the product (pages,
the JSON API, Open311, reports, the registry, every domain added later) with the people of another
organisation in every role, a citizen who is not the applicant, and an anonymous client, filling each
route's parameters with an appeal of organisation A that is not public. Nobody of them may read its text
or its applicant's data (pages, API, notices, exports, search suggestions), nobody may change it, and no
route answers with a server error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from otklik.accounts.models import Role, User
from otklik.appeals import services as s
from otklik.appeals.lifecycle import Regime
from otklik.appeals.models import Appeal, AppealEvent
from otklik.notifications.models import Notice
from tests import factories as f

pytestmark = pytest.mark.django_db

SECRET_TEXT = "Секретная-метка-обращения-А"
SECRET_NAME = "Засекреченный Заявитель"
SECRET_EMAIL = "hidden-applicant@example.org"
SECRETS = (SECRET_TEXT, SECRET_NAME, SECRET_EMAIL)
# Everything an action form or endpoint might take, so that a refused change is refused for who asks,
# not for a missing field.
ACTION_BODY = {"reason": "проверка", "text": "Ответ", "comment": "проверка", "rating": 5, "until": "2027-02-01",
               "proposed_until": "2027-02-01", "days": 10, "resolution_on": "2027-01-20"}


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def _concrete(route: str, values: dict[str, str]) -> str:
    """A route with every parameter filled: the named value, or A's appeal id for any other id."""

    def value(name: str) -> str:
        if name in values:
            return values[name]
        return values["id"] if name.endswith("id") or name == "pk" else "x"

    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: value(m.group(1)), route)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: value(m.group(1)), path)
    return "/" + path.replace("^", "").replace("$", "").replace("\\", "")


@pytest.fixture
def scene(region):
    org_a, org_b = f.organization("Администрация А"), f.organization("Организация Б")
    platform = f.organization("Центр управления регионом")
    category = f.category("Дороги", days=30)
    f.route(category, org_a)
    moderator = f.user("moderator_m", (Role.MODERATOR, platform))
    coordinator_a = f.user("coord_aa", (Role.COORDINATOR, org_a))
    executor_a = f.user("exec_aa", (Role.EXECUTOR, org_a))
    appeal = s.appeal_submit(text=f"{SECRET_TEXT}: яма у дома 5", category=category, regime=Regime.FZ59,
                             applicant_name=SECRET_NAME, applicant_email=SECRET_EMAIL, applicant_phone="+79001234567")
    s.appeal_register(appeal_id=appeal.pk, user=moderator)
    s.appeal_accept(appeal_id=appeal.pk, user=moderator)
    s.appeal_assign(appeal_id=appeal.pk, user=coordinator_a, executor_id=executor_a.pk)
    outsiders: dict[str, User | None] = {
        role: f.user(f"b_{role}", (role, org_b)) for role in (Role.HEAD, Role.COORDINATOR, Role.EXECUTOR,
                                                             Role.AUTHORISED, Role.PRIVACY_OFFICER)
    }
    outsiders["citizen"] = f.user("other_citizen", email="other@example.org")
    outsiders["anonymous"] = None
    appeal.refresh_from_db()
    return appeal, outsiders


def _snapshot(appeal: Appeal) -> tuple:
    appeal.refresh_from_db()
    return (appeal.state, appeal.organization_id, appeal.executor_id, appeal.answer_text, appeal.rating,
            appeal.due_at, AppealEvent.objects.filter(appeal=appeal).count(),
            Notice.objects.filter(appeal=appeal).exclude(recipient__username__startswith="b_").count())


def test_no_one_of_another_organisation_nor_anyone_else_reads_or_changes_an_appeal_on_any_route(client, scene):
    appeal, outsiders = scene
    values = {"id": str(appeal.pk), "number": appeal.number, "fmt": "json", "service_request_id": appeal.number,
              "action": "assign", "kind": "organizations", "path": "x", "token": "x", "key": "x", "slug": "x"}
    admin = settings.ADMIN_PATH
    # Signing out would end the walk's session; the admin asks for staff status first (checked below).
    routes = sorted({_concrete(route, values) for route in _routes(get_resolver().url_patterns)
                     if not route.startswith(admin)} - {"/accounts/logout/"})
    assert len(routes) > 60  # the walk found the product's routes, not a handful
    before = _snapshot(appeal)
    problems: list[str] = []
    for who, user in outsiders.items():
        client.logout()
        if user is not None:
            client.force_login(user)
        for path in routes:
            for method in ("get", "post"):
                if method == "post" and path.startswith("/api/"):
                    response = client.post(path, ACTION_BODY, content_type="application/json")
                else:
                    data = ACTION_BODY if method == "post" else {"q": SECRET_TEXT[:9]}
                    response = getattr(client, method)(path, data)
                body = response.content.decode("utf-8", "replace") if hasattr(response, "content") else ""
                if response.get("Content-Type", "").startswith("application/json") and body:
                    body = json.dumps(json.loads(body), ensure_ascii=False)  # \u-escaped Cyrillic read as text
                if response.status_code >= 500:
                    problems.append(f"{who} {method.upper()} {path}: {response.status_code}")
                if user is not None and "_auth_user_id" not in client.session:
                    problems.append(f"{who} {method.upper()} {path}: ended the session")
                    client.force_login(user)
                leaked = [secret for secret in SECRETS if secret in body]
                if leaked:
                    problems.append(f"{who} {method.upper()} {path}: shows {leaked}")
    assert problems == []
    assert _snapshot(appeal) == before  # nothing changed, and nobody of A was notified of anything
    client.logout()
    assert client.get(f"/{admin}").status_code == 302  # the admin asks anonymous people to sign in


def test_the_organisations_own_staff_and_the_region_do_read_it(client, scene):
    """The other half of the proof: the same walk would see the appeal where access is due."""
    appeal, _outsiders = scene
    for username in ("coord_aa", "exec_aa", "moderator_m"):
        client.force_login(User.objects.get(username=username))
        page = client.get(f"/workspace/appeals/{appeal.pk}/").content.decode()
        assert SECRET_TEXT in page, username
        assert client.get(f"/api/appeals/{appeal.pk}").json()["text"].startswith(SECRET_TEXT)
