"""The answer reaches the citizen formatted, as staff wrote it, and as an official letter: the tracking
page, the public page, the PDF and the e-mail (point 1 of issue 10)."""

import pytest
from django.core import mail

from otklik.appeals import services as s
from otklik.notifications.emails import email_html, email_text
from otklik.notifications.models import Notice
from tests.intake.conftest import advance
from tests.portal.test_track import new_appeal

pytestmark = pytest.mark.django_db

ANSWER = ("Уважаемый Иван Петрович!\n\nЯма будет заделана до **20 декабря**. График работ — на "
          "[сайте](https://example.org/plan).\n\n- засыпать щебнем;\n- уложить асфальт.\n\nС уважением.")


def answered(c):
    appeal = advance(new_appeal(c), c, to="assign")
    c.head.first_name, c.head.patronymic, c.head.last_name, c.head.position = "Пётр", "Ильич", "Сидоров", "Глава"
    c.head.save()
    s.appeal_draft(appeal_id=appeal.pk, user=c.executor, text=ANSWER)
    s.appeal_send_for_approval(appeal_id=appeal.pk, user=c.executor)
    s.appeal_approve(appeal_id=appeal.pk, user=c.head)
    return s.appeal_publish(appeal_id=appeal.pk, user=c.head)


def test_the_tracking_page_shows_the_answer_formatted_as_a_letter(client, citizens):
    appeal = answered(citizens)
    page = client.get(f"/track/{appeal.number}/?key={appeal.access_token}").content.decode()
    assert "<strong>20 декабря</strong>" in page and "**" not in page
    assert '<a href="https://example.org/plan" rel="noopener noreferrer nofollow">сайте</a>' in page
    assert "<li>засыпать щебнем;</li>" in page
    assert f"№ {appeal.number}/1 от {appeal.answered_at:%d.%m.%Y}" in page
    assert "Администрация Тестовска" in page and "П. И. Сидоров" in page and "Глава" in page
    assert f"/track/{appeal.number}/answer.pdf?key={appeal.access_token}" in page


def test_the_answer_downloads_as_a_pdf_only_with_the_key(client, citizens):
    appeal = answered(citizens)
    response = client.get(f"/track/{appeal.number}/answer.pdf", {"key": appeal.access_token})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert client.get(f"/track/{appeal.number}/answer.pdf", {"key": "wrong"}).status_code == 404


def test_the_public_page_shows_the_answer_formatted_without_the_applicant(client, citizens):
    appeal = answered(citizens)
    page = client.get(f"/public/{appeal.number}/").content.decode()
    assert "<strong>20 декабря</strong>" in page and "**" not in page
    assert "О чём сообщение" in page and "Ошибка" not in page
    assert "Иван Петров" not in page


def test_the_e_mail_has_a_readable_text_part_and_an_html_part(citizens, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        appeal = answered(citizens)
    notice = Notice.objects.get(appeal=appeal, kind="answered", channel="email")
    text = email_text(notice)
    assert "до 20 декабря." in text and "**" not in text and "](" not in text
    assert "сайте (https://example.org/plan)" in text and "• засыпать щебнем;" in text
    html = email_html(notice)
    assert "<strong>20 декабря</strong>" in html and "<li>уложить асфальт.</li>" in html
    sent = [m for m in mail.outbox if m.subject == notice.subject]
    assert sent, "the answer was e-mailed"
    assert "**" not in sent[-1].body and sent[-1].alternatives[0][1] == "text/html"
    assert "<strong>20 декабря</strong>" in sent[-1].alternatives[0][0]
