"""Error pages are Russian, in the site's layout, with a way back, and none speaks of DEBUG (point 15
of issue 10); /api/docs works without the internet (point 16)."""

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import Client, override_settings
from django.urls import path

from otklik.urls import urlpatterns as site_urls

pytestmark = pytest.mark.django_db


def _raise(exc):
    def view(request):
        raise exc
    return view


urlpatterns = [
    path("boom/400/", _raise(SuspiciousOperation("bad"))),
    path("boom/403/", _raise(PermissionDenied())),
    path("boom/500/", _raise(RuntimeError("boom"))),
    *site_urls,
]


def _check(response, status, title):
    html = response.content.decode()
    assert response.status_code == status
    assert f"<h1 id=\"error-title\">{title}</h1>" in html
    assert 'class="top"' in html and 'id="way-back"' in html and 'href="/"' in html  # the site's layout
    assert "DEBUG" not in html and "Django" not in html


@override_settings(ROOT_URLCONF="tests.core.test_error_pages", DEBUG=False)
def test_every_error_page_is_russian_with_a_way_back():
    client = Client(raise_request_exception=False)
    _check(client.get("/no-such-page/"), 404, "Страница не найдена")
    _check(client.get("/boom/400/"), 400, "Запрос не удалось прочитать")
    _check(client.get("/boom/403/"), 403, "Нет доступа")
    _check(client.get("/boom/500/"), 500, "У нас что-то сломалось")


def test_a_refused_form_gets_a_russian_page():
    client = Client(enforce_csrf_checks=True)
    _check(client.post("/accounts/login/", {"username": "x", "password": "y"}), 403, "Форма устарела")
    _check(client.post("/submit/", {"text": "x"}), 403, "Форма устарела")


def test_api_docs_load_swagger_from_this_site():
    html = Client().get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html and "/static/ninja/swagger-ui.css" in html
    assert "cdn" not in html.lower()
