import pytest

from otklik.accounts.models import Role
from tests import factories as f
from tests.browser_fixtures import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_signs_an_official_in_and_shows_their_roles(page, screenshot):
    org = f.organization("Администрация Тестовска")
    f.user("coordinator", (Role.COORDINATOR, org))
    page.goto("/accounts/login/")
    screenshot(page, "login")
    page.fill("#id_username", "coordinator")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").is_visible()
    login(page, "coordinator")
    screenshot(page, "workspace")
    assert "Администрация Тестовска" in page.content()
