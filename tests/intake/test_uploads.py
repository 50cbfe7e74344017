import datetime as dt
import io
import os
import zipfile

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from otklik.intake.models import Attachment
from otklik.intake.redact import redact
from otklik.intake.services import attachment_store, attachments_purge_abandoned
from otklik.intake.uploads import UploadRefused, check_upload
from tests.intake.conftest import jpeg_with_gps, png_bytes


def upload(name, data):
    return SimpleUploadedFile(name, data)


def test_it_accepts_pdf_docx_and_odt_by_their_content():
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    odt = io.BytesIO()
    with zipfile.ZipFile(odt, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
    assert check_upload(upload("акт.pdf", b"%PDF-1.7\n...")).content_type == "application/pdf"
    assert check_upload(upload("a.docx", docx.getvalue())).extension == ".docx"
    assert check_upload(upload("a.odt", odt.getvalue())).extension == ".odt"


@pytest.mark.parametrize(("name", "data"), [
    ("photo.jpg", b"MZ\x90\x00 executable"),
    ("report.pdf", b"<html>not a pdf</html>"),
    ("script.docx", b"PK\x03\x04 broken zip"),
    ("image.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
    ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40),
])
def test_it_refuses_files_that_are_not_what_they_claim(name, data):
    with pytest.raises(UploadRefused) as refused:
        check_upload(upload(name, data))
    assert name in refused.value.message


def test_it_refuses_empty_and_oversized_files(settings):
    settings.PORTAL_UPLOAD_MAX_BYTES = 100
    with pytest.raises(UploadRefused):
        check_upload(upload("empty.pdf", b""))
    with pytest.raises(UploadRefused) as refused:
        check_upload(upload("big.pdf", b"%PDF-" + b"0" * 200))
    assert "big.pdf" in refused.value.message


def test_it_removes_metadata_but_keeps_the_picture():
    checked = check_upload(upload("IMG.jpg", jpeg_with_gps()))
    image = Image.open(io.BytesIO(checked.content))
    assert checked.kind == "image" and not image.getexif() and image.size == (30, 40)
    png = Image.new("RGB", (4, 4))
    out = io.BytesIO()
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Иван Петров")
    png.save(out, format="PNG", pnginfo=info)
    cleaned = check_upload(upload("a.png", out.getvalue()))
    assert b"Author" not in cleaned.content and Image.open(io.BytesIO(cleaned.content)).size == (4, 4)
    assert check_upload(upload("b.png", png_bytes())).content_type == "image/png"


def test_it_hides_emails_phones_and_the_applicants_name():
    text = "Пишет Иванова Мария, тел. 8 (912) 345-67-89, mail: maria.iv@example.org. Яма у дома."
    hidden = redact(text, ["Иванова Мария"])
    assert "Иванова" not in hidden and "Мария" not in hidden and "345" not in hidden and "@" not in hidden
    assert hidden.endswith("Яма у дома.")


@pytest.mark.django_db
def test_it_purges_files_of_forms_that_were_never_sent():
    start = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        old = attachment_store(upload=upload("фото.png", png_bytes()), draft_key="portal:old")
    with time_machine.travel(start + dt.timedelta(days=3), tick=False):
        fresh = attachment_store(upload=upload("фото.png", png_bytes()), draft_key="portal:new")
        path = old.file.path
        assert attachments_purge_abandoned() == 1
    assert list(Attachment.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not os.path.exists(path)


def _pdf(n: int) -> bytes:
    return b"%PDF-1.7\n" + bytes([n]) * 400_000


@pytest.mark.django_db
def test_uploads_before_sending_are_bounded_per_form(settings):
    settings.PORTAL_UPLOAD_MAX_BYTES_PER_FORM = 1024 * 1024
    attachment_store(upload=upload("1.pdf", _pdf(1)), draft_key="portal:a", client="10.0.0.1")
    attachment_store(upload=upload("2.pdf", _pdf(2)), draft_key="portal:a", client="10.0.0.1")
    with pytest.raises(UploadRefused) as refused:
        attachment_store(upload=upload("3.pdf", _pdf(3)), draft_key="portal:a", client="10.0.0.1")
    assert refused.value.message == "Файлы одного сообщения могут занимать не более 1 МБ."
    assert Attachment.objects.filter(draft_key="portal:a").count() == 2


@pytest.mark.django_db
def test_uploads_before_sending_are_bounded_per_client_and_hour_whatever_the_form_key(settings):
    settings.PORTAL_UPLOAD_MAX_BYTES_PER_CLIENT_HOUR = 1024 * 1024
    for n in range(2):
        attachment_store(upload=upload(f"{n}.pdf", _pdf(n)), draft_key=f"portal:k{n}", client="10.0.0.1")
    with pytest.raises(UploadRefused):
        attachment_store(upload=upload("4.pdf", _pdf(4)), draft_key="portal:k4", client="10.0.0.1")
    # Another client is not affected, and the address itself is never stored.
    other = attachment_store(upload=upload("5.pdf", _pdf(5)), draft_key="portal:k5", client="10.0.0.2")
    assert other.client and "10.0.0.2" not in other.client
    with time_machine.travel(dt.timedelta(hours=1, minutes=1)):
        attachment_store(upload=upload("6.pdf", _pdf(6)), draft_key="portal:k6", client="10.0.0.1")


@pytest.mark.django_db
def test_files_of_forms_never_sent_are_purged_within_hours():
    start = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        attachment_store(upload=upload("фото.png", png_bytes()), draft_key="portal:old")
    with time_machine.travel(start + dt.timedelta(hours=4), tick=False):
        assert attachments_purge_abandoned() == 1
