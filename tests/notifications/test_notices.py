import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail

from otklik.accounts.models import Role
from otklik.appeals import services as s
from otklik.notifications.models import Notice, NoticeTemplate, WebhookEndpoint
from otklik.notifications.services import notice_create
from otklik.notifications.tasks import deliver_notice, retry_unsent
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_world(region):
    org = f.organization("Администрация Тестовска")
    roads = f.category("Дороги")
    f.route(roads, org)
    return {
        "org": org, "roads": roads,
        "moderator": f.user("moderator", (Role.MODERATOR, f.organization("ЦУР"))),
        "coordinator": f.user("coordinator", (Role.COORDINATOR, org)),
        "executor": f.user("executor", (Role.EXECUTOR, org), first_name="Иван", last_name="Исполнителев"),
    }


def _assigned(w, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        appeal = s.appeal_submit(text="Яма", category=w["roads"], applicant_email="ivanov@example.org")
        appeal = s.appeal_accept(appeal_id=appeal.pk, user=w["moderator"])
        return s.appeal_assign(appeal_id=appeal.pk, user=w["coordinator"], executor_id=w["executor"].pk)


def test_it_counts_unread_notices_in_the_header_and_marks_them_read(client, org_world,
                                                                    django_capture_on_commit_callbacks):
    appeal = _assigned(org_world, django_capture_on_commit_callbacks)
    executor = org_world["executor"]
    client.force_login(executor)
    home = client.get("/workspace/").content.decode()
    assert 'id="notices-counter" data-unread="1">1<' in home
    page = client.get("/workspace/notices/").content.decode()
    notice = Notice.objects.get(recipient=executor)
    assert f"Новое обращение {appeal.number}" in page and f'id="notice-{notice.pk}"' in page

    client.force_login(org_world["coordinator"])
    client.post(f"/workspace/notices/{notice.pk}/read/")
    assert Notice.objects.get(pk=notice.pk).read_at is None  # another person's notice is left alone

    client.force_login(executor)
    response = client.post(f"/workspace/notices/{notice.pk}/read/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'data-unread="0" hx-swap-oob="true"' in html and 'class="notice unread"' not in html
    assert Notice.objects.get(pk=notice.pk).read_at is not None
    assert 'data-unread="0"' in client.get("/workspace/").content.decode()


def test_it_uses_the_regions_notice_template_and_falls_back_to_the_built_in_text(org_world,
                                                                                 django_capture_on_commit_callbacks):
    NoticeTemplate.objects.create(kind="registered", subject="Принято: {number}",
                                  body="Ответим до {due}. {unknown_placeholder}")
    NoticeTemplate.objects.create(kind="routed", subject="Выключено", body="—", is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        appeal = s.appeal_submit(text="Яма", category=org_world["roads"], applicant_email="ivanov@example.org")
        s.appeal_accept(appeal_id=appeal.pk, user=org_world["moderator"])
    registered, routed = [m for m in mail.outbox if m.to == ["ivanov@example.org"]]
    assert registered.subject == f"Принято: {appeal.number}"
    assert registered.body.startswith("Ответим до ") and "{unknown_placeholder}" in registered.body
    assert appeal.number in routed.subject and routed.subject != "Выключено"


class _Receiver(BaseHTTPRequestHandler):
    statuses: list[int] = []
    received: list[tuple[dict, bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        self.send_response(type(self).statuses.pop(0) if type(self).statuses else 200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    _Receiver.statuses, _Receiver.received = [], []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, _Receiver
    server.shutdown()
    server.server_close()


def test_it_posts_notices_to_a_webhook_and_retries_a_failure_without_sending_twice(
        org_world, receiver, django_capture_on_commit_callbacks):
    server, handler = receiver
    handler.statuses = [500]
    endpoint = WebhookEndpoint.objects.create(name="Бот", url=f"http://127.0.0.1:{server.server_port}/hook",
                                              secret="s3cret", kinds=["assigned"])
    appeal = _assigned(org_world, django_capture_on_commit_callbacks)

    hooks = Notice.objects.filter(channel=Notice.Channel.WEBHOOK)
    assert hooks.count() == 1  # only the kind the endpoint asked for
    hook = hooks.get()
    assert hook.kind == "assigned" and hook.webhook == endpoint
    assert hook.sent_at is None and hook.attempts == 1 and "500" in hook.last_error and hook.next_attempt_at
    assert len(handler.received) == 1

    assert retry_unsent(now=hook.next_attempt_at - (hook.next_attempt_at - hook.created_at) / 2) == 0
    assert retry_unsent(now=hook.next_attempt_at) == 1
    hook.refresh_from_db()
    assert hook.sent_at is not None and hook.attempts == 2 and hook.last_error == ""
    headers, body = handler.received[-1]
    payload = json.loads(body)
    assert payload["kind"] == "assigned" and payload["appeal"]["number"] == appeal.number
    assert payload["recipient"] == "executor"
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Otklik-Signature"] == f"sha256={expected}"

    assert retry_unsent(now=hook.next_attempt_at) == 0
    assert deliver_notice.call(hook.pk) is False
    assert len(handler.received) == 2


def test_it_records_one_notice_per_event_and_recipient(org_world, django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(name="Все", url="http://127.0.0.1:9/never")
    executor = org_world["executor"]
    first = notice_create(kind="assigned", dedupe="event:1:assigned", subject="Тема", body="Текст", recipient=executor)
    second = notice_create(kind="assigned", dedupe="event:1:assigned", subject="Тема", body="Текст",
                           recipient=executor)
    assert first is not None and second is None
    assert Notice.objects.filter(channel=Notice.Channel.IN_APP).count() == 1
    assert Notice.objects.filter(channel=Notice.Channel.WEBHOOK).count() == 1
