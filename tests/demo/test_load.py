"""The bulk sink (``generate_load``) writes appeals whose histories obey the lifecycle and the deadline rules."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import random
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection

from otklik.accounts.models import Membership, Role
from otklik.appeals import deadlines
from otklik.appeals import services as s
from otklik.appeals.lifecycle import OPEN_STATES, TABLE, Action, Regime, State
from otklik.appeals.models import Appeal, AppealEvent, DeadlineBreach, NumberSequence, Stage
from otklik.appeals.replay import replay_state
from otklik.appeals.sweeps import sweep
from otklik.demo import load
from otklik.demo.stories import SWEEP_LAG, Planner, load_registry
from otklik.registry.models import Category, Organization, RoutingRule
from otklik.registry.selectors import region_calendar, region_settings, route_organization

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
NOW = dt.datetime(2026, 2, 16, 12, 0, tzinfo=MSK)
TERM_EVENTS = {Action.REGISTER, Action.RECLASSIFY, Action.POSTPONE, Action.RECONSIDER, Action.EXTEND,
               Action.INTERMEDIATE}


def _generate(count: int = 300, seed: int = 7, **options) -> load.LoadResult:
    options.setdefault("months", 3)
    options.setdefault("now", NOW)
    return load.generate(appeals=count, seed=seed, batch=120, **options)


def _histories() -> dict[int, list[AppealEvent]]:
    histories: dict[int, list[AppealEvent]] = {}
    for event in AppealEvent.objects.order_by("appeal_id", "at", "id"):
        histories.setdefault(event.appeal_id, []).append(event)
    return histories


def _assert_replays(appeals: list[Appeal], histories: dict[int, list[AppealEvent]]) -> None:
    for appeal in appeals:
        events = histories[appeal.pk]
        first = events[0]
        assert (first.action, first.from_state, first.to_state) == (Action.SUBMIT, "", State.RECEIVED)
        state = State.RECEIVED
        for previous, event in itertools.pairwise(events):
            assert event.at >= previous.at
            assert event.from_state == state, (appeal.number, event.action)
            row = TABLE.get((State(event.from_state), Action(event.action)))
            assert row is not None, (appeal.number, event.from_state, event.action)
            assert row.target == event.to_state
            assert appeal.regime in row.regimes
            assert event.role in row.roles
            state = State(event.to_state)
        assert state == appeal.state, appeal.number
        assert replay_state(events, appeal.regime) == appeal.state  # the project's own replay agrees
        assert events[-1].at <= NOW


def test_it_writes_histories_that_replay_to_the_stored_state(region):
    result = _generate()

    appeals = list(Appeal.objects.all())
    assert len(appeals) == result.appeals == 300
    assert AppealEvent.objects.count() == result.events
    _assert_replays(appeals, _histories())


def test_it_is_deterministic_for_a_seed(region):
    def fingerprint() -> list[tuple]:
        appeals = list(Appeal.objects.order_by("received_at", "id"))
        position = {appeal.pk: index for index, appeal in enumerate(appeals)}
        rows = [
            (a.regime, a.channel, a.state, a.category_id, a.territory_id, a.organization_id, a.executor_id, a.text,
             a.access_token, a.received_at, a.due_at, a.stage, a.stage_due_at, a.rating, a.closed_at)
            for a in appeals
        ]
        events = [
            (position[e.appeal_id], e.at, e.action, e.actor_id, e.role, e.from_state, e.to_state, e.reason, e.payload)
            for e in AppealEvent.objects.order_by("appeal_id", "at", "id")
        ]
        return [*rows, *events]

    def clear():
        # The event log is append-only (a trigger refuses DELETE on PostgreSQL) and an appeal with a
        # history is protected: emptying the tables is a maintenance step, as a restore would be.
        with connection.cursor() as db:
            if connection.vendor == "postgresql":
                db.execute("SET session_replication_role = replica")  # past the append-only trigger
            AppealEvent.objects.all().delete()
            Appeal.objects.all().delete()
            if connection.vendor == "postgresql":
                db.execute("SET session_replication_role = DEFAULT")

    _generate(120, seed=3)
    first = fingerprint()
    clear()
    _generate(120, seed=3)
    assert fingerprint() == first
    clear()
    _generate(120, seed=4)
    assert fingerprint() != first


def test_it_stores_the_deadlines_the_calendar_module_computes(region):
    _generate(400)
    settings_row = region_settings()
    cal = region_calendar(settings_row)  # the plain calendar, not the generator's memoised one
    histories = _histories()
    checked = Counter()
    for appeal in Appeal.objects.select_related("category"):
        events = histories[appeal.pk]
        if appeal.registered_at is None:
            assert appeal.state == State.RECEIVED and appeal.regime == Regime.FZ59
            assert appeal.stage_due_at == deadlines.registration_due(appeal.received_at, settings_row, cal)
            continue
        assert appeal.due_at > appeal.registered_at >= appeal.received_at
        stored_term = (appeal.warn_at, appeal.warned_at, appeal.overdue_marked_at)
        deadlines.set_answer_term(appeal, start=appeal.term_started_at, due=appeal.due_at, region=settings_row,
                                  cal=cal)
        assert appeal.warn_at == stored_term[0]
        appeal.warn_at, appeal.warned_at, appeal.overdue_marked_at = stored_term
        if appeal.regime == Regime.FZ59:
            assert appeal.redirect_due_at == deadlines.redirect_due(appeal.registered_at, settings_row, cal)
        term = [e for e in events if e.action in TERM_EVENTS and not (
            e.action == Action.RECLASSIFY and appeal.regime != Regime.POS) and not (
            e.action == Action.INTERMEDIATE and appeal.regime != Regime.SOCIAL)][-1]
        if term.action in {Action.REGISTER, Action.RECLASSIFY}:
            expected = deadlines.initial_answer_due(appeal, appeal.registered_at, settings_row, cal)
            assert (appeal.term_started_at, appeal.due_at) == (appeal.registered_at, expected)
        elif term.action == Action.RECONSIDER:
            expected = deadlines.reconsideration_due(appeal, term.at, settings_row, cal)
            assert (appeal.term_started_at, appeal.due_at) == (term.at, expected)
        elif term.action == Action.POSTPONE:
            assert appeal.due_at == cal.end_of_day(appeal.postponed_until)
            assert appeal.term_started_at == appeal.postponed_at == term.at
        elif term.action == Action.EXTEND:
            assert appeal.due_at == deadlines.extended_due(appeal, settings_row, cal)
        elif term.action == Action.INTERMEDIATE:
            assert appeal.due_at == cal.add_working_days(term.at, settings_row.social_final_working_days)
        if "due_at" in term.payload:
            assert term.payload["due_at"] == appeal.due_at.astimezone(MSK).isoformat()
        checked[term.action] += 1
        # The stage deadline is what set_stage gives for the state the appeal is in.
        stored = (appeal.stage, appeal.stage_due_at)
        deadlines.set_stage(appeal, now=appeal.state_changed_at, region=settings_row, cal=cal)
        assert (appeal.stage, appeal.stage_due_at) == stored, appeal.number
    assert checked[Action.REGISTER] > 200
    assert checked[Action.RECONSIDER] and checked[Action.POSTPONE]


def test_it_records_a_breach_for_every_answer_given_late(region):
    _generate(400)
    late = [a for a in Appeal.objects.filter(answered_at__isnull=False, reconsideration_count=0)
            if a.answered_at >= a.due_at + SWEEP_LAG]
    assert late
    for appeal in late:
        breach = DeadlineBreach.objects.get(appeal=appeal, stage=Stage.ANSWER, due_at=appeal.due_at)
        assert breach.detected_at == appeal.due_at + SWEEP_LAG
    published = AppealEvent.objects.filter(action=Action.PUBLISH)
    on_time = sum(1 for event in published if event.payload["on_time"])
    assert 0.7 < on_time / published.count() < 0.97  # most on time, a share late


def test_it_leaves_open_appeals_for_the_sweeper(region):
    result = _generate(400, months=2)

    open_appeals = Appeal.objects.filter(state__in=sorted(OPEN_STATES))
    assert open_appeals.count() == result.open
    assert 0.1 < result.open / result.appeals < 0.6
    first = sweep(now=NOW)
    assert first.overdue > 0 and first.warned > 0 and first.stage_overdue > 0
    assert sweep(now=NOW).total() == 0  # everything due is claimed once


def test_it_covers_the_branches_of_the_lifecycle(region):
    _generate(1500, seed=2, months=6)

    actions = Counter(AppealEvent.objects.values_list("action", flat=True))
    assert set(actions) == {a.value for a in Action}
    regimes = Counter(Appeal.objects.values_list("regime", flat=True))
    assert regimes[Regime.POS] > regimes[Regime.SOCIAL] > 0 and regimes[Regime.FZ59] > 0
    duplicates = Appeal.objects.filter(duplicate_of__isnull=False)
    assert duplicates.exists()
    assert all(d.duplicate_of.received_at <= d.received_at for d in duplicates.select_related("duplicate_of"))
    assert Appeal.objects.filter(rating__isnull=False).exists()
    assert Appeal.objects.filter(redirect_count__gt=0).exists()
    assert Appeal.objects.filter(state=State.REJECTED).exists()


def test_it_follows_the_weekly_and_seasonal_rhythm(region):
    load.ensure_registry()
    rng = random.Random(5)
    settings_row = region_settings()
    profile = load.SyntheticProfile()
    registry = load_registry(profile, rng)
    planner = Planner(registry=registry, profile=profile, region=settings_row, cal=region_calendar(settings_row),
                      now=NOW)
    moments = [m.astimezone(MSK) for m in planner.arrivals(20000, NOW - dt.timedelta(days=365), NOW, rng)]
    assert moments == sorted(moments) and moments[-1] <= NOW
    by_weekday = Counter(m.weekday() for m in moments)
    assert min(by_weekday[d] for d in range(5)) > 1.4 * max(by_weekday[5], by_weekday[6])

    heating = Category.objects.get(code="load-heating")
    index = registry.categories.index(heating)

    def share(month: int) -> float:
        cum = registry.month_cum[month - 1]
        weight = cum[index] - (cum[index - 1] if index else 0)
        return weight / cum[-1]

    assert share(1) > 10 * share(7)


def test_it_creates_a_synthetic_registry_only_when_the_registry_is_empty(region):
    assert load.ensure_registry() is True
    assert load.ensure_registry() is False

    organizations = Organization.objects.exclude(short_name="ЦУР")
    assert 25 <= organizations.count() <= 35
    for org in organizations:
        roles = set(Membership.objects.filter(organization=org).values_list("role", flat=True))
        assert {Role.HEAD, Role.COORDINATOR, Role.EXECUTOR} <= roles
    assert Membership.objects.filter(role=Role.MODERATOR).exists()
    leaves = Category.objects.filter(children__isnull=True)
    assert 35 <= leaves.count() <= 45
    registry = load_registry(load.SyntheticProfile(), random.Random(1))
    for category in leaves:
        assert RoutingRule.objects.filter(category=category).exists()
        for territory in registry.territories:
            routed = route_organization(category=category, territory=territory)
            assert routed is not None
            assert registry.route[(category.pk, territory.pk if territory else None)] == routed.pk


def test_it_uses_the_existing_registry(world):
    result = _generate(80)

    assert result.created_registry is False
    appeals = Appeal.objects.all()
    assert set(appeals.values_list("category_id", flat=True)) <= {world.category.pk, world.accelerated.pk}
    assert set(appeals.exclude(organization=None).values_list("organization_id", flat=True)) <= {
        world.org.pk, world.other_org.pk}
    executors = set(appeals.exclude(executor=None).values_list("executor_id", flat=True))
    assert executors and executors <= {world.executor.pk, world.other_executor.pk, world.outsider.pk}


def test_it_continues_the_number_sequence(region):
    out = io.StringIO()
    call_command("generate_load", "--appeals=60", "--seed=1", "--months=2", f"--now={NOW.isoformat()}", stdout=out)

    assert "appeals=60 " in out.getvalue()

    numbers = list(Appeal.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 60
    years = Counter(number.split("-")[0] for number in numbers)
    for year, count in years.items():
        assert NumberSequence.objects.get(year=int(year)).last == count
    fresh = s.appeal_submit(text="Яма у подъезда", applicant_name="Петров П. П.", now=NOW)
    assert fresh.number == f"2026-{years['2026'] + 1:06d}"


@pytest.mark.django_db(transaction=True)
def test_it_copies_into_postgresql_from_a_writer_thread(region):
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    result = _generate(250, skip_fk_checks=False)

    assert Appeal.objects.count() == 250
    assert AppealEvent.objects.count() == result.events
    assert DeadlineBreach.objects.count() == result.breaches
    _assert_replays(list(Appeal.objects.all()), _histories())
