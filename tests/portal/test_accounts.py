import re

import pytest
import requests
from django.core import mail

from otklik.accounts.models import User
from otklik.appeals.services import NewAppeal
from otklik.intake.services import intake_submit
from otklik.portal.models import CitizenIdentity
from tests.portal.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider

pytestmark = pytest.mark.django_db

CLAIMS = {"sub": "1000123456", "email": "ivanova@example.org", "email_verified": True, "given_name": "Мария",
          "family_name": "Иванова", "middle_name": "Петровна"}


@pytest.fixture
def provider(settings):
    with Provider(dict(CLAIMS)) as running:
        settings.OIDC_DISCOVERY_URL = running.url + "/.well-known/openid-configuration"
        settings.OIDC_CLIENT_ID = CLIENT_ID
        settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
        settings.OIDC_PROVIDER_NAME = "Госуслуги"
        yield running


def sign_in_through(client, provider, next_url="/my/"):
    start = client.get(f"/accounts/oidc/login/?next={next_url}")
    assert start.status_code == 302 and start["Location"].startswith(provider.url + "/authorize?")
    approved = requests.get(start["Location"], allow_redirects=False, timeout=5)
    assert approved.status_code == 302
    return client.get(approved.headers["Location"].replace("http://testserver", ""))


def test_it_signs_a_citizen_in_through_the_oidc_provider(client, provider, citizens):
    home = client.get("/").content.decode()
    assert "Войти через Госуслуги" in home
    done = sign_in_through(client, provider)
    assert done.status_code == 302 and done["Location"] == "/my/"
    identity = CitizenIdentity.objects.get()
    assert (identity.issuer, identity.subject) == (provider.url, "1000123456")
    user = identity.user
    assert (user.email, user.first_name, user.last_name, user.patronymic) == (
        "ivanova@example.org", "Мария", "Иванова", "Петровна")
    assert not user.has_usable_password()
    assert {"/.well-known/openid-configuration", "/authorize", "/token", "/jwks", "/userinfo"} <= set(
        provider.requests)
    # The account sees the messages sent with its e-mail, and a second sign-in reuses it.
    intake_submit(NewAppeal(text="Не вывозят мусор второй день", category=citizens.heating,
                            applicant_email="ivanova@example.org", applicant_name="Мария"),
                  source="portal", intake_key="k1")
    mine = client.get("/my/").content.decode()
    assert "Мои сообщения" in mine and "Не вывозят мусор" not in mine and "-000001" in mine
    client.logout()
    sign_in_through(client, provider)
    assert User.objects.filter(identities__isnull=False).count() == 1


def test_it_refuses_an_id_token_signed_with_a_key_the_provider_does_not_publish(client, provider):
    provider.sign_with_foreign_key = True
    done = sign_in_through(client, provider)
    assert done.status_code == 400
    assert "Не удалось войти через поставщика учётных записей" in done.content.decode()
    assert not CitizenIdentity.objects.exists() and "_auth_user_id" not in client.session


def test_it_refuses_a_callback_with_a_forged_state(client, provider):
    client.get("/accounts/oidc/login/")
    done = client.get("/accounts/oidc/callback/?code=whatever&state=forged")
    assert done.status_code == 400 and not CitizenIdentity.objects.exists()


def test_it_says_so_when_the_provider_is_down(client, settings):
    settings.OIDC_DISCOVERY_URL = "http://127.0.0.1:9/.well-known/openid-configuration"
    response = client.get("/accounts/oidc/login/")
    assert response.status_code == 503
    assert "Поставщик учётных записей сейчас недоступен" in response.content.decode()


def test_it_hides_oidc_when_it_is_not_configured(client, settings):
    settings.OIDC_DISCOVERY_URL = ""
    assert client.get("/accounts/oidc/login/").status_code == 404
    assert "Войти через" not in client.get("/").content.decode()


def test_it_signs_a_citizen_up_with_a_confirmed_email(client, django_capture_on_commit_callbacks, region):
    form = {"last_name": "Петров", "first_name": "Пётр", "email": "Petrov@Example.org", "password1": "tr1cky-Pass-42",
            "password2": "tr1cky-Pass-42"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", form)
    assert response.status_code == 200 and "petrov@example.org" in response.content.decode().lower()
    user = User.objects.get(email="petrov@example.org")
    assert not user.is_active
    assert not client.login(username="petrov@example.org", password="tr1cky-Pass-42")
    link = re.search(r"http://\S+/accounts/confirm/\S+/", mail.outbox[-1].body).group(0)
    confirmed = client.get(link.split("8000", 1)[1])
    assert confirmed.status_code == 302 and confirmed["Location"] == "/my/"
    user.refresh_from_db()
    assert user.is_active
    client.logout()
    assert client.login(username="petrov@example.org", password="tr1cky-Pass-42")
    # Signing up again with the same address is refused next to the field.
    client.logout()
    again = client.post("/accounts/signup/", form).content.decode()
    assert '<p class="field-error" id="id_email-error">Учётная запись с такой почтой уже есть: войдите.</p>' in again


def test_it_marks_bad_sign_up_fields(client, region):
    response = client.post("/accounts/signup/", {"email": "x", "password1": "123", "password2": "456"})
    html = response.content.decode()
    assert response.status_code == 400
    assert '<p class="field-error" id="id_last_name-error">Укажите фамилию.</p>' in html
    assert '<p class="field-error" id="id_password2-error">Пароли не совпадают.</p>' in html
    assert 'value="x"' in html


def test_it_refuses_a_forged_confirmation_link(client, region):
    response = client.get("/accounts/confirm/forged-token/")
    assert response.status_code == 400 and "Ссылка неверна" in response.content.decode()


def test_it_lists_the_citizens_notices(client, citizens, django_capture_on_commit_callbacks):
    user = User.objects.create_user("anna@example.org", email="anna@example.org", password="secret-pass-1")
    with django_capture_on_commit_callbacks(execute=True):
        appeal = intake_submit(NewAppeal(text="Сломана скамейка во дворе", category=citizens.heating,
                                         applicant=user, applicant_email="anna@example.org", applicant_name="Анна"),
                               source="portal", intake_key="k2")
    client.force_login(user)
    page = client.get("/my/notices/").content.decode()
    assert f"Your message {appeal.number}" not in page
    assert appeal.number in page
    mine = client.get("/my/").content.decode()
    assert f"/track/{appeal.number}/?key={appeal.access_token}" in mine


def test_the_login_page_offers_esia_when_the_region_configured_it(client, settings):
    settings.OIDC_DISCOVERY_URL = "https://esia.example.org/.well-known/openid-configuration"
    settings.OIDC_PROVIDER_NAME = "Госуслуги"
    page = client.get("/accounts/login/?next=/my/").content.decode()
    assert 'id="oidc-login"' in page and "Войти через Госуслуги" in page
    assert 'href="/accounts/oidc/login/?next=/my/"' in page or 'href="/accounts/oidc/login/?next=%2Fmy%2F"' in page
    assert "не подключён" not in page


def test_the_login_page_explains_why_esia_is_off(client, settings):
    settings.OIDC_DISCOVERY_URL = ""
    page = client.get("/accounts/login/").content.decode()
    assert 'id="oidc-login"' not in page
    assert "Вход через Госуслуги (ЕСИА) на этом сайте не подключён" in page
