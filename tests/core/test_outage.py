"""Issue 11 §7: while the database is unreachable, pages say so in Russian and API clients get the
API's error shape, both with Retry-After. The outage is real at the driver level: every query fails."""

import contextlib

import pytest
from django.db import OperationalError, connection

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def database_down():
    def refuse(execute, sql, params, many, context):
        raise OperationalError("server closed the connection unexpectedly")

    with connection.execute_wrapper(refuse):
        yield


def test_a_page_says_in_russian_that_the_service_is_unavailable(client, region):
    with database_down():
        response = client.get("/track/2026-000001/?key=x")
    html = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "Сервис временно недоступен" in html and "текст сохранён в этом браузере" in html
    assert "Server Error" not in html and "DEBUG" not in html


def test_the_api_answers_with_its_error_shape(client, region):
    from tests import factories as f

    client.force_login(f.user("official"))
    with database_down():
        response = client.get("/api/appeals")
        open311 = client.get("/open311/v2/services.json")
    assert response.status_code == 503 and response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "unavailable" and response["Retry-After"] == "30"
    assert open311.status_code == 503 and open311.json()["code"] == "unavailable"


def test_pooled_postgresql_connections_are_checked_before_reuse(settings):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no pooled connections")
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
