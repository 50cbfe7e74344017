"""Issue 17 §2: services.json is served from a version-checked cache with ETag and Last-Modified and
follows category changes at once; requests.json pages by 100 with a Link header, and the number of
queries of a page does not grow with its rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.intake.test_open311 import submit_public

pytestmark = pytest.mark.django_db(transaction=True)
BASE = "/open311/v2"


def test_services_are_revalidated_by_etag_and_follow_a_category_change(client, citizens):
    first = client.get(f"{BASE}/services.json")
    etag = first["ETag"]
    assert first.status_code == 200 and etag and first["Last-Modified"]
    with CaptureQueriesContext(connection) as queries:
        again = client.get(f"{BASE}/services.json", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and not again.content
    assert len(queries) == 1  # the version counter only
    citizens.heating.name = "Нет отопления в доме"
    citizens.heating.save()
    changed = client.get(f"{BASE}/services.json", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "Нет отопления в доме" in changed.content.decode()


def test_services_answer_with_a_bounded_number_of_queries(client, citizens):
    from tests import factories as f

    for i in range(15):
        f.category(f"Категория {i}", days=30)
    from otklik.core.services import version_bump
    from otklik.intake.open311 import SERVICES_VERSION

    version_bump(SERVICES_VERSION)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"{BASE}/services.json").status_code == 200
    assert len(queries) <= 6


def test_requests_are_paged_by_100_with_a_link_to_the_next_page(client, citizens):
    for i in range(102):
        submit_public(citizens, f"Яма {i}", lat=55.7 + i / 10000)
    first = client.get(f"{BASE}/requests.json")
    assert len(first.json()) == 100
    assert 'rel="next"' in first["Link"] and "page=2" in first["Link"] and "prev" not in first["Link"]
    second = client.get(f"{BASE}/requests.json", {"page": 2})
    assert len(second.json()) == 2 and 'rel="prev"' in second["Link"] and "next" not in second["Link"]
    assert not {r["service_request_id"] for r in first.json()} & {r["service_request_id"] for r in second.json()}


def test_a_page_of_requests_takes_the_same_number_of_queries_for_5_and_50_rows(client, citizens):
    def queries_for(page_size):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{BASE}/requests.json", {"page_size": page_size})
        assert len(response.json()) == page_size
        return len(queries)

    for i in range(50):
        submit_public(citizens, f"Яма {i}", lat=55.7 + i / 10000)
    assert queries_for(5) == queries_for(50)


def test_an_e_mail_longer_than_its_column_is_a_clear_400_not_a_server_error(client, citizens):
    from otklik.intake.services import api_key_create

    raw = api_key_create(name="Приложение")[1]
    email = "a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".ru"
    response = client.post(f"{BASE}/requests.json", {"api_key": raw, "service_code": citizens.heating.code,
                                                      "lat": "55.7", "long": "37.6", "email": email})
    assert response.status_code == 400
    assert response.json()[0]["description"] == "email — неправильный адрес электронной почты."


def test_a_repeated_page_is_served_from_the_process_until_an_event_is_written(client, citizens):
    for i in range(3):
        submit_public(citizens, f"Яма {i}", lat=55.7 + i / 10000)
    first = client.get(f"{BASE}/requests.json")
    with CaptureQueriesContext(connection) as queries:
        again = client.get(f"{BASE}/requests.json")
    assert again.content == first.content
    assert len(queries) == 2  # the registry's version and the last event's id
    submit_public(citizens, "Яма у моста", lat=55.71)
    fresh = client.get(f"{BASE}/requests.json").json()
    assert len(fresh) == 4 and any(r["description"] == "Яма у моста" for r in fresh)


def test_a_category_made_private_leaves_the_cached_page_at_once(client, citizens):
    submit_public(citizens, "Яма у школы", lat=55.7)
    assert len(client.get(f"{BASE}/requests.json").json()) == 1
    citizens.potholes.is_public = False
    citizens.potholes.save()
    assert client.get(f"{BASE}/requests.json").json() == []


def test_open311_posts_read_the_registry_once_and_write_one_appeal(client, citizens):
    from otklik.intake.services import api_key_create

    raw = api_key_create(name="Приложение")[1]
    form = {"api_key": raw, "service_code": citizens.heating.code, "lat": "55.7", "long": "37.6",
            "description": "Холодно в квартире"}
    assert client.post(f"{BASE}/requests.json", form).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.post(f"{BASE}/requests.json", form).status_code == 200
    sql = [q["sql"] for q in queries]
    assert sum("core_version" in q for q in sql) == 1
    assert not any("registry_regionsettings" in q or "registry_calendaroverride" in q or "registry_territory" in q
                   or "registry_category" in q for q in sql)
    assert sum(q.startswith("INSERT INTO \"appeals_appeal\"") for q in sql) == 1


def test_a_revoked_or_regenerated_key_stops_at_once_though_keys_are_kept_by_the_process(client, citizens):
    from otklik.intake.models import ApiKey
    from otklik.intake.services import api_key_create, api_key_regenerate

    key, raw = api_key_create(name="Приложение")
    form = {"api_key": raw, "service_code": citizens.heating.code, "lat": "55.7", "long": "37.6",
            "description": "Холодно в квартире"}
    assert client.post(f"{BASE}/requests.json", form).status_code == 200
    new_raw = api_key_regenerate(key=key)
    assert client.post(f"{BASE}/requests.json", form).status_code == 403
    assert client.post(f"{BASE}/requests.json", {**form, "api_key": new_raw}).status_code == 200
    key = ApiKey.objects.get(pk=key.pk)
    key.is_active = False
    key.save()
    assert client.post(f"{BASE}/requests.json", {**form, "api_key": new_raw}).status_code == 403
    assert ApiKey.objects.get(pk=key.pk).last_used_at is not None
