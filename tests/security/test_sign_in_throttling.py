"""Issue 11 §9: repeated wrong passwords for one login from one address pause its sign-in (django-axes),
with a Russian page; other people and other logins are not locked out; the pause ends by itself."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories as f

pytestmark = pytest.mark.django_db


def _sign_in(client, username, password, ip="203.0.113.5"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_wrong_passwords_pause_that_login_from_that_address(client, settings, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    f.user("coordinator1")
    f.user("neighbour")
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(client, "coordinator1", "guess").status_code == 200  # the form again, with its error
    assert _sign_in(client, "coordinator1", "guess").status_code == 429  # the last failure pauses it

    refused = _sign_in(client, "coordinator1", "secret-pass-1")
    assert refused.status_code == 429
    assert "Слишком много неверных попыток входа" in refused.content.decode()
    assert "через 15 мин" in refused.content.decode()
    assert "_auth_user_id" not in client.session

    # The same person from another address, and another login from the same address, still sign in.
    assert _sign_in(client, "coordinator1", "secret-pass-1", ip="198.51.100.7").status_code == 302
    client.logout()
    assert _sign_in(client, "neighbour", "secret-pass-1").status_code == 302
    client.logout()

    time_machine.move_to(timezone.now() + dt.timedelta(minutes=16), tick=False)
    assert _sign_in(client, "coordinator1", "secret-pass-1").status_code == 302


def test_a_successful_sign_in_forgets_earlier_failures(client, settings):
    f.user("executor1")
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, "executor1", "guess")
    assert _sign_in(client, "executor1", "secret-pass-1").status_code == 302
    client.logout()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, "executor1", "guess")
    assert _sign_in(client, "executor1", "secret-pass-1").status_code == 302
