from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from otklik.accounts.models import Role, User
from otklik.registry.models import Organization
from otklik.registry.transfer import registry_import
from tests import factories as f
from tests.registry.test_transfer import csv_bytes

pytestmark = pytest.mark.django_db

IMPORT_URL = "/registry/import/"


@pytest.fixture
def moderator() -> User:
    return f.user("moderator", (Role.MODERATOR, f.organization("ЦУР")))


def upload(client, rows: list[list[str]], *, dry_run: bool = False, kind: str = "organizations"):
    data = csv_bytes(["Наименование", "Вид", "Эл. почта"], rows)
    form = {"kind": kind, "file": SimpleUploadedFile("orgs.csv", data, content_type="text/csv")}
    if dry_run:
        form["dry_run"] = "on"
    return client.post(IMPORT_URL, form)


def test_it_refuses_people_without_a_region_wide_role(client):
    executor = f.user("executor", (Role.EXECUTOR, f.organization("Администрация")))
    client.force_login(executor)

    assert client.get(IMPORT_URL).status_code == 403
    assert upload(client, [["Новая", "other", ""]]).status_code == 403
    assert client.get("/registry/export/organizations.xlsx").status_code == 403
    assert not Organization.objects.filter(name="Новая").exists()


def test_it_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(IMPORT_URL)

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_it_lets_staff_in_without_a_role(client):
    client.force_login(f.user("staff", is_staff=True))

    assert client.get(IMPORT_URL).status_code == 200


def test_it_shows_row_errors_and_writes_nothing(client, moderator):
    client.force_login(moderator)

    response = upload(client, [["Администрация А", "other", "a@example.org"], ["Администрация Б", "other", "bad"]])

    assert response.status_code == 200
    errors = response.context["result"].errors
    assert [(e.row, e.column) for e in errors] == [(3, "Эл. почта")]
    html = response.content.decode()
    assert "<td>3</td><td>Эл. почта</td>" in html
    assert errors[0].message in html
    assert not Organization.objects.filter(name__startswith="Администрация").exists()


def test_it_imports_a_good_file(client, moderator):
    client.force_login(moderator)

    response = upload(client, [["Администрация А", "other", "a@example.org"]])

    assert response.status_code == 302
    assert Organization.objects.get(name="Администрация А").email == "a@example.org"
    page = client.get(response["Location"])
    with translation.override(settings.LANGUAGE_CODE):
        expected = gettext("%(kind)s imported: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.") % {
            "kind": gettext("Organisations"), "created": 1, "updated": 0, "unchanged": 0}
    assert [str(m) for m in page.context["messages"]] == [expected]


def test_it_checks_without_writing_on_dry_run(client, moderator):
    client.force_login(moderator)

    response = upload(client, [["Администрация А", "other", ""]], dry_run=True)

    assert response.status_code == 200
    result = response.context["result"]
    assert result.ok and result.dry_run and result.created == 1
    assert not Organization.objects.filter(name="Администрация А").exists()


def test_it_downloads_an_export_that_imports_back(client, moderator):
    f.organization("Администрация А", phone="+7 1")
    client.force_login(moderator)

    for fmt, content_type in (("xlsx", "spreadsheetml"), ("csv", "text/csv")):
        response = client.get(f"/registry/export/organizations.{fmt}")
        assert response.status_code == 200
        assert content_type in response["Content-Type"]
        assert response["Content-Disposition"].startswith("attachment;")
        result = registry_import(kind="organizations", data=response.content, filename=f"x.{fmt}")
        assert result.ok and (result.created, result.updated, result.unchanged) == (0, 0, 2)


def test_it_answers_not_found_for_an_unknown_kind_or_format(client, moderator):
    client.force_login(moderator)

    assert client.get("/registry/export/appeals.xlsx").status_code == 404
    assert client.get("/registry/export/organizations.pdf").status_code == 404


def test_it_lets_only_an_administrator_import_people_and_roles(client, moderator):
    client.force_login(moderator)
    data = csv_bytes(["Логин", "Фамилия"], [["newcomer", "Новиков"]])
    form = {"kind": "people", "file": SimpleUploadedFile("people.csv", data, content_type="text/csv")}
    response = client.post(IMPORT_URL, form)
    assert response.status_code == 200
    assert not User.objects.filter(username="newcomer").exists()

    admin = f.user("admin", (Role.ADMIN, f.organization("Минцифры")))
    client.force_login(admin)
    form["file"] = SimpleUploadedFile("people.csv", data, content_type="text/csv")
    assert client.post(IMPORT_URL, form).status_code == 302
    assert User.objects.filter(username="newcomer", last_name="Новиков").exists()
