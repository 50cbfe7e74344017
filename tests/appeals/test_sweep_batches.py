"""The sweeper acts on a batch at a time (issue 17, item 4): a batch's breaches and notices are written
with a fixed number of statements whatever its size, delivered by one task per chunk, and nothing that
one notice at a time did is lost — stand-ins, webhooks, the region's templates, deduplication."""

from __future__ import annotations

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from otklik.accounts.models import Absence, Role
from otklik.appeals import services, sweeps
from otklik.appeals.lifecycle import State
from otklik.appeals.models import Appeal, DeadlineBreach, Stage
from otklik.notifications import services as notices
from otklik.notifications.models import Notice, NoticeTemplate, WebhookEndpoint
from tests import factories as f

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
START = dt.datetime(2026, 10, 1, 10, 0, tzinfo=MSK)


class _Hook(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:
        type(self).received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook():
    _Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def org(region):
    org = f.organization("Администрация Пакетска")
    coordinator = f.user("pak-coordinator", (Role.COORDINATOR, org), email="coord@example.org")
    executor = f.user("pak-executor", (Role.EXECUTOR, org), email="exec@example.org")
    return org, coordinator, executor


def _due(org_world, count: int, due: dt.datetime, *, first: int = 0, **fields) -> list[int]:
    org, coordinator, executor = org_world
    fields = {"state": State.EXECUTION, "stage": Stage.EXECUTION, "stage_due_at": due, **fields}
    Appeal.objects.bulk_create([
        Appeal(number=f"2026-8{first + i:05d}", text=f"Сообщение {i}", organization=org, coordinator=coordinator,
               executor=executor, received_at=START, registered_at=START, state_changed_at=START,
               term_started_at=START, due_at=due, warn_at=due - dt.timedelta(days=3), **fields)
        for i in range(count)
    ])
    return list(Appeal.objects.filter(number__gte=f"2026-8{first:05d}", number__lt=f"2026-8{first + count:05d}")
                .values_list("pk", flat=True))


NOTICE_INSERT = 'INSERT INTO "notifications_notice"'


def _sweep_counting(now: dt.datetime, capture) -> tuple[sweeps.SweepResult, list[str], int]:
    """The sweep's statements and the callbacks it left for the commit (the delivery tasks)."""
    with capture(execute=True) as callbacks, CaptureQueriesContext(connection) as queries:
        result = sweeps.sweep(now=now)
    return result, [q["sql"] for q in queries.captured_queries], len(callbacks)


def test_a_sweep_writes_a_batch_with_the_same_statements_for_5_appeals_as_for_60(
        org, django_capture_on_commit_callbacks):
    first_due = dt.datetime(2026, 11, 2, 23, 59, tzinfo=MSK)
    _due(org, 5, first_due)
    few, few_queries, few_tasks = _sweep_counting(first_due + dt.timedelta(hours=1), django_capture_on_commit_callbacks)
    assert few.overdue == 5 and few.warned == 5

    later_due = dt.datetime(2026, 11, 9, 23, 59, tzinfo=MSK)
    _due(org, 60, later_due, first=100)
    mail.outbox.clear()
    many, many_queries, many_tasks = _sweep_counting(later_due + dt.timedelta(hours=1),
                                                     django_capture_on_commit_callbacks)
    assert many.overdue == 60 and many.warned == 60
    # Not one statement more per appeal; SQLite's limit on a statement's parameters splits the one
    # insert of the batch's notices into a few (PostgreSQL sends one).
    others = [[sql for sql in queries if not sql.startswith(NOTICE_INSERT)] for queries in (few_queries, many_queries)]
    assert len(others[0]) == len(others[1])
    inserts = sum(sql.startswith(NOTICE_INSERT) for sql in many_queries)
    assert inserts == 1 if connection.vendor == "postgresql" else inserts <= 3
    assert many_tasks == few_tasks == 1  # one delivery task for the batch's 120 notices
    # Each of the 60 appeals told its coordinator and its executor, in the app and by e-mail.
    overdue = Notice.objects.filter(kind="overdue", appeal__due_at=later_due)
    assert overdue.filter(channel=Notice.Channel.IN_APP).count() == 120
    assert sorted({m.to[0] for m in mail.outbox}) == ["coord@example.org", "exec@example.org"]
    assert len(mail.outbox) == 120 and not overdue.filter(sent_at__isnull=True).exists()
    assert DeadlineBreach.objects.filter(stage=Stage.ANSWER, due_at=later_due).count() == 60


def test_a_chunked_batch_is_delivered_by_several_tasks_and_each_notice_once(
        org, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(notices, "DELIVERY_CHUNK", 7)
    due = dt.datetime(2026, 11, 2, 23, 59, tzinfo=MSK)
    _due(org, 10, due)
    _, _, tasks = _sweep_counting(due + dt.timedelta(hours=1), django_capture_on_commit_callbacks)
    assert tasks == 3  # 20 e-mails in chunks of 7
    assert len(mail.outbox) == 20 and Notice.objects.filter(sent_at__isnull=False).count() == 20


def test_in_a_batch_an_absent_official_is_replaced_webhooks_get_copies_and_the_regions_wording_is_used(
        org, hook, django_capture_on_commit_callbacks):
    _, _, executor = org
    stand_in = f.user("pak-stand-in", email="stand-in@example.org", first_name="Пётр", last_name="Заменов")
    Absence.objects.create(user=executor, reason=Absence.Reason.VACATION, stand_in=stand_in,
                           starts_on=dt.date(2026, 11, 25), ends_on=dt.date(2026, 12, 10))  # today: 02.12
    WebhookEndpoint.objects.create(name="Сводка", url=f"http://127.0.0.1:{hook.server_port}/", kinds=["overdue"])
    NoticeTemplate.objects.create(kind="overdue", subject="Просрочено: {number}", body="Срок {due} прошёл.")
    due = dt.datetime(2026, 11, 2, 23, 59, tzinfo=MSK)
    ids = _due(org, 3, due)
    _sweep_counting(due + dt.timedelta(hours=1), django_capture_on_commit_callbacks)

    to_stand_in = Notice.objects.filter(kind="overdue", recipient=stand_in, channel=Notice.Channel.IN_APP)
    assert to_stand_in.count() == 3 and not Notice.objects.filter(recipient=executor).exists()
    assert {n.addressed_to_id for n in to_stand_in} == {executor.pk}
    numbers = set(Appeal.objects.filter(pk__in=ids).values_list("number", flat=True))
    assert {n.subject for n in to_stand_in} == {f"Просрочено: {number}" for number in numbers}
    # One copy per recipient notice of the wanted kind (coordinator and stand-in), each posted once.
    webhook_copies = Notice.objects.filter(channel=Notice.Channel.WEBHOOK)
    assert webhook_copies.count() == 6 and not webhook_copies.filter(sent_at__isnull=True).exists()
    assert len(_Hook.received) == 6
    assert sorted(m.to[0] for m in mail.outbox) == ["coord@example.org"] * 3 + ["stand-in@example.org"] * 3


def test_a_notice_already_recorded_is_not_recorded_again_by_a_batch(org, django_capture_on_commit_callbacks):
    _, coordinator, _ = org
    due = dt.datetime(2026, 11, 2, 23, 59, tzinfo=MSK)
    [first, *_] = _due(org, 2, due)
    key = f"overdue:{first}:{Appeal.objects.get(pk=first).due_at.isoformat()}"
    with django_capture_on_commit_callbacks(execute=True):
        assert notices.notice_create(kind="overdue", dedupe=key, subject="Раньше", body="…", recipient=coordinator)
    mail.outbox.clear()
    _sweep_counting(due + dt.timedelta(hours=1), django_capture_on_commit_callbacks)
    to_coordinator = Notice.objects.filter(kind="overdue", recipient=coordinator)
    assert to_coordinator.count() == 2 and to_coordinator.filter(subject="Раньше").count() == 1
    assert len(mail.outbox) == 3  # the other appeal's two e-mails and the first one's to the executor


def test_a_failed_batch_writes_no_notice_and_leaves_its_rows_to_the_next_sweep(org, monkeypatch):
    due = dt.datetime(2026, 11, 2, 23, 59, tzinfo=MSK)
    _due(org, 4, due)
    real = services.breaches_record

    def crash(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(sweeps, "breaches_record", crash)
    with pytest.raises(RuntimeError):
        sweeps.sweep(now=due + dt.timedelta(hours=1))
    assert not Notice.objects.filter(kind="overdue").exists()
    assert not Appeal.objects.filter(overdue_marked_at__isnull=False).exists()
    monkeypatch.setattr(sweeps, "breaches_record", real)
    assert sweeps.sweep(now=due + dt.timedelta(hours=1)).overdue == 4
    assert Notice.objects.filter(kind="overdue").count() == 8


def test_the_sweeper_claims_only_what_its_indexes_hold(org):
    """A stage due with the whole term and a postponed appeal's alarm after it left «postponed» are
    not due rows: the claim's condition is the partial index's, so they are neither claimed nor read."""
    due = dt.datetime(2026, 11, 2, 23, 59, tzinfo=MSK)
    now = due + dt.timedelta(hours=1)
    _due(org, 2, due)  # stage deadline = the term's
    _due(org, 1, due + dt.timedelta(days=5), first=10, stage_due_at=due)  # an earlier stage deadline
    _due(org, 1, due + dt.timedelta(days=5), first=20, executor_alarm_at=due)  # alarm, but not postponed
    _due(org, 1, due + dt.timedelta(days=5), first=30, state=State.POSTPONED, executor_alarm_at=due)
    result = sweeps.sweep(now=now)
    assert (result.overdue, result.stage_overdue, result.needs_executor) == (2, 1, 1)
    assert set(Appeal.objects.filter(stage_overdue_marked_at__isnull=False).values_list("number", flat=True)) == {
        "2026-800010"}
    assert set(Appeal.objects.filter(executor_alarm_marked_at__isnull=False).values_list("number", flat=True)) == {
        "2026-800030"}


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan is PostgreSQL's")
def test_on_postgresql_each_claim_reads_its_partial_index(org):
    _due(org, 3, dt.datetime(2026, 11, 2, 23, 59, tzinfo=MSK))
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # a tiny table: ask whether the index *can* serve it
        for kind in (sweeps.WARN, sweeps.OVERDUE, sweeps.STAGE, sweeps.EXECUTOR, sweeps.RESOLUTION):
            condition, params = services._index_condition(kind.index)
            cursor.execute(f"EXPLAIN SELECT id FROM appeals_appeal WHERE {condition} AND {kind.moment} <= %s "
                           f"ORDER BY {kind.moment} LIMIT 10", [*params, dt.datetime(2026, 12, 1, tzinfo=MSK)])
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert kind.index in plan, plan
