"""Conformance of /open311/v2/ with GeoReport v2: every method, both formats, every error of the spec."""

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest
import time_machine
from django.utils import timezone

from otklik.appeals import services as s
from otklik.appeals.lifecycle import Regime, State
from otklik.appeals.models import Appeal
from otklik.appeals.services import NewAppeal
from otklik.intake.models import Attachment, ServiceAttribute, Submission
from otklik.intake.services import api_key_create, intake_submit
from tests.intake.conftest import advance

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"


@pytest.fixture
def key(citizens):
    return api_key_create(name="Мобильное приложение")[1]


@pytest.fixture
def attrs(citizens):
    ServiceAttribute.objects.create(category=citizens.potholes, code="SIZE", datatype="singlevaluelist", required=True,
                                    order=1, description="Размер ямы",
                                    values=[{"key": "small", "name": "Маленькая"}, {"key": "big", "name": "Большая"}])
    ServiceAttribute.objects.create(category=citizens.potholes, code="DEPTH", datatype="number", required=False,
                                    order=2, description="Глубина, см")
    ServiceAttribute.objects.create(category=citizens.potholes, code="LANES", datatype="multivaluelist", order=3,
                                    description="Полосы", values=[{"key": "1", "name": "Левая"},
                                                                  {"key": "2", "name": "Правая"}])


def parse(response, fmt):
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        return json.loads(response.content)
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def xml_items(root, item):
    return [{child.tag: child for child in node} for node in root.findall(item)]


def errors_of(response, fmt):
    data = parse(response, fmt)
    if fmt == "json":
        assert all(set(e) == {"code", "description"} for e in data)
        return [(e["code"], e["description"]) for e in data]
    assert data.tag == "errors"
    return [(int(e.findtext("code")), e.findtext("description")) for e in data.findall("error")]


def submit_public(c, text="Яма у школы", *, lat=55.75, lon=37.61, category=None, **extra):
    appeal = intake_submit(NewAppeal(text=text, category=category or c.potholes, latitude=lat, longitude=lon,
                                     address="ул. Мира, 1", applicant_name="Пётр Сидоров",
                                     applicant_email="petr@example.org", **extra),
                           source="portal", intake_key=f"t:{text}:{lat}")
    return advance(appeal, c, to="accept")


# --- discovery ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_it_describes_itself_in_discovery(client, citizens, fmt):
    data = parse(client.get(f"{BASE}/discovery.{fmt}"), fmt)
    if fmt == "json":
        endpoint = data["endpoints"][0]
        assert {"changeset", "contact", "key_service", "endpoints"} <= set(data)
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["url"] == "http://testserver/open311/v2" and endpoint["type"] == "production"
        assert endpoint["formats"] == ["text/xml", "application/json"]
    else:
        assert data.tag == "discovery"
        endpoint = data.find("endpoints/endpoint")
        assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
        assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]


# --- services -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_it_lists_leaf_categories_as_services(client, citizens, attrs, fmt):
    data = parse(client.get(f"{BASE}/services.{fmt}"), fmt)
    if fmt == "xml":
        assert data.tag == "services"
        data = [{k: v.text for k, v in row.items()} for row in xml_items(data, "service")]
        for row in data:
            row["metadata"] = row["metadata"] == "true"
    by_code = {row["service_code"]: row for row in data}
    assert citizens.roads.code not in by_code  # a group, not a service
    pothole = by_code[citizens.potholes.code]
    assert pothole["service_name"] == "Ямы на дороге" and pothole["group"] == "Дороги"
    assert pothole["metadata"] is True and pothole["type"] == "realtime"
    assert pothole["keywords"] == "яма, выбоина, асфальт"
    assert by_code[citizens.heating.code]["metadata"] is False
    assert "10" in by_code[citizens.heating.code]["description"]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_it_gives_a_service_definition_with_attributes(client, citizens, attrs, fmt):
    data = parse(client.get(f"{BASE}/services/{citizens.potholes.code}.{fmt}"), fmt)
    if fmt == "json":
        assert data["service_code"] == citizens.potholes.code
        size = data["attributes"][0]
        assert size == {"variable": True, "code": "SIZE", "datatype": "singlevaluelist", "required": True,
                        "datatype_description": None, "order": 1, "description": "Размер ямы",
                        "values": [{"key": "small", "name": "Маленькая"}, {"key": "big", "name": "Большая"}]}
        assert [a["code"] for a in data["attributes"]] == ["SIZE", "DEPTH", "LANES"]
    else:
        assert data.tag == "service_definition"
        size = data.find("attributes/attribute")
        assert size.findtext("code") == "SIZE" and size.findtext("required") == "true"
        assert [v.findtext("key") for v in size.findall("values/value")] == ["small", "big"]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_it_answers_404_for_an_unknown_service_code(client, citizens, fmt):
    response = client.get(f"{BASE}/services/NOPE.{fmt}")
    assert response.status_code == 404
    assert errors_of(response, fmt) == [(404, "service_code «NOPE» не найден.")]


# --- POST requests --------------------------------------------------------------------------------


def post(client, fmt, data, **headers):
    return client.post(f"{BASE}/requests.{fmt}", data, **headers)


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_it_creates_a_request_and_returns_its_id(client, citizens, attrs, key, fmt):
    response = post(client, fmt, {
        "api_key": key, "service_code": citizens.potholes.code, "lat": "55.75", "long": "37.61",
        "address_string": "ул. Ленина, 5", "email": "anna@example.org", "first_name": "Анна", "last_name": "Иванова",
        "phone": "+79123456789", "description": "Большая яма", "device_id": "dev-1", "account_id": "acc-7",
        "media_url": "https://example.org/p.jpg", "attribute[SIZE]": "big", "attribute[DEPTH]": "12",
        "attribute[LANES][]": ["1", "2"],
    })
    assert response.status_code == 200
    appeal = Appeal.objects.get()
    data = parse(response, fmt)
    if fmt == "json":
        assert data == [{"service_request_id": appeal.number, "service_notice": data[0]["service_notice"],
                         "account_id": "acc-7"}]
        assert "token" not in data[0]
    else:
        assert data.find("request/service_request_id").text == appeal.number
        assert data.find("request/token") is None
    assert appeal.channel == "open311" and appeal.state == State.MODERATION
    assert appeal.applicant_name == "Анна Иванова" and appeal.applicant_email == "anna@example.org"
    assert appeal.territory == citizens.territory and appeal.text == "Большая яма"
    submission = Submission.objects.get(appeal=appeal)
    assert submission.attributes == {"SIZE": "big", "DEPTH": "12", "LANES": ["1", "2"]}
    assert submission.device_id == "dev-1" and submission.api_key.name == "Мобильное приложение"
    assert Attachment.objects.get(appeal=appeal).url == "https://example.org/p.jpg"


def test_it_accepts_an_address_instead_of_a_point(client, citizens, key):
    response = post(client, "json", {"api_key": key, "service_code": citizens.heating.code,
                                     "address_string": "ул. Мира, 3, кв. 7"})
    assert response.status_code == 200
    appeal = Appeal.objects.get()
    assert appeal.latitude is None and appeal.address == "ул. Мира, 3, кв. 7"
    assert appeal.text == "Нет отопления"  # no description: the service name stands for it


def test_it_returns_a_token_in_batch_mode_and_resolves_it(client, citizens, key, settings):
    settings.OPEN311_SERVICE_TYPE = "batch"
    services = json.loads(client.get(f"{BASE}/services.json").content)
    assert {s["type"] for s in services} == {"batch"}
    data = json.loads(post(client, "json", {"api_key": key, "service_code": citizens.heating.code,
                                            "lat": "55.7", "long": "37.6"}).content)
    assert "service_request_id" not in data[0]
    token = data[0]["token"]
    appeal = Appeal.objects.get()
    for fmt in ("xml", "json"):
        resolved = parse(client.get(f"{BASE}/tokens/{token}.{fmt}"), fmt)
        if fmt == "json":
            assert resolved == [{"service_request_id": appeal.number, "token": token}]
        else:
            assert resolved.find("request/service_request_id").text == appeal.number
            assert resolved.find("request/token").text == token


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_it_answers_404_for_an_unknown_token(client, citizens, fmt):
    response = client.get(f"{BASE}/tokens/deadbeef.{fmt}")
    assert response.status_code == 404 and errors_of(response, fmt)[0][0] == 404


def test_it_does_not_create_twice_with_the_same_idempotency_key(client, citizens, key):
    data = {"api_key": key, "service_code": citizens.heating.code, "lat": "55.7", "long": "37.6"}
    first = post(client, "json", data, HTTP_IDEMPOTENCY_KEY="abc-1")
    second = post(client, "json", data, HTTP_IDEMPOTENCY_KEY="abc-1")
    assert Appeal.objects.count() == 1
    assert json.loads(first.content)[0]["service_request_id"] == json.loads(second.content)[0]["service_request_id"]


@pytest.mark.parametrize("fmt", ["xml", "json"])
@pytest.mark.parametrize(("data", "status", "message"), [
    ({}, 403, "api_key не передан: для POST нужен ключ."),
    ({"api_key": "wrong"}, 403, "Неверный api_key: запрос не может быть создан."),
    ({"api_key": "KEY"}, 400, "service_code не передан."),
    ({"api_key": "KEY", "service_code": "NOPE", "lat": "1", "long": "1"}, 404, "service_code «NOPE» не найден."),
    ({"api_key": "KEY", "service_code": "HEAT"}, 400,
     "Нужно место: lat и long, address_string или address_id."),
    ({"api_key": "KEY", "service_code": "HEAT", "lat": "55.7"}, 400, "lat и long передаются вместе."),
    ({"api_key": "KEY", "service_code": "HEAT", "lat": "north", "long": "37"}, 400, "lat должно быть числом."),
    ({"api_key": "KEY", "service_code": "HEAT", "lat": "95", "long": "37"}, 400, "lat вне допустимого диапазона."),
    ({"api_key": "KEY", "service_code": "HEAT", "address_string": "x", "description": "я" * 4001}, 400,
     "description длиннее 4000 символов."),
    ({"api_key": "KEY", "service_code": "HEAT", "address_string": "x", "email": "nope"}, 400,
     "email — неправильный адрес электронной почты."),
    ({"api_key": "KEY", "service_code": "HEAT", "address_string": "x", "media_url": "ftp://x"}, 400,
     "media_url — неправильная ссылка http(s)."),
    ({"api_key": "KEY", "service_code": "PIT", "address_string": "x"}, 400,
     "attribute[SIZE] обязателен: Размер ямы"),
    ({"api_key": "KEY", "service_code": "PIT", "address_string": "x", "attribute[SIZE]": "huge"}, 400,
     "attribute[SIZE]: неизвестное значение «huge»."),
    ({"api_key": "KEY", "service_code": "PIT", "address_string": "x", "attribute[SIZE]": "big",
      "attribute[DEPTH]": "deep"}, 400, "attribute[DEPTH] должно быть числом."),
    ({"api_key": "KEY", "service_code": "ROADS", "address_string": "x"}, 400,
     "service_code «ROADS» — это группа: выберите одну из её услуг."),
    ({"api_key": "KEY", "service_code": "HEAT", "address_string": "x", "jurisdiction_id": "other.ru"}, 404,
     "jurisdiction_id «other.ru» не найден."),
])
def test_it_refuses_bad_posts_as_the_spec_says(client, citizens, attrs, key, fmt, data, status, message):
    codes = {"HEAT": citizens.heating.code, "PIT": citizens.potholes.code, "ROADS": citizens.roads.code}
    data = {k: (key if v == "KEY" else codes.get(v, v)) for k, v in data.items()}
    message = message.replace("ROADS", citizens.roads.code)
    response = post(client, fmt, data)
    assert response.status_code == status
    assert message in [text for _code, text in errors_of(response, fmt)]
    assert Appeal.objects.count() == 0


def test_it_reports_every_bad_field_at_once(client, citizens, key):
    response = post(client, "json", {"api_key": key, "service_code": citizens.heating.code, "lat": "1",
                                     "email": "x", "description": "я" * 4001})
    assert len(errors_of(response, "json")) == 3


def test_it_does_not_accept_a_key_that_was_switched_off(client, citizens, key):
    from otklik.intake.models import ApiKey

    ApiKey.objects.update(is_active=False)
    response = post(client, "json", {"api_key": key, "service_code": citizens.heating.code, "address_string": "x"})
    assert response.status_code == 403


# --- GET requests ---------------------------------------------------------------------------------


def numbers(client, fmt="json", **params):
    response = client.get(f"{BASE}/requests.{fmt}", params)
    assert response.status_code == 200, response.content
    data = parse(response, fmt)
    if fmt == "json":
        return [row["service_request_id"] for row in data]
    return [node.findtext("service_request_id") for node in data.findall("request")]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_it_lists_public_requests_with_our_state_and_deadline(client, citizens, fmt):
    appeal = submit_public(citizens)
    hidden_new = intake_submit(NewAppeal(text="Ещё не проверено", category=citizens.potholes), source="portal",
                               intake_key="t:new")
    hidden_private = submit_public(citizens, "Закрытая тема", category=citizens.private)
    data = parse(client.get(f"{BASE}/requests.{fmt}"), fmt)
    if fmt == "json":
        assert [r["service_request_id"] for r in data] == [appeal.number]
        row = data[0]
    else:
        assert data.tag == "service_requests"
        row = {k: v.text for k, v in xml_items(data, "request")[0].items()}
        row["lat"], row["long"] = float(row["lat"]), float(row["long"])
    appeal.refresh_from_db()
    assert row["status"] == "open" and row["status_notes"] == "координация"
    assert row["service_code"] == citizens.potholes.code and row["service_name"] == "Ямы на дороге"
    assert row["agency_responsible"] == "Администрация Тестовска"
    assert row["expected_datetime"] == timezone.localtime(appeal.due_at).isoformat(timespec="seconds")
    assert row["requested_datetime"] == timezone.localtime(appeal.received_at).isoformat(timespec="seconds")
    assert row["lat"] == 55.75 and row["long"] == 37.61 and row["address"] == "ул. Мира, 1"
    assert row["description"] == "Яма у школы"
    assert hidden_new.number not in str(data) and hidden_private.number not in str(data)


def test_it_shows_the_postponed_date_as_expected_and_closed_status(client, citizens):
    postponed = submit_public(citizens, "Отложенная")
    advance(postponed, citizens, frm="assign", to="postpone")
    answered = submit_public(citizens, "Отвеченная", lat=55.76)
    advance(answered, citizens, frm="assign", to="published")
    s.appeal_rate(appeal_id=answered.pk, rating=5, token=Appeal.objects.get(pk=answered.pk).access_token)
    rows = {r["service_request_id"]: r for r in json.loads(client.get(f"{BASE}/requests.json").content)}
    postponed.refresh_from_db()
    row = rows[postponed.number]
    assert row["status"] == "open" and row["status_notes"].startswith("отложено до ")
    assert row["expected_datetime"].startswith(postponed.postponed_until.isoformat() + "T23:59:59")
    closed = rows[answered.number]
    assert closed["status"] == "closed" and closed["status_notes"] == "закрыто"
    answered.refresh_from_db()
    assert closed["updated_datetime"] == timezone.localtime(answered.closed_at).isoformat(timespec="seconds")


def test_it_filters_by_every_argument_of_the_spec(client, citizens):
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC), tick=False):
        march = submit_public(citizens, "Мартовская")
    with time_machine.travel(dt.datetime(2026, 5, 10, 10, tzinfo=dt.UTC), tick=False):
        may = submit_public(citizens, "Майская", lat=55.751)
        heat = submit_public(citizens, "Холодно", lat=55.752, category=citizens.heating)
        advance(heat, citizens, frm="assign", to="published")
        s.appeal_rate(appeal_id=heat.pk, rating=4, token=Appeal.objects.get(pk=heat.pk).access_token)
    with time_machine.travel(dt.datetime(2026, 5, 20, 10, tzinfo=dt.UTC), tick=False):
        assert set(numbers(client)) == {march.number, may.number, heat.number}  # default: the last 90 days
        assert numbers(client, service_code=citizens.heating.code) == [heat.number]
        assert set(numbers(client, service_code=f"{citizens.heating.code},{citizens.potholes.code}")) == {
            march.number, may.number, heat.number}
        assert set(numbers(client, status="open")) == {march.number, may.number}
        assert numbers(client, status="closed") == [heat.number]
        assert set(numbers(client, status="open,closed")) == {march.number, may.number, heat.number}
        assert numbers(client, start_date="2026-03-01T00:00:00Z", end_date="2026-03-31T00:00:00+03:00") == [
            march.number]
        assert set(numbers(client, start_date="2026-05-01")) == {may.number, heat.number}
        assert numbers(client, end_date="2026-03-05T00:00:00Z") == [march.number]
        # service_request_id overrides everything else.
        assert set(numbers(client, service_request_id=f"{march.number},{heat.number}", status="open",
                           service_code="NOPE")) == {march.number, heat.number}
        # An empty argument is the same as no argument.
        assert set(numbers(client, status="", service_code="", start_date="")) == {march.number, may.number,
                                                                                   heat.number}
        assert numbers(client, page_size="1") == [heat.number]
        assert numbers(client, page_size="1", page="3") == [march.number]
        assert set(numbers(client, jurisdiction_id="127.0.0.1")) == {march.number, may.number, heat.number}


@pytest.mark.parametrize("fmt", ["xml", "json"])
@pytest.mark.parametrize(("params", "status", "message"), [
    ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, 400,
     "Диапазон дат не может быть больше 90 дней."),
    ({"start_date": "вчера"}, 400, "start_date должна быть датой и временем в формате W3C, например "
                                   "2010-01-01T00:00:00Z."),
    ({"end_date": "2026-13-01"}, 400, "end_date должна быть датой и временем в формате W3C, например "
                                      "2010-01-01T00:00:00Z."),
    ({"start_date": "2026-05-01", "end_date": "2026-04-01"}, 400, "end_date раньше, чем start_date."),
    ({"status": "fixed"}, 400, "status может быть open или closed, а не «fixed»."),
    ({"page_size": "5000"}, 400, "page_size должно быть целым числом от 1 до 1000."),
    ({"jurisdiction_id": "sfgov.org"}, 404, "jurisdiction_id «sfgov.org» не найден."),
])
def test_it_refuses_bad_queries_as_the_spec_says(client, citizens, fmt, params, status, message):
    response = client.get(f"{BASE}/requests.{fmt}", params)
    assert response.status_code == status
    assert errors_of(response, fmt) == [(status, message)]


def test_it_returns_at_most_1000_requests(client, citizens, settings):
    from otklik.intake import open311

    settings.DEBUG = False
    open311.MAX_RESULTS, saved = 2, open311.MAX_RESULTS
    try:
        for i in range(3):
            submit_public(citizens, f"Яма {i}", lat=55.7 + i / 100)
        assert len(numbers(client)) == 2
    finally:
        open311.MAX_RESULTS = saved


# --- GET request ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_it_returns_one_request_in_a_list(client, citizens, fmt):
    appeal = submit_public(citizens)
    data = parse(client.get(f"{BASE}/requests/{appeal.number}.{fmt}"), fmt)
    if fmt == "json":
        assert len(data) == 1 and data[0]["service_request_id"] == appeal.number
        assert data[0]["description"] == "Яма у школы"
    else:
        assert data.tag == "service_requests" and len(data.findall("request")) == 1
        assert data.findtext("request/service_request_id") == appeal.number


def test_it_shows_the_status_but_not_the_content_of_a_request_before_moderation(client, citizens, key):
    created = json.loads(post(client, "json", {"api_key": key, "service_code": citizens.heating.code,
                                               "lat": "55.7", "long": "37.6", "description": "Холодно, кв. 5",
                                               "email": "me@example.org"}).content)
    number = created[0]["service_request_id"]
    row = json.loads(client.get(f"{BASE}/requests/{number}.json").content)[0]
    assert row["status"] == "open" and row["status_notes"] == "модерация"
    assert row["description"] is None and row["lat"] is None and row["address"] is None
    assert row["expected_datetime"]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_it_answers_404_for_an_unknown_or_private_request(client, citizens, fmt):
    letter = s.appeal_submit(text="Письмо по 59-ФЗ", regime=Regime.FZ59, applicant_name="Иванов",
                             applicant_email="i@example.org")
    for number in ("2026-999999", letter.number):
        response = client.get(f"{BASE}/requests/{number}.{fmt}")
        assert response.status_code == 404
        assert errors_of(response, fmt) == [(404, f"service_request_id «{number}» не найден.")]


def test_it_hides_personal_data_in_descriptions(client, citizens):
    appeal = submit_public(citizens, "Я, Пётр Сидоров, тел. +7 912 345-67-89, petr@example.org: яма")
    row = json.loads(client.get(f"{BASE}/requests/{appeal.number}.json").content)[0]
    assert "Сидоров" not in row["description"] and "912" not in row["description"]
    assert "petr@example.org" not in row["description"] and "яма" in row["description"]


# --- servicerequestupdates, general errors --------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_it_lists_updates_of_public_requests(client, citizens, fmt):
    appeal = submit_public(citizens)
    advance(appeal, citizens, frm="assign", to="published")
    data = parse(client.get(f"{BASE}/servicerequestupdates.{fmt}"), fmt)
    if fmt == "xml":
        assert data.tag == "service_request_updates"
        data = [{k: v.text for k, v in row.items()} for row in xml_items(data, "request_update")]
    mine = [u for u in data if u["service_request_id"] == appeal.number]
    assert [u["external_status_code"] for u in mine] == [
        "moderation", "coordination", "postponed", "postponed", "answered"]
    assert mine[-1]["description"] == "Яма заделана 12 мая." and mine[-1]["status"] == "closed"
    assert mine[3]["description"] == "Работы включены в план ремонта."
    assert all(u["update_id"] and u["updated_datetime"] for u in mine)


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_it_answers_404_in_the_spec_format_for_an_unknown_resource(client, citizens, fmt):
    response = client.get(f"{BASE}/nothing.{fmt}")
    assert response.status_code == 404 and errors_of(response, fmt)[0][0] == 404


def test_it_refuses_an_unsupported_method(client, citizens):
    response = client.delete(f"{BASE}/requests.json")
    assert response.status_code == 400 and response["Allow"] == "GET, POST"
    assert errors_of(response, "json")[0][0] == 400


def test_it_treats_an_appeal_state_change_as_an_update(client, citizens):
    appeal = submit_public(citizens)
    before = json.loads(client.get(f"{BASE}/requests/{appeal.number}.json").content)[0]["updated_datetime"]
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2)):
        advance(appeal, citizens, frm="assign", to="assign")
    after = json.loads(client.get(f"{BASE}/requests/{appeal.number}.json").content)[0]
    assert after["updated_datetime"] > before and after["status_notes"] == "исполнение"
