"""Staff see the applicant's photos and files on the card, with the map of the point (point 9 of
issue 10), and a queue row holds number, age, deadline, category, a one-line text, place and holder
(point 10)."""

import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from otklik.intake.models import Attachment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def photo_bytes(size=(1200, 900)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


def attach(appeal):
    photo = Attachment(appeal=appeal, kind=Attachment.Kind.IMAGE, content_type="image/jpeg",
                       original_name="яма.jpg", size=1000)
    photo.file.save("a.jpg", ContentFile(photo_bytes()), save=True)
    document = Attachment(appeal=appeal, kind=Attachment.Kind.DOCUMENT, content_type="application/pdf",
                          original_name="акт.pdf", size=20)
    document.file.save("b.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    return photo, document


def test_the_card_shows_photos_files_and_the_map(client, two_orgs):
    w = two_orgs
    appeal = w.routed("Яма у дома 5", latitude=55.75, longitude=37.61, address="ул. Ленина, 5")
    photo, document = attach(appeal)
    client.force_login(w.coordinator_a)
    html = client.get(f"/workspace/appeals/{appeal.pk}/").content.decode()
    base = f"/workspace/appeals/{appeal.pk}/files/"
    assert f'src="{base}{photo.pk}/?size=thumb"' in html and f'href="{base}{photo.pk}/"' in html
    assert f'href="{base}{photo.pk}/?download=1"' in html and f'href="{base}{document.pk}/?download=1"' in html
    assert "Фото и файлы заявителя" in html and "акт.pdf" in html
    assert 'class="point-map"' in html and 'data-lat="55.75" data-lon="37.61"' in html
    assert "/static/leaflet/leaflet.js" in html and "/static/workspace/card.js" in html

    thumb = client.get(f"{base}{photo.pk}/", {"size": "thumb"})
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.content)).size) == 320
    full = client.get(f"{base}{photo.pk}/")
    assert full.status_code == 200 and "attachment" not in full.get("Content-Disposition", "")
    assert Image.open(io.BytesIO(b"".join(full.streaming_content))).size == (1200, 900)
    download = client.get(f"{base}{photo.pk}/", {"download": "1"})
    assert download["Content-Disposition"].startswith("attachment")
    pdf = client.get(f"{base}{document.pk}/")
    assert pdf["Content-Disposition"].startswith("attachment") and pdf["X-Content-Type-Options"] == "nosniff"


def test_files_are_only_for_staff_who_may_open_the_appeal(client, two_orgs):
    w = two_orgs
    appeal = w.routed("Яма у дома 5")
    photo, _ = attach(appeal)
    other = w.executing("Чужое обращение", org="b")
    url = f"/workspace/appeals/{appeal.pk}/files/{photo.pk}/"
    client.force_login(w.coordinator_b)  # another organisation
    assert client.get(url).status_code == 404
    assert client.get(f"/workspace/appeals/{other.pk}/files/{photo.pk}/").status_code == 404  # not this appeal's
    client.logout()
    assert client.get(url).status_code == 302  # to the sign-in page


def test_a_card_without_files_says_so(client, two_orgs):
    w = two_orgs
    appeal = w.routed("Яма у дома 5")
    client.force_login(w.coordinator_a)
    html = client.get(f"/workspace/appeals/{appeal.pk}/").content.decode()
    assert "Заявитель не приложил файлов." in html and 'class="point-map"' not in html


def test_a_queue_row_holds_what_is_needed_at_a_glance(client, two_orgs):
    w = two_orgs
    long_text = "Очень длинное описание проблемы. " * 40
    appeal = w.executing(long_text, address="ул. Ленина, 5")
    client.force_login(w.coordinator_a)
    html = client.get("/workspace/queues/approaching/").content.decode()
    if appeal.number not in html:  # not near its deadline: the region-wide list has it
        client.force_login(w.regional)
        html = client.get("/workspace/queues/region/").content.decode()
    row = html.split(f'data-appeal="{appeal.number}"')[1].split("</tr>")[0]
    assert f'href="/workspace/appeals/{appeal.pk}/"' in row
    assert 'class="age"' in row and "мин" in row  # just received
    assert 'class="due tone-' in row and "Дороги" in row
    assert "<details><summary>" + long_text.strip() in row  # the whole text, one line until opened
    assert "Город Тестовск, ул. Ленина, 5" in row and "Исполнителев И." in row and 'class="meta">Дороги · ' in row
    assert "Клавиши:" in html and "<kbd>j</kbd>" in html and "/static/workspace/queue.js" in html
