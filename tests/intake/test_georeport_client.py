"""End to end with a real Open311 client library from PyPI (georeport 0.3.1) against a live server.
georeport reads (services, definitions, requests) in JSON and XML but cannot create requests, so
the POST goes through requests exactly as the spec's example does (form-encoded, api_key)."""

import pytest
import requests
from georeport import GeoReport

from otklik.appeals import services as s
from otklik.appeals.models import Appeal
from otklik.intake.models import ServiceAttribute
from otklik.intake.services import api_key_create
from tests.intake.conftest import advance

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_serves_a_real_open311_client(live_server, citizens, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    ServiceAttribute.objects.create(category=citizens.potholes, code="SIZE", datatype="singlevaluelist", order=1,
                                    required=True, description="Размер",
                                    values=[{"key": "big", "name": "Большая"}, {"key": "small", "name": "Малая"}])
    key = api_key_create(name="Городское приложение")[1]
    root = live_server.url + "/open311/v2"
    json_client = GeoReport(root, jurisdiction="127.0.0.1", api_key=key)
    xml_client = GeoReport(root, jurisdiction="127.0.0.1", api_key=key, output_format="xml")

    services = json_client.get_service_list()
    codes = {row["service_code"] for row in services}
    assert {citizens.potholes.code, citizens.heating.code} <= codes
    xml_services = xml_client.get_service_list()
    assert {row["service_code"] for row in xml_services} == codes
    definition = json_client.get_service_definition(citizens.potholes.code)
    assert definition["attributes"][0]["code"] == "SIZE"
    xml_definition = xml_client.get_service_definition(citizens.potholes.code)
    assert xml_definition["attributes"]["attribute"]["values"]["value"][0]["key"] == "big"

    created = requests.post(f"{root}/requests.json", data={
        "api_key": key, "jurisdiction_id": "127.0.0.1", "service_code": citizens.potholes.code, "lat": "55.7",
        "long": "37.6", "address_string": "ул. Ленина, 1", "description": "Яма во всю полосу",
        "email": "driver@example.org", "attribute[SIZE]": "big"}, timeout=10)
    assert created.status_code == 200, created.text
    number = created.json()[0]["service_request_id"]
    refused = requests.post(f"{root}/requests.xml", data={"api_key": "wrong", "service_code": "x"}, timeout=10)
    assert refused.status_code == 403 and "<code>403</code>" in refused.text

    # Before moderation the submitter sees the status only.
    first = json_client.get_service_request(number)
    assert first["status"] == "open" and first["description"] is None

    appeal = Appeal.objects.get(number=number)
    advance(appeal, citizens, to="published")
    s.appeal_rate(appeal_id=appeal.pk, rating=4, token=Appeal.objects.get(pk=appeal.pk).access_token)

    row = json_client.get_service_request(number)
    assert row["status"] == "closed" and row["description"] == "Яма во всю полосу"
    assert row["agency_responsible"] == "Администрация Тестовска"
    xml_row = xml_client.get_service_request(number)
    assert xml_row["service_request_id"] == number and xml_row["status"] == "closed"
    listed = json_client.get_service_requests(status="closed", service_code=citizens.potholes.code)
    assert [r["service_request_id"] for r in listed] == [number]
    assert json_client.get_service_requests(status="open") == []
    by_id = xml_client.get_service_requests(service_request_id=number)
    assert by_id["service_request_id"] == number  # xmltodict gives one dict for a single request
    with pytest.raises(requests.HTTPError):
        json_client.get_service_request("2099-000001")
