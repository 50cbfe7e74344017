"""A draft from DOCX, PDF or pasted text becomes numbered paragraphs; notices of a new event and of results;
the auditor's recount command."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from otklik.notifications.models import Notice
from otklik.participation import services as s
from otklik.participation.documents import split_text
from otklik.participation.models import Ballot, Event, Kind
from otklik.participation.services import ParticipationError

from .conftest import budget_event, citizen, open_event


def _docx(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _pdf(lines: list[str]) -> bytes:
    """A one-page PDF with text lines in the standard Helvetica font (Latin, enough for the parser)."""
    content = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({line}) Tj T* T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def test_pasted_text_is_split_on_blank_lines_and_lines_are_joined():
    assert split_text("Статья 1.\nПервая строка\nвторая строка.\n\n\nСтатья 2.  Конец.\n") == [
        "Статья 1. Первая строка вторая строка.", "Статья 2. Конец."]


def test_a_docx_draft_becomes_numbered_paragraphs(world):
    event = open_event(world, Kind.DISCUSSION)
    upload = SimpleUploadedFile("проект.docx", _docx(["Статья 1. Общие положения.", "", "Статья 2. Уборка."]))
    s.event_set_document(user=world.organiser, event_id=event.pk, upload=upload)
    assert list(event.paragraphs.values_list("number", "text")) == [
        (1, "Статья 1. Общие положения."), (2, "Статья 2. Уборка.")]
    assert Event.objects.get(pk=event.pk).document_name == "проект.docx"


def test_a_pdf_draft_becomes_paragraphs(world):
    event = open_event(world, Kind.DISCUSSION)
    upload = SimpleUploadedFile("draft.pdf", _pdf(["Article 1. General.", "Article 2. Cleaning."]))
    s.event_set_document(user=world.organiser, event_id=event.pk, upload=upload)
    texts = list(event.paragraphs.values_list("text", flat=True))
    assert texts and "Article 1. General." in " ".join(texts) and "Article 2. Cleaning." in " ".join(texts)


def test_a_broken_or_foreign_file_gets_a_russian_error(world):
    event = open_event(world, Kind.DISCUSSION)
    with pytest.raises(ParticipationError) as refused:
        s.event_set_document(user=world.organiser, event_id=event.pk,
                             upload=SimpleUploadedFile("draft.pdf", b"not a pdf"))
    assert refused.value.code == "file_unreadable" and "не читается" in refused.value.message
    with pytest.raises(ParticipationError) as refused:
        s.event_set_document(user=world.organiser, event_id=event.pk, upload=SimpleUploadedFile("a.exe", b"MZ"))
    assert refused.value.code == "file_type"


def test_citizens_of_the_territory_hear_of_a_new_event_and_participants_of_its_results(
        world, django_capture_on_commit_callbacks, _controlled_clock):
    resident = citizen(world)
    stranger = citizen(world, territory=world.other_district)
    with django_capture_on_commit_callbacks(execute=True):
        event, (square, *_rest) = budget_event(world)
    assert list(Notice.objects.filter(kind="participation_new").values_list("email", flat=True)) == [resident.email]
    assert stranger.email not in Notice.objects.values_list("email", flat=True)
    s.ballot_cast(user=resident, event_id=event.pk, choices={"projects": [square.pk]})
    import datetime as dt

    _controlled_clock.shift(dt.timedelta(days=8))
    s.event_finish(user=world.organiser, event_id=event.pk)
    with django_capture_on_commit_callbacks(execute=True):
        s.event_publish_results(user=world.organiser, event_id=event.pk)
    assert list(Notice.objects.filter(kind="participation_results").values_list("email", flat=True)) == [
        resident.email]
    assert Event.objects.get(pk=event.pk).results_announced


def test_the_recount_command_agrees_and_fails_on_a_stuffed_ballot_box(world, _controlled_clock, capsys):
    import datetime as dt

    event, (square, *_rest) = budget_event(world)
    s.ballot_cast(user=citizen(world), event_id=event.pk, choices={"projects": [square.pk]})
    _controlled_clock.shift(dt.timedelta(days=8))
    s.event_finish(user=world.organiser, event_id=event.pk)
    s.event_publish_results(user=world.organiser, event_id=event.pk)
    call_command("recount_ballots", str(event.pk))
    assert "the recount matches" in capsys.readouterr().out
    Ballot.objects.create(event_id=event.pk, choices={"projects": [square.pk]})
    with pytest.raises(CommandError, match="differs"):
        call_command("recount_ballots", str(event.pk))
