import pytest

from otklik.appeals.lifecycle import State
from otklik.appeals.models import Appeal
from otklik.appeals.services import NewAppeal
from otklik.intake.models import Attachment
from otklik.intake.services import intake_submit
from tests.intake.conftest import advance

pytestmark = pytest.mark.django_db


def new_appeal(c, **extra):
    intake_key = extra.pop("intake_key", "p:1")
    fields = {"text": "Яма у дома 3, Иван Петров, +7 912 111-22-33", "category": c.potholes,
              "applicant_name": "Иван Петров", "applicant_email": "ivan@example.org", "latitude": 55.75,
              "longitude": 37.6, "address": "ул. Мира, 3"}
    fields.update(extra)
    return intake_submit(NewAppeal(**fields), source="portal", intake_key=intake_key)


def test_it_shows_the_tracking_page_only_with_the_secret_key(client, citizens):
    appeal = new_appeal(citizens)
    ok = client.get(f"/track/{appeal.number}/?key={appeal.access_token}")
    assert ok.status_code == 200 and "Проверяется модератором" in ok.content.decode()
    for bad in ("", "?key=wrong"):
        response = client.get(f"/track/{appeal.number}/{bad}")
        assert response.status_code == 404 and "Яма у дома 3" not in response.content.decode()


def test_it_finds_a_message_by_number_and_key(client, citizens):
    appeal = new_appeal(citizens)
    found = client.get("/track/", {"number": appeal.number, "key": appeal.access_token})
    assert found.status_code == 302 and found["Location"] == f"/track/{appeal.number}/?key={appeal.access_token}"
    missing = client.get("/track/", {"number": appeal.number, "key": "nope"})
    assert missing.status_code == 404 and "Сообщения с таким номером и ключом нет" in missing.content.decode()


def test_it_rates_and_closes_a_satisfactory_answer(client, citizens):
    appeal = advance(new_appeal(citizens), citizens, to="published")
    response = client.post(f"/track/{appeal.number}/rate/", {"key": appeal.access_token, "rating": "5"})
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.state == State.CLOSED and appeal.rating == 5
    page = client.get(response["Location"]).content.decode()
    assert "Спасибо за оценку." in page and "Ваша оценка: 5 из 5" in page and 'id="rate"' not in page


def test_it_starts_reconsideration_on_an_unsatisfactory_rating_with_a_comment(client, citizens):
    appeal = advance(new_appeal(citizens), citizens, to="published")
    refused = client.post(f"/track/{appeal.number}/rate/", {"key": appeal.access_token, "rating": "2"})
    assert refused.status_code == 400
    assert '<p class="field-error" id="id_comment-error">Укажите, чем вас не устроил ответ.</p>' in (
        refused.content.decode())
    client.post(f"/track/{appeal.number}/rate/", {"key": appeal.access_token, "rating": "2",
                                                  "comment": "Яма осталась"})
    appeal.refresh_from_db()
    assert appeal.state == State.EXECUTION and appeal.reconsideration_count == 1


def test_it_refuses_a_rating_without_the_key(client, citizens):
    appeal = advance(new_appeal(citizens), citizens, to="published")
    assert client.post(f"/track/{appeal.number}/rate/", {"key": "x", "rating": "5"}).status_code == 404
    assert Appeal.objects.get().state == State.ANSWERED


def test_it_serves_attachments_only_with_the_key(client, citizens):
    from django.core.files.base import ContentFile

    appeal = new_appeal(citizens)
    item = Attachment(appeal=appeal, kind="document", content_type="application/pdf", original_name="акт.pdf")
    item.file.save("x.pdf", ContentFile(b"%PDF-1.4 test"))
    ok = client.get(f"/track/{appeal.number}/files/{item.pk}/?key={appeal.access_token}")
    assert ok.status_code == 200 and ok["Content-Type"] == "application/pdf"
    assert ok["X-Content-Type-Options"] == "nosniff" and "attachment" in ok["Content-Disposition"]
    assert client.get(f"/track/{appeal.number}/files/{item.pk}/?key=bad").status_code == 404


def test_it_publishes_answered_public_appeals_without_personal_data(client, citizens):
    public = advance(new_appeal(citizens), citizens, to="published")
    private = advance(new_appeal(citizens, intake_key="p:2", category=citizens.private, text="Личная тема"),
                      citizens, to="published")
    listing = client.get("/public/").content.decode()
    assert public.number in listing and private.number not in listing
    assert "Петров" not in listing and "912" not in listing and "ivan@example.org" not in listing
    assert "Яма заделана 12 мая." in listing
    detail = client.get(f"/public/{public.number}/").content.decode()
    assert "Петров" not in detail and "[имя скрыто]" in detail and "[телефон скрыт]" in detail
    assert client.get(f"/public/{private.number}/").status_code == 404


def test_it_hides_messages_before_moderation_from_the_public(client, citizens):
    appeal = new_appeal(citizens)
    assert client.get(f"/public/{appeal.number}/").status_code == 404
    assert client.get("/public/map.json").json()["features"] == []


def test_it_maps_public_appeals(client, citizens):
    appeal = advance(new_appeal(citizens), citizens, to="accept")
    data = client.get("/public/map.json").json()
    feature = data["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [37.6, 55.75]}
    assert feature["properties"]["number"] == appeal.number and feature["properties"]["open"] is True
    assert "Петров" not in str(data)
    page = client.get("/public/map/").content.decode()
    assert "/static/leaflet/leaflet.js" in page and 'data-url="/public/map.json"' in page


def test_it_suggests_open_appeals_nearby_in_the_same_category(client, citizens):
    near = advance(new_appeal(citizens), citizens, to="accept")
    far = advance(new_appeal(citizens, intake_key="p:3", latitude=55.80), citizens, to="accept")
    other = advance(new_appeal(citizens, intake_key="p:4", category=citizens.heating), citizens, to="accept")
    data = client.get("/submit/nearby.json", {"category": citizens.potholes.pk, "lat": "55.7502",
                                              "lon": "37.6001"}).json()
    assert [item["number"] for item in data["items"]] == [near.number]
    item = data["items"][0]
    assert item["distance_m"] < 50 and item["url"] == f"/public/{near.number}/"
    assert "Петров" not in item["text"]
    assert far.number != other.number
    assert client.get("/submit/nearby.json", {"category": "x"}).json()["items"] == []
    assert data["inside"] is True and data["territory"]["name"] == citizens.territory.name


def test_it_lets_a_neighbour_join_an_open_appeal(client, citizens):
    appeal = advance(new_appeal(citizens), citizens, to="accept")
    bad = client.post(f"/public/{appeal.number}/", {"email": "не почта"})
    assert bad.status_code == 400 and "Введите правильный e-mail" in bad.content.decode()
    client.post(f"/public/{appeal.number}/", {"email": "Sosed@example.org"})
    client.post(f"/public/{appeal.number}/", {"email": "sosed@example.org"})
    assert list(appeal.followers.values_list("email", flat=True)) == ["sosed@example.org"]
    assert "присоединился 1 человек" in client.get(f"/public/{appeal.number}/").content.decode()


def test_the_receipt_and_the_tracking_page_explain_the_answer_term(client, citizens):
    appeal = new_appeal(citizens)
    receipt = client.get(f"/receipt/{appeal.number}/?key={appeal.access_token}").content.decode()
    expected = ("зарегистрировано 02.12.2026; 30 календарных дней → 01.01.2027, это выходной по "
                "производственному календарю → 11.01.2027")
    assert expected in receipt
    appeal = advance(appeal, citizens, to="assign")
    page = client.get(f"/track/{appeal.number}/?key={appeal.access_token}").content.decode()
    assert "Как посчитаны сроки" in page and expected in page


def test_the_tracking_page_explains_postponement_extension_and_the_resolution_date(client, citizens):
    import datetime as dt

    from django.utils import timezone


    appeal = advance(new_appeal(citizens), citizens, to="postpone")
    page = client.get(f"/track/{appeal.number}/?key={appeal.access_token}").content.decode()
    until = (timezone.localdate() + dt.timedelta(days=45)).strftime("%d.%m.%Y")
    assert f"02.12.2026 организация перенесла ответ на названную ею дату: {until}" in page
    appeal = advance(appeal, citizens, frm="intermediate", to="published")
    Appeal.objects.filter(pk=appeal.pk).update(resolution_on=dt.date(2027, 2, 1), answered_at=timezone.now())
    page = client.get(f"/track/{appeal.number}/?key={appeal.access_token}").content.decode()
    assert "в ответе от 02.12.2026 обещано решить проблему до 01.02.2027" in page


def test_the_tracking_page_explains_the_reconsideration_term(client, citizens):
    appeal = advance(new_appeal(citizens), citizens, to="published")
    client.post(f"/track/{appeal.number}/rate/", {"key": appeal.access_token, "rating": "1",
                                                  "comment": "Яма осталась"})
    appeal.refresh_from_db()
    assert appeal.reconsideration_count == 1
    page = client.get(f"/track/{appeal.number}/?key={appeal.access_token}").content.decode()
    assert "Срок повторного рассмотрения" in page
    assert "повторное рассмотрение с 02.12.2026; срок региона для повторного рассмотрения — 30 календарных" in page
