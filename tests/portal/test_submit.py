import io
import re
import uuid

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from otklik.appeals.lifecycle import State
from otklik.appeals.models import Appeal
from otklik.intake.models import Attachment, ConsentText, Submission
from tests.intake.conftest import jpeg_with_gps, png_bytes

pytestmark = pytest.mark.django_db


def form_data(c, **overrides):
    data = {
        "category": str(c.potholes.pk), "text": "Глубокая яма у дома 5 на улице Ленина, машины бьют колёса.",
        "address": "ул. Ленина, 5", "latitude": "55.7512", "longitude": "37.6184", "name": "Иван Петров",
        "email": "ivan@example.org", "phone": "+7 912 345-67-89", "consent": "on", "consent_version": "1",
        "intake_key": uuid.uuid4().hex,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_it_shows_the_form_with_the_category_tree_and_deadlines(client, citizens):
    response = client.get("/submit/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<optgroup label="Дороги">' in html
    assert re.search(r"Ямы на дороге \(ответ в течение 30 дней\)", html)
    assert re.search(r"Нет отопления \(ответ в течение 10 дней\)", html)
    # A parent with subcategories is not a choice of its own.
    assert f'<option value="{citizens.roads.pk}" data-days' not in html
    assert f'<option value="{citizens.potholes.pk}" data-days' in html
    assert re.search(r'name="intake_key" value="[0-9a-f]{32}"', html)


def test_it_registers_a_message_and_shows_the_receipt_with_number_and_deadline(
    client, citizens, django_capture_on_commit_callbacks
):
    photo = SimpleUploadedFile("IMG_0001.jpg", jpeg_with_gps(), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/submit/", {**form_data(citizens), "files": [photo]})
    appeal = Appeal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/receipt/{appeal.number}/?key={appeal.access_token}"
    assert appeal.state == State.MODERATION and appeal.category == citizens.potholes
    assert appeal.territory == citizens.territory  # found from the map point
    assert (appeal.latitude, appeal.longitude) == (55.7512, 37.6184)
    submission = Submission.objects.get(appeal=appeal)
    assert submission.source == "portal" and submission.consent.version == "1" and submission.consent_at
    assert Attachment.objects.get(appeal=appeal).kind == "image"
    receipt = client.get(response["Location"]).content.decode()
    assert appeal.number in receipt and appeal.due_at.astimezone().strftime("%d.%m.%Y") in receipt
    assert f"/track/{appeal.number}/?key={appeal.access_token}" in receipt
    letter = mail.outbox[-1]
    assert appeal.number in letter.subject and f"/track/{appeal.number}/?key={appeal.access_token}" in letter.body


def test_it_does_not_create_a_second_appeal_on_a_repeated_submit(client, citizens):
    data = form_data(citizens)
    first = client.post("/submit/", data)
    second = client.post("/submit/", data)
    assert Appeal.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_it_marks_each_invalid_field_in_russian_and_keeps_the_rest(client, citizens):
    data = form_data(citizens, category="", text="Коротко", email="не-почта", phone="звоните", consent=None,
                     name="")
    response = client.post("/submit/", data)
    html = response.content.decode()
    assert response.status_code == 400
    assert Appeal.objects.count() == 0
    expected = {
        "id_category": "Выберите, к чему относится проблема.",
        "id_text": "Опишите проблему чуть подробнее (не меньше 10 символов).",
        "id_email": "Введите правильный e-mail, например name@example.ru.",
        "id_phone": "Введите телефон цифрами, например +7 912 345-67-89.",
        "id_consent": "Без согласия на обработку персональных данных сообщение не может быть принято.",
        "id_name": "Укажите ваше имя: ответ будет адресован вам.",
    }
    for field_id, message in expected.items():
        assert f'<p class="field-error" id="{field_id}-error">{message}</p>' in html, field_id
    # What was typed is still there.
    assert ">Коротко</textarea>" in html
    assert 'value="ул. Ленина, 5"' in html and 'value="не-почта"' in html
    assert f'name="intake_key" value="{data["intake_key"]}"' in html


def test_it_refuses_an_oversized_upload_and_keeps_the_text(client, citizens, settings):
    settings.PORTAL_UPLOAD_MAX_BYTES = 1024
    big = SimpleUploadedFile("big.png", png_bytes() + b"\0" * 2048, content_type="image/png")
    response = client.post("/submit/", {**form_data(citizens), "files": [big]})
    html = response.content.decode()
    assert response.status_code == 400 and Appeal.objects.count() == 0
    assert "«big.png» слишком большой" in html
    assert "Глубокая яма у дома 5 на улице Ленина" in html


def test_it_refuses_a_wrongly_typed_upload_keeps_the_good_one_and_the_text(client, citizens):
    data = form_data(citizens)
    fake = SimpleUploadedFile("virus.jpg", b"MZ\x90\x00 not a picture", content_type="image/jpeg")
    good = SimpleUploadedFile("photo.png", png_bytes(), content_type="image/png")
    response = client.post("/submit/", {**data, "files": [fake, good]})
    html = response.content.decode()
    assert response.status_code == 400
    assert "«virus.jpg»: такие файлы не принимаются" in html
    assert "photo.png" in html  # listed as already attached
    assert "Глубокая яма у дома 5" in html
    # Sending the form again (without re-uploading) keeps the good file.
    response = client.post("/submit/", data)
    appeal = Appeal.objects.get()
    assert [a.original_name for a in appeal.attachments.all()] == ["photo.png"]


def test_it_strips_exif_and_gps_from_photos(client, citizens):
    photo = SimpleUploadedFile("IMG_0001.jpg", jpeg_with_gps(), content_type="image/jpeg")
    client.post("/submit/", {**form_data(citizens), "files": [photo]})
    stored = Attachment.objects.get()
    with stored.file.open("rb") as fh:
        data = fh.read()
    image = Image.open(io.BytesIO(data))
    assert not image.getexif()
    assert b"Secret Phone" not in data
    assert image.size == (30, 40)  # the orientation was applied before the metadata went
    assert not stored.file.name.endswith("IMG_0001.jpg")


def test_it_records_the_version_of_the_consent_the_citizen_saw(client, citizens):
    ConsentText.objects.create(version="2026-11", text="Согласие, редакция ноября")
    page = client.get("/submit/").content.decode()
    assert 'name="consent_version" value="2026-11"' in page and "редакция ноября" in page
    client.post("/submit/", form_data(citizens, consent_version="2026-11"))
    assert Submission.objects.get().consent.version == "2026-11"


def test_it_lets_the_widget_preselect_the_organisation(client, citizens):
    other = citizens.org.__class__.objects.create(name="Другая организация", kind="other")
    page = client.get(f"/submit/?org={citizens.org.pk}&embed=1")
    html = page.content.decode()
    assert "Администрация Тестовска" in html
    assert "X-Frame-Options" not in page
    assert 'name="csrfmiddlewaretoken"' not in html
    response = client.post(f"/submit/?embed=1&org={citizens.org.pk}",
                           {**form_data(citizens), "embed": "1", "organization": str(citizens.org.pk)})
    appeal = Appeal.objects.get()
    assert response.status_code == 302 and "embed=1" in response["Location"]
    assert appeal.channel == "widget" and appeal.submission.organization == citizens.org
    assert other.pk != citizens.org.pk


def test_it_checks_csrf_outside_the_widget(citizens):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/submit/", form_data(citizens))
    assert response.status_code == 403 and Appeal.objects.count() == 0


def test_it_serves_the_widget_script(client, citizens):
    response = client.get("/widget.js")
    body = response.content.decode()
    assert response["Content-Type"].startswith("application/javascript")
    assert "/submit/?embed=1" in body and "data-org" in body
    help_page = client.get(f"/widget/?org={citizens.org.pk}").content.decode()
    assert f'data-org="{citizens.org.pk}"' in help_page and f"org={citizens.org.pk}" in help_page
