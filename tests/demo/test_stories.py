"""One story generator (issue 16): the same seed played through the services and through the bulk sink
leaves the same rows — the appeals' columns, their events and their breaches."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from otklik.accounts.models import Absence, Membership, Role
from otklik.appeals.lifecycle import Action, State
from otklik.appeals.models import Appeal, AppealEvent, DeadlineBreach, NumberSequence
from otklik.appeals.sweeps import sweep
from otklik.demo.load import SyntheticProfile, ensure_registry, reserve_numbers
from otklik.demo.sinks import BulkSink, CopySink, OrmSink, ServicesSink
from otklik.demo.stories import Planner, Story, load_registry
from otklik.registry.selectors import region_calendar, region_settings

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
CUTOFF = dt.datetime(2026, 11, 20, 12, 0, tzinfo=MSK)
# Columns that differ by construction: ids, the secret, the wall clock of the write, the hash chain
# (it covers the appeal's id); the sweeper's markers are compared as "set or not" (the real sweeper
# stamps the moment it ran, the simulated one the minute after the deadline).
NOT_COMPARED = {"id", "access_token", "created_at", "updated_at", "last_event_hash", "duplicate_of_id"}
MARKERS = {"warned_at", "overdue_marked_at", "stage_overdue_marked_at", "executor_alarm_marked_at",
           "resolution_overdue_marked_at"}


def _stories(count: int, seed: int, sink: BulkSink) -> list[Story]:
    rng = random.Random(seed)
    region = region_settings()
    profile = SyntheticProfile()
    planner = Planner(registry=load_registry(profile, rng), profile=profile, region=region,
                      cal=region_calendar(region), now=CUTOFF)
    received = planner.arrivals(count, CUTOFF - dt.timedelta(days=75), CUTOFF, rng)
    years = [moment.astimezone(MSK).year for moment in received]
    numbers = reserve_numbers(years)
    ids = sink.reserve_ids(count)
    return [planner.plan(index, moment, random.Random(rng.random()), appeal_id=ids[index],
                         number=f"{years[index]}-{next(numbers[years[index]]):06d}")
            for index, moment in enumerate(received)]


def _rows() -> dict[str, dict]:
    """Every appeal by its number: its columns, its events in order, its breaches."""
    columns = [f.attname for f in Appeal._meta.concrete_fields if f.attname not in NOT_COMPARED]
    numbers = dict(Appeal.objects.values_list("pk", "number"))
    rows: dict[str, dict] = {}
    for appeal in Appeal.objects.all():
        row = {name: getattr(appeal, name) for name in columns}
        row.update({name: row[name] is not None for name in MARKERS})
        row["duplicate_of"] = numbers.get(appeal.duplicate_of_id)
        row["events"], row["breaches"] = [], []
        rows[appeal.number] = row
    for e in AppealEvent.objects.order_by("appeal_id", "at", "id"):
        rows[numbers[e.appeal_id]]["events"].append(
            (e.at, e.action, e.actor_id, e.role, e.acting_for_id, e.organization_id, e.from_state, e.to_state,
             e.reason, e.payload))
    for b in DeadlineBreach.objects.order_by("appeal_id", "stage", "due_at"):
        rows[numbers[b.appeal_id]]["breaches"].append(
            (b.stage, b.due_at, b.organization_id, b.executor_id, b.coordinator_id, b.state, b.internal))
    return rows


def _clear() -> None:
    # The event log is append-only (a trigger refuses DELETE on PostgreSQL) and an appeal with a history
    # is protected: emptying the tables is a maintenance step, as a restore would be.
    with connection.cursor() as db:
        if connection.vendor == "postgresql":
            db.execute("SET session_replication_role = replica")
        AppealEvent.objects.all().delete()
        Appeal.objects.all().delete()
        NumberSequence.objects.all().delete()
        if connection.vendor == "postgresql":
            db.execute("SET session_replication_role = DEFAULT")


def _stand_ins() -> None:
    """In every organisation the first executor and the head are away for a month, the second executor
    and the coordinator standing in for them."""
    for org_id in Membership.objects.filter(role=Role.HEAD).values_list("organization_id", flat=True):
        staff = {role: [m.user for m in Membership.objects.filter(organization_id=org_id, role=role).order_by("pk")]
                 for role in (Role.HEAD, Role.COORDINATOR, Role.EXECUTOR)}
        for away, stand_in in ((staff[Role.EXECUTOR][0], staff[Role.EXECUTOR][1]),
                               (staff[Role.HEAD][0], staff[Role.COORDINATOR][0])):
            Absence.objects.create(user=away, stand_in=stand_in, reason=Absence.Reason.VACATION,
                                   starts_on=CUTOFF.date() - dt.timedelta(days=45),
                                   ends_on=CUTOFF.date() - dt.timedelta(days=15))


@pytest.mark.parametrize("variant", ["as_shipped", "heads_confirm_while_staff_are_away"])
def test_the_same_seed_leaves_the_same_rows_through_the_services_and_in_bulk(region, variant):
    ensure_registry()
    if variant != "as_shipped":
        # The region's other choices: the head confirms postponements, stage budgets are breaches.
        region.postponement_confirmed_by = Role.HEAD
        region.stage_breaches_in_register = True
        region.save()
        _stand_ins()
    sink: BulkSink = CopySink(threaded=False, skip_fk_checks=False) if connection.vendor == "postgresql" else OrmSink()
    stories = _stories(45, seed=16, sink=sink)
    sink.write(stories)
    sweep(now=CUTOFF)  # what fell due after an appeal's last step
    bulk = _rows()
    _clear()

    ServicesSink().play(stories, until=CUTOFF)
    played = _rows()

    assert sorted(played) == sorted(bulk)
    for number, row in bulk.items():
        for name, value in row.items():
            assert played[number][name] == value, (number, name)
    # The seed is rich enough for the comparison to mean something.
    states = Counter(row["state"] for row in bulk.values())
    assert states[State.CLOSED] and sum(states[s] for s in (State.EXECUTION, State.POSTPONED, State.APPROVAL)) > 0
    actions = Counter(event[1] for row in bulk.values() for event in row["events"])
    assert actions[Action.SUBMIT] == len(stories) and actions[Action.RATE] and actions[Action.ASSIGN]
    assert any(row["breaches"] for row in bulk.values())
    if variant != "as_shipped":
        assert any(event[4] for row in bulk.values() for event in row["events"])  # someone acted for another
