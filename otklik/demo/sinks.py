"""Where stories go (otklik/demo/stories.py): through the services, or in bulk.

:class:`ServicesSink` calls the service of every step at its moment, all stories together in time
order, with the deadline sweeper run before each step: what the demo and the tests see is what the
rules make. The bulk sinks write the rows the planner derived (the appeal, its events, its breaches):
:class:`CopySink` with COPY on PostgreSQL, :class:`OrmSink` with ``bulk_create`` elsewhere. They bypass
the services on purpose, for benchmarks that need millions of rows in minutes;
``tests/demo/test_stories.py`` proves both sinks leave the same rows for a seed.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import queue
import threading
from operator import attrgetter
from typing import Any

from django.db import connection, transaction

from otklik.accounts.models import User
from otklik.appeals import services
from otklik.appeals.lifecycle import APPLICANT, SYSTEM, Action
from otklik.appeals.models import Appeal, AppealEvent, DeadlineBreach
from otklik.appeals.sweeps import sweep
from otklik.demo.stories import (
    APPEAL_ATTNAMES,
    APPEAL_FIELDS,
    BREACH_COLUMNS,
    EVENT_COLUMNS,
    SWEEP_LAG,
    Story,
    StoryError,
)
from otklik.registry.models import Category, Territory


class ServicesSink:
    """Plays stories through ``appeals/services.py``; returns each story's appeal id."""

    def play(self, stories: list[Story], *, until: dt.datetime) -> dict[int, int]:
        by_index = {story.index: story for story in stories}
        users = User.objects.in_bulk({step.actor for story in stories for step in story.steps if step.actor})
        categories = Category.objects.in_bulk({story.fields["category_id"] for story in stories})
        territories = Territory.objects.in_bulk({story.fields["territory_id"] for story in stories} - {None})
        ids: dict[int, int] = {}
        tokens: dict[int, str] = {}
        pending = [(story.steps[0].at, story.index, 0) for story in stories if story.steps]
        heapq.heapify(pending)
        swept: dt.datetime | None = None
        while pending:
            at, index, number = heapq.heappop(pending)
            story = by_index[index]
            step = story.steps[number]
            # A sweeper running every minute has acted on everything due a minute before this step.
            if swept is None or at - SWEEP_LAG > swept:
                swept = at - SWEEP_LAG
                sweep(now=swept)
            try:
                if step.action == Action.SUBMIT:
                    appeal = self._submit(story, categories, territories, users, at)
                    ids[index], tokens[index] = appeal.pk, appeal.access_token
                else:
                    args = dict(step.args)
                    if "duplicate_of" in args:
                        args["duplicate_of_id"] = ids[args.pop("duplicate_of")]
                    if step.role == SYSTEM:
                        args["system"] = True
                    elif step.role == APPLICANT:
                        args["token"] = tokens[index]
                    else:
                        args["user"] = users[step.actor]
                    getattr(services, f"appeal_{step.action}")(appeal_id=ids[index], now=at, **args)
            except services.AppealError as exc:
                raise StoryError(f"story {index}, step {number} ({step.action} by {step.role} at {at.isoformat()}): "
                                 f"{exc.code}: {exc.message}") from exc
            if number + 1 < len(story.steps):
                heapq.heappush(pending, (story.steps[number + 1].at, index, number + 1))
        sweep(now=until)
        return ids

    @staticmethod
    def _submit(story: Story, categories: dict[Any, Category], territories: dict[Any, Territory],
                users: dict[Any, User], at: dt.datetime) -> Appeal:
        fields = dict(story.fields)
        return services.appeal_submit(
            category=categories[fields.pop("category_id")], territory=territories.get(fields.pop("territory_id")),
            applicant=users.get(fields.pop("applicant_id")), now=at, **fields)


class BulkSink:
    """Writes the planner's rows a batch at a time. Appeal ids are handed out before stories are planned."""

    row_of = staticmethod(attrgetter(*APPEAL_ATTNAMES))

    def reserve_ids(self, count: int) -> list[int]:
        raise NotImplementedError

    def write(self, stories: list[Story]) -> tuple[int, int]:
        """Write the stories' rows; the numbers of events and breaches written."""
        appeals = [self.row_of(story.draft) for story in stories]
        events = [event for story in stories for event in story.events]
        breaches = [breach for story in stories for breach in story.breaches]
        self._write(appeals, events, breaches)
        return len(events), len(breaches)

    def _write(self, appeals: list[tuple[Any, ...]], events: list[Any], breaches: list[Any]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Wait until everything handed over is written."""


class CopySink(BulkSink):
    """PostgreSQL: COPY FROM STDIN through psycopg 3, several times faster than INSERT.

    With ``threaded`` the rows go out from a writer thread on its own connection, one transaction per
    batch, while the main thread simulates the next batch: the database server and the simulation
    then use a core each. Without it (the caller holds a transaction) the rows go into the caller's.
    """

    def __init__(self, *, threaded: bool, skip_fk_checks: bool) -> None:
        self.appeal_sql = _copy_sql(Appeal._meta.db_table, ["id", *(f.column for f in APPEAL_FIELDS)])
        self.event_sql = _copy_sql(AppealEvent._meta.db_table, EVENT_COLUMNS)
        self.breach_sql = _copy_sql(DeadlineBreach._meta.db_table, BREACH_COLUMNS)
        self.skip_fk_checks = skip_fk_checks
        self.error: BaseException | None = None
        self.queue: queue.Queue[tuple[list[tuple[Any, ...]], list[Any], list[Any]] | None] | None = None
        self.thread: threading.Thread | None = None
        if threaded:
            self.queue = queue.Queue(maxsize=2)
            self.thread = threading.Thread(target=self._run, name="bulk-sink-writer", daemon=True)
            self.thread.start()

    def reserve_ids(self, count: int) -> list[int]:
        # nextval() hands out ids that no concurrent writer gets, so the generator may run beside the app.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Appeal._meta.db_table, count],
            )
            return [row[0] for row in cursor.fetchall()]

    def _write(self, appeals: list[tuple[Any, ...]], events: list[Any], breaches: list[Any]) -> None:
        if self.queue is None:
            self._copy(appeals, events, breaches)
            return
        if self.error is not None:
            raise self.error
        self.queue.put((appeals, events, breaches))

    def close(self) -> None:
        if self.queue is not None and self.thread is not None:
            self.queue.put(None)
            self.thread.join()
            self.queue = None
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        assert self.queue is not None
        try:
            while (item := self.queue.get()) is not None:
                if self.error is not None:
                    continue  # keep draining so that the producer never blocks on a dead writer
                try:
                    with transaction.atomic():
                        self._copy(*item)
                except BaseException as exc:
                    self.error = exc
        finally:
            connection.close()  # this thread's own connection

    def _copy(self, appeals: list[tuple[Any, ...]], events: list[Any], breaches: list[Any]) -> None:
        connection.ensure_connection()
        raw = connection.connection
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        with raw.cursor() as cursor:
            if self.skip_fk_checks:
                # Replica mode fires no triggers, so no foreign-key checks: the rows are consistent by
                # construction, and the checks cost a third of the load time. Superusers only.
                cursor.execute("SET LOCAL session_replication_role = replica")
            with cursor.copy(self.appeal_sql) as copy:
                for row in appeals:
                    copy.write_row(row)
            with cursor.copy(self.event_sql) as copy:
                for event in events:
                    copy.write_row((*event[:10], dumps(event[10]), *event[11:]))
            if breaches:
                with cursor.copy(self.breach_sql) as copy:
                    for breach in breaches:
                        copy.write_row(breach)


def _copy_sql(table: str, columns: Any) -> str:
    quote = connection.ops.quote_name
    return f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"


class OrmSink(BulkSink):
    """Any other database (SQLite in tests and demos): ``bulk_create``."""

    def __init__(self) -> None:
        self.next_id: int | None = None

    def reserve_ids(self, count: int) -> list[int]:
        if self.next_id is None:
            last = Appeal.objects.order_by("-pk").values_list("pk", flat=True).first()
            self.next_id = (last or 0) + 1
        first = self.next_id
        self.next_id += count
        return list(range(first, first + count))

    def _write(self, appeals: list[tuple[Any, ...]], events: list[Any], breaches: list[Any]) -> None:
        objs = [Appeal(**dict(zip(APPEAL_ATTNAMES, row, strict=True))) for row in appeals]
        created = {obj.pk: (obj.created_at, obj.updated_at) for obj in objs}
        Appeal.objects.bulk_create(objs, batch_size=500)
        # bulk_create stamps auto_now fields with the wall clock; keep the story's times instead.
        for pk, (created_at, updated_at) in created.items():
            Appeal.objects.filter(pk=pk).update(created_at=created_at, updated_at=updated_at)
        AppealEvent.objects.bulk_create(
            [AppealEvent(**dict(zip(EVENT_COLUMNS, event, strict=True))) for event in events], batch_size=1000)
        DeadlineBreach.objects.bulk_create(
            [DeadlineBreach(**dict(zip(BREACH_COLUMNS, breach, strict=True))) for breach in breaches],
            batch_size=1000)


