"""Issue 11 §5 for reports: a report e-mail is marked sent only after it is sent; a worker killed
mid-send costs one retry (same Message-ID), never a loss and never a second message."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from otklik.reports.models import ReportDelivery, ReportRecipient
from otklik.reports.services import report_deliver, report_generate, reports_with_undelivered
from otklik.reports.tasks import retry_report_deliveries
from tests.reports.conftest import local, make_appeal

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(rworld):
    make_appeal(rworld, at=local(2026, 3, 2), answer_after_hours=30)
    ReportRecipient.objects.create(email="vice-governor@example.org")
    made = report_generate(kind="monthly", day=dt.date(2026, 3, 1), now=local(2026, 4, 1, 1))
    mail.outbox.clear()
    return made


def test_a_worker_killed_after_claiming_leaves_the_report_to_be_sent_once_by_the_retry(report):
    now = local(2026, 4, 1, 2)
    # What a killed worker leaves: the delivery claimed (attempt 1), nothing sent, nothing marked.
    delivery = ReportDelivery.objects.create(report=report, email="vice-governor@example.org", attempts=1,
                                             claimed_until=now + dt.timedelta(minutes=2))
    assert report_deliver(report_id=report.pk, now=now) == 0  # still held by the dead worker's lease
    assert reports_with_undelivered(now=now + dt.timedelta(minutes=1)) == []

    later = now + dt.timedelta(minutes=3)
    assert reports_with_undelivered(now=later) == [report.pk]
    assert report_deliver(report_id=report.pk, now=later) == 1
    assert report_deliver(report_id=report.pk, now=later + dt.timedelta(minutes=10)) == 0
    assert [m.to for m in mail.outbox] == [["vice-governor@example.org"]]
    assert mail.outbox[0].extra_headers["Message-ID"].startswith(f"<report-delivery-{delivery.pk}@")
    delivery.refresh_from_db()
    assert delivery.sent_at is not None and delivery.claimed_until is None and delivery.attempts == 2


def test_a_failed_send_stays_unsent_and_the_periodic_retry_delivers_it(report, settings, time_machine):
    time_machine.move_to(local(2026, 4, 1, 2), tick=False)
    settings.EMAIL_BACKEND = "tests.reports.test_delivery.FailingBackend"
    with pytest.raises(ConnectionRefusedError):
        report_deliver(report_id=report.pk)
    delivery = ReportDelivery.objects.get(report=report)
    assert delivery.sent_at is None and delivery.claimed_until is None and "refused" in delivery.last_error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert retry_report_deliveries.call() == 1
    assert [m.to for m in mail.outbox] == [["vice-governor@example.org"]]
    assert retry_report_deliveries.call() == 0


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP connection refused")
