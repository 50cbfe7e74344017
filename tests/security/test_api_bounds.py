"""Issue 11 §10: what the fuzzer found, kept as plain cases: a body that is not JSON, a page past any
offset, a year past 9999 and a date before the calendar's start get the API's 4xx shape, never a 500."""

import pytest

from otklik.accounts.models import Role
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, region):
    org = f.organization("Администрация района")
    client.force_login(f.user("coordinator", (Role.REGIONAL_COORDINATOR, org)))
    return client


def test_a_body_that_is_not_json_is_a_structured_400(staff):
    response = staff.post("/api/appeals", data=b"\x16v6C", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"code": "invalid_body", "field": None,
                               "message": "Тело запроса — не JSON и не данные формы."}
    broken = staff.post("/api/appeals", data=b"x", content_type="multipart/form-data")  # no boundary
    assert (broken.status_code, broken.json()["code"]) in {(400, "invalid_body"), (422, "invalid")}


@pytest.mark.parametrize("path", [
    "/api/appeals?page=100000000000000000",
    "/api/reports/reports?year=10000",
    "/api/reports/breaches?limit=-5&offset=0",
    "/api/reports/breaches?offset=100000000000000000000",
])
def test_numbers_out_of_bounds_are_refused_as_invalid(staff, path):
    response = staff.get(path)
    assert response.status_code == 422 and response.json()["code"] == "invalid"


def test_a_date_the_database_cannot_hold_is_a_structured_400(staff):
    from django.db import connection

    response = staff.get("/api/appeals?due_before=0001-01-01T00:00:00%2B03:00")
    if connection.vendor == "sqlite":  # year 0 in UTC does not exist for Python's datetime
        assert response.status_code == 400 and response.json()["code"] == "out_of_range"
    else:  # PostgreSQL keeps dates before the era: an ordinary empty answer
        assert response.status_code == 200 and response.json()["items"] == []


def test_the_dashboard_refuses_a_period_over_three_years(staff):
    response = staff.get("/api/reports/dashboard?date_from=2000-01-01&date_to=2026-12-01")
    assert response.status_code == 400
    assert response.json() == {"code": "period_too_long", "field": "date_from",
                               "message": "Период — не больше трёх лет."}
    assert staff.get("/api/reports/dashboard?date_from=2024-12-03&date_to=2026-12-01").status_code == 200
    page = staff.get("/reports/?date_from=0001-01-01")
    assert page.status_code == 200 and "Период — не больше трёх лет." in page.content.decode()
