"""The admin names kinds of notices in Russian, never by their codes (point 17 of issue 10)."""

import re

import pytest

from otklik.accounts.models import User
from otklik.notifications.kinds import KIND_LABELS
from otklik.notifications.models import Notice, NoticeTemplate

pytestmark = pytest.mark.django_db


def test_kinds_of_notices_are_shown_in_russian(client):
    admin = User.objects.create_superuser("root", "root@example.org", "secret-pass-1")
    client.force_login(admin)
    Notice.objects.create(dedupe_key="k1", kind="registered", channel="email", email="a@example.org",
                          subject="Сообщение зарегистрировано", body="Текст")
    NoticeTemplate.objects.create(kind="answered", subject="Ответ", body="{answer}")

    journal = client.get("/admin/notifications/notice/").content.decode()
    assert "заявителю: сообщение зарегистрировано" in journal
    assert not re.search(r">\s*registered\s*<", journal)
    templates = client.get("/admin/notifications/noticetemplate/").content.decode()
    assert "заявителю: ответ" in templates and not re.search(r">\s*answered\s*<", templates)
    form = client.get("/admin/notifications/noticetemplate/add/").content.decode()
    assert '<option value="answered">заявителю: ответ</option>' in form
    assert "исполнителю: ответ возвращён на доработку" in client.get(
        "/admin/notifications/webhookendpoint/add/").content.decode()


def test_every_kind_the_code_sends_has_a_label():
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "otklik" / "appeals" / "notify.py").read_text()
    kinds = set(re.findall(r'^        "([a-z_]+)": \(', source, re.M))
    assert kinds and kinds <= set(KIND_LABELS)
