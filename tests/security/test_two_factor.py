"""Issue 11 §9: two-factor sign-in (TOTP, django-otp) for administrators always and for the roles the
region names; until the code is given, the account reaches only the pages that ask for it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from otklik.accounts.models import Role
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def required(settings):
    settings.TWO_FACTOR_REQUIRED = True
    settings.TWO_FACTOR_ROLES = [Role.HEAD]


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _sign_in(client, username):
    return client.post("/accounts/login/", {"username": username, "password": "secret-pass-1"}, REMOTE_ADDR="10.0.0.1")


def test_an_administrator_connects_the_app_then_needs_its_code_at_every_sign_in(client, time_machine):
    f.user("admin1", is_staff=True, is_superuser=True)
    _sign_in(client, "admin1")
    first = client.get("/workspace/")
    assert first.status_code == 302 and first["Location"].startswith("/accounts/two-factor/setup/")
    assert client.get("/admin/").status_code == 302  # the admin too
    page = client.get(first["Location"]).content.decode()
    assert "<svg" in page and re.search(r'<code id="secret">[A-Z2-7 ]+</code>', page)

    device = TOTPDevice.objects.get(user__username="admin1", confirmed=False)
    wrong = client.post("/accounts/two-factor/setup/", {"token": "000000", "next": "/workspace/"})
    assert wrong.status_code == 400 and "Код не подходит" in wrong.content.decode()
    # django-otp slows down guessing: after a wrong code the next try waits a moment.
    time_machine.move_to(timezone.now() + dt.timedelta(seconds=5), tick=True)
    done = client.post("/accounts/two-factor/setup/", {"token": _code(device), "next": "/admin/"})
    assert done.status_code == 302 and done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200

    client.logout()
    _sign_in(client, "admin1")
    asked = client.get("/workspace/")
    assert asked["Location"].startswith("/accounts/two-factor/?")
    device.refresh_from_db()
    # A code is good once: the next sign-in uses the next one the app shows.
    assert client.post("/accounts/two-factor/", {"token": _code(device), "next": "/admin/"}).status_code == 400
    time_machine.move_to(timezone.now() + dt.timedelta(seconds=31), tick=True)
    assert client.post("/accounts/two-factor/", {"token": _code(device), "next": "/admin/"}).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_the_api_refuses_an_unverified_session_in_its_error_shape(client):
    org = f.organization()
    f.user("head1", (Role.HEAD, org))
    _sign_in(client, "head1")
    body = client.get("/api/appeals")
    assert body.status_code == 403 and body.json()["code"] == "two_factor_required"


def test_roles_the_region_does_not_name_sign_in_with_the_password_alone(client):
    org = f.organization()
    f.user("executor1", (Role.EXECUTOR, org))
    _sign_in(client, "executor1")
    assert client.get("/workspace/").status_code == 200


def test_a_forged_next_never_leaves_the_site(client):
    f.user("admin2", is_staff=True)
    _sign_in(client, "admin2")
    client.get("/accounts/two-factor/setup/")
    device = TOTPDevice.objects.get(user__username="admin2")
    done = client.post("/accounts/two-factor/setup/", {"token": _code(device), "next": "https://evil.example/"})
    assert done["Location"] == "/workspace/"
