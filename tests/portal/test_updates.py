"""The applicant adds a comment or a photo to their own open message (issue 10, point 7); staff see
it as an event on the card and the executor is told, with a link to the workspace only."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from otklik.appeals import services as s
from otklik.appeals.models import AppealEvent
from otklik.intake.models import Attachment
from otklik.notifications.models import Notice
from tests.intake.conftest import advance, png_bytes
from tests.portal.test_track import new_appeal

pytestmark = pytest.mark.django_db


def test_the_applicant_adds_a_comment_and_a_photo_from_the_tracking_page(client, citizens):
    appeal = advance(new_appeal(citizens), citizens, to="assign")
    page = client.get(f"/track/{appeal.number}/?key={appeal.access_token}").content.decode()
    assert "Дополнить сообщение" in page
    photo = SimpleUploadedFile("yama.png", png_bytes(), content_type="image/png")
    response = client.post(f"/track/{appeal.number}/comment/",
                           {"key": appeal.access_token, "text": "Яма стала глубже", "files": [photo]})
    assert response.status_code == 302
    event = AppealEvent.objects.get(appeal=appeal, action="comment")
    assert event.role == "applicant" and event.reason == "Яма стала глубже"
    assert event.from_state == event.to_state == "execution"
    added = Attachment.objects.get(appeal=appeal, pk__in=event.payload["attachments"])
    assert added.original_name == "yama.png"
    notice = Notice.objects.get(appeal=appeal, kind="applicant_comment")
    assert notice.recipient_id == citizens.executor.pk
    assert "Яма стала глубже" in notice.body and f"/workspace/appeals/{appeal.pk}/" in notice.body
    assert appeal.access_token not in notice.body
    history = client.get(f"/track/{appeal.number}/?key={appeal.access_token}").content.decode()
    assert "Вы дополнили сообщение" in history and "Яма стала глубже · 1 файл" in history

    client.force_login(citizens.executor)
    card = client.get(f"/workspace/appeals/{appeal.pk}/").content.decode()
    assert "Заявитель добавил комментарий" in card and "Яма стала глубже" in card and "приложен 1 файл" in card


def test_an_empty_addition_and_a_closed_message_are_refused_in_russian(client, citizens):
    appeal = advance(new_appeal(citizens), citizens, to="assign")
    empty = client.post(f"/track/{appeal.number}/comment/", {"key": appeal.access_token, "text": "  "})
    assert empty.status_code == 400 and "Напишите комментарий или приложите фотографию" in empty.content.decode()
    appeal = advance(appeal, citizens, frm="answer", to="published")
    client.post(f"/track/{appeal.number}/rate/", {"key": appeal.access_token, "rating": "5"})
    page = client.get(f"/track/{appeal.number}/?key={appeal.access_token}").content.decode()
    assert "Дополнить сообщение" not in page
    closed = client.post(f"/track/{appeal.number}/comment/", {"key": appeal.access_token, "text": "Ещё"})
    assert closed.status_code == 400 and "невозможно" in closed.content.decode()
    assert not AppealEvent.objects.filter(appeal=appeal, action="comment").exists()


def test_a_refused_comment_keeps_no_file(client, citizens):
    appeal = advance(new_appeal(citizens), citizens, to="assign")
    client.force_login(citizens.coordinator)  # a staff session never acts in the applicant's name
    photo = SimpleUploadedFile("yama.png", png_bytes(), content_type="image/png")
    response = client.post(f"/track/{appeal.number}/comment/",
                           {"key": appeal.access_token, "text": "Пишу за заявителя", "files": [photo]})
    assert response.status_code == 400
    assert not Attachment.objects.filter(original_name="yama.png").exists()
    assert not AppealEvent.objects.filter(appeal=appeal, action="comment").exists()


def test_the_api_takes_the_applicants_comment_with_the_tracking_secret(client, citizens):
    appeal = advance(new_appeal(citizens), citizens, to="accept")
    url = f"/api/appeals/{appeal.pk}/comment"
    wrong = client.post(url, json.dumps({"text": "Добавлю", "key": "guess"}), content_type="application/json")
    assert wrong.status_code == 401
    ok = client.post(url, json.dumps({"text": "Добавлю фото позже", "key": appeal.access_token}),
                     content_type="application/json")
    assert ok.status_code == 200, ok.content
    # No executor yet: the organisation's coordinators hear of it.
    notice = Notice.objects.get(appeal=appeal, kind="applicant_comment")
    assert notice.recipient_id == citizens.coordinator.pk


def test_the_service_refuses_a_staff_member_even_with_the_secret(citizens):
    appeal = advance(new_appeal(citizens), citizens, to="assign")
    with pytest.raises(s.AppealError) as refused:
        s.appeal_comment(appeal_id=appeal.pk, text="за заявителя", user=citizens.executor,
                         token=appeal.access_token)
    assert refused.value.code == "applicant_only"
