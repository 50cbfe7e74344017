from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection

from otklik.appeals.models import AppealEvent
from otklik.reports import aggregates as agg
from otklik.reports.models import COUNTERS, AppealFact, DailyRollup, DurationRollup, MonthlyRollup, RollupCursor
from otklik.reports.rollup import bucket_of, rollup_rebuild, rollup_update
from tests.reports import history
from tests.reports.conftest import local, make_appeal

pytestmark = pytest.mark.django_db
NO_WAIT = dt.timedelta(0)


def snapshot() -> tuple[dict, dict]:
    daily = {
        (row.day, row.organization_id, row.category_id, row.territory_id, row.channel, row.regime):
            tuple(getattr(row, name) for name in COUNTERS)
        for row in DailyRollup.objects.all()
    }
    # Rows whose counters all cancelled out carry no information.
    daily = {key: values for key, values in daily.items() if any(values)}
    durations = {
        (row.day, row.organization_id, row.category_id, row.territory_id, row.channel, row.regime, row.metric,
         row.bucket): row.count
        for row in DurationRollup.objects.all() if row.count
    }
    return daily, durations


def test_it_counts_every_event_once_however_often_and_in_whatever_batches_it_runs(rworld):
    history.generate(rworld, seed=3, count=30, first=local(2026, 3, 1), last=local(2026, 3, 20),
                     horizon=local(2026, 4, 10))
    first = rollup_update(batch_size=7, gap_wait=NO_WAIT)
    assert first.events == AppealEvent.objects.count()
    small_batches = snapshot()
    again = rollup_update(gap_wait=NO_WAIT)
    assert again.events == 0 and again.breaches == 0
    assert snapshot() == small_batches
    rollup_rebuild()
    assert snapshot() == small_batches
    assert sum(values[COUNTERS.index("submitted")] for values in small_batches[0].values()) == 30
    # The monthly rollup is the daily one summed by month.
    by_month: dict = {}
    for key, values in small_batches[0].items():
        month_key = (key[0].replace(day=1), *key[1:])
        by_month[month_key] = tuple(a + b for a, b in zip(by_month.get(month_key, (0,) * len(values)), values,
                                                          strict=True))
    monthly = {(row.day, row.organization_id, row.category_id, row.territory_id, row.channel, row.regime):
               tuple(getattr(row, name) for name in COUNTERS) for row in MonthlyRollup.objects.all()}
    assert {k: v for k, v in monthly.items() if any(v)} == {k: v for k, v in by_month.items() if any(v)}
    # Reading whole months from it gives what the days give, for any period and grouping.
    for start, end in ((dt.date(2026, 2, 15), dt.date(2026, 4, 9)), (dt.date(2026, 3, 1), dt.date(2026, 4, 30)),
                       (dt.date(2026, 3, 5), dt.date(2026, 3, 31))):
        piece = agg.Slice(date_from=start, date_to=end)
        assert agg.sums(piece, group_by=("organization_id",)) == agg.sums(piece, group_by=("organization_id",),
                                                                          daily=True)


def test_it_adds_only_what_is_new_since_the_last_run(rworld):
    history.generate(rworld, seed=4, count=15, first=local(2026, 3, 1), last=local(2026, 3, 10),
                     horizon=local(2026, 3, 25))
    rollup_update(gap_wait=NO_WAIT)
    history.generate(rworld, seed=5, count=15, first=local(2026, 3, 26), last=local(2026, 4, 5),
                     horizon=local(2026, 4, 20))
    second = rollup_update(gap_wait=NO_WAIT)
    assert 0 < second.events < AppealEvent.objects.count()
    incremental = snapshot()
    rollup_rebuild()
    assert snapshot() == incremental
    assert AppealFact.objects.count() == 30


def test_it_waits_for_a_hole_in_the_ids_and_steps_over_it_once_it_is_old(rworld):
    make_appeal(rworld, at=local(2026, 3, 2))
    rollup_update(gap_wait=NO_WAIT)
    cursor = RollupCursor.objects.get(name="events").last_id
    later = make_appeal(rworld, at=local(2026, 3, 3), answer_after_hours=30)
    # The first new id is missing, as if its transaction were still committing (or rolled back).
    hole = AppealEvent.objects.filter(appeal=later).order_by("id").first()
    assert hole is not None and hole.pk == cursor + 1
    # The log is append-only (a trigger on PostgreSQL): the hole is made past the trigger, as a
    # transaction that never commits would leave it.
    with connection.cursor() as db:
        if connection.vendor == "postgresql":
            db.execute("SET session_replication_role = replica")
        AppealEvent.objects.filter(pk=hole.pk).delete()
        if connection.vendor == "postgresql":
            db.execute("SET session_replication_role = DEFAULT")
    with time_machine.travel(dt.datetime(2030, 1, 1, 12, tzinfo=dt.UTC), tick=False):
        waiting = rollup_update(gap_wait=dt.timedelta(minutes=2))
    assert waiting.waiting_for_gap and waiting.events == 0
    assert RollupCursor.objects.get(name="events").last_id == cursor
    with time_machine.travel(dt.datetime(2030, 1, 1, 12, 1, tzinfo=dt.UTC), tick=False):
        assert rollup_update(gap_wait=dt.timedelta(minutes=2)).events == 0
    with time_machine.travel(dt.datetime(2030, 1, 1, 12, 3, tzinfo=dt.UTC), tick=False):
        passed = rollup_update(gap_wait=dt.timedelta(minutes=2))
    assert not passed.waiting_for_gap and passed.events == AppealEvent.objects.filter(pk__gt=cursor).count()
    assert agg.totals(agg.Slice(), counters=("answered",))["answered"] == 1


def test_it_keeps_the_backlog_and_the_category_where_the_appeal_was(rworld):
    from otklik.appeals import services as s

    appeal = s.appeal_submit(text="Нет тепла", category=rworld.roads, territory=rworld.territories[0],
                             now=local(2026, 3, 2))
    s.appeal_reclassify(appeal_id=appeal.pk, user=rworld.moderator, category_id=rworld.heating.pk,
                        now=local(2026, 3, 2, 11))
    s.appeal_accept(appeal_id=appeal.pk, system=True, now=local(2026, 3, 2, 12))
    s.appeal_redirect(appeal_id=appeal.pk, user=rworld.orgs[2].coordinator, organization_id=rworld.orgs[1].org.pk,
                      reason="Не наша компетенция", now=local(2026, 3, 4, 12))
    rollup_update(gap_wait=NO_WAIT)
    before_redirect = agg.backlog(agg.Slice(date_to=dt.date(2026, 3, 3)), group_by=("organization_id",
                                                                                     "category_id"))
    assert {key: n for key, n in before_redirect.items() if n} == {(rworld.orgs[2].org.pk, rworld.heating.pk): 1}
    after = agg.backlog(agg.Slice(date_to=dt.date(2026, 3, 31)), group_by=("organization_id", "category_id"))
    assert {key: n for key, n in after.items() if n} == {(rworld.orgs[1].org.pk, rworld.heating.pk): 1}
    submitted = agg.sums(agg.Slice(), group_by=("category_id",), counters=("submitted",))
    # Submitted under the category it had then, not the one it was corrected to.
    assert {row["category_id"]: row["submitted"] for row in submitted if row["submitted"]} == {rworld.roads.pk: 1}


def test_it_finds_the_median_inside_its_bucket():
    hours = [1.5, 3.5, 30, 50, 100]  # median 30 h: the bucket (24, 48]
    buckets: dict[int, int] = {}
    for value in hours:
        bucket = bucket_of(value * 3600)
        buckets[bucket] = buckets.get(bucket, 0) + 1
    median = agg.median_hours(buckets)
    assert median is not None and 24 <= median <= 48
    assert agg.median_hours({}) is None


def test_it_reads_whole_months_from_the_monthly_rollup_and_the_edges_from_days():
    parts = agg._parts(dt.date(2026, 1, 20), dt.date(2026, 4, 10))
    assert [(model.__name__, start, end) for model, start, end in parts] == [
        ("DailyRollup", dt.date(2026, 1, 20), dt.date(2026, 1, 31)),
        ("MonthlyRollup", dt.date(2026, 2, 1), dt.date(2026, 3, 31)),
        ("DailyRollup", dt.date(2026, 4, 1), dt.date(2026, 4, 10)),
    ]
    assert [m.__name__ for m, _s, _e in agg._parts(dt.date(2026, 3, 3), dt.date(2026, 3, 30))] == ["DailyRollup"]
    assert [(m.__name__, s, e) for m, s, e in agg._parts(None, dt.date(2026, 3, 31))] == [
        ("MonthlyRollup", None, dt.date(2026, 3, 31))]
