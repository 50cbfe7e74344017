"""One person, one ballot, secret; results by each rule, counted from generated ballots."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import connection
from django.utils import timezone

from otklik.participation import ballots as rules
from otklik.participation import selectors
from otklik.participation import services as s
from otklik.participation.models import Ballot, BudgetRule, Kind, Participation, Question
from otklik.participation.services import ParticipationError

from .conftest import budget_event, citizen, open_event


def test_a_second_ballot_by_the_same_person_is_refused(world):
    event, (square, _sports, light) = budget_event(world)
    voter = citizen(world)
    s.ballot_cast(user=voter, event_id=event.pk, choices={"projects": [square.pk]})
    with pytest.raises(ParticipationError) as refused:
        s.ballot_cast(user=voter, event_id=event.pk, choices={"projects": [light.pk]})
    assert refused.value.code == "already_voted"
    assert list(Ballot.objects.filter(event_id=event.pk).values_list("choices", flat=True)) == [
        {"projects": [square.pk]}]


def test_a_second_ballot_replaces_the_first_where_changes_are_allowed(world):
    event, (square, sports, light) = budget_event(world, ballot_changeable=True)
    voter, other = citizen(world), citizen(world)
    s.ballot_cast(user=other, event_id=event.pk, choices={"projects": [sports.pk]})
    assert s.ballot_cast(user=voter, event_id=event.pk, choices={"projects": [square.pk]}) is False
    assert s.ballot_cast(user=voter, event_id=event.pk, choices={"projects": [light.pk]}) is True
    contents = sorted(Ballot.objects.filter(event_id=event.pk).values_list("choices", flat=True), key=str)
    assert contents == sorted([{"projects": [sports.pk]}, {"projects": [light.pk]}], key=str)
    assert Participation.objects.filter(event_id=event.pk).count() == 2
    assert selectors.my_ballot(voter, event) == {"projects": [light.pk]}


def test_an_over_budget_ballot_is_refused_with_the_sum_and_the_excess(world):
    event, (square, sports, _light) = budget_event(world)
    with pytest.raises(ParticipationError) as refused:
        s.ballot_cast(user=citizen(world), event_id=event.pk, choices={"projects": [square.pk, sports.pk]})
    assert refused.value.code == "over_budget"
    assert "1\u00a0100\u00a0000\u00a0₽" in refused.value.message and "100\u00a0000\u00a0₽" in refused.value.message
    assert not Ballot.objects.exists() and not Participation.objects.exists()


def test_choose_k_refuses_more_than_k_projects(world):
    event, made = budget_event(world, rule=BudgetRule.CHOOSE_K, max_choices=2)
    with pytest.raises(ParticipationError) as refused:
        s.ballot_cast(user=citizen(world), event_id=event.pk, choices={"projects": [p.pk for p in made]})
    assert refused.value.code == "too_many"


def test_only_verified_citizens_vote_and_only_in_the_audience(world):
    event, (square, *_rest) = budget_event(world)
    unconfirmed = citizen(world)
    unconfirmed.email = ""
    unconfirmed.save()
    with pytest.raises(ParticipationError) as refused:
        s.ballot_cast(user=unconfirmed, event_id=event.pk, choices={"projects": [square.pk]})
    assert refused.value.code == "not_verified"
    with pytest.raises(ParticipationError) as refused:
        s.ballot_cast(user=world.organiser, event_id=event.pk, choices={"projects": [square.pk]})
    assert refused.value.code == "staff_account"
    stranger = citizen(world, territory=world.other_district)
    with pytest.raises(ParticipationError) as refused:
        s.ballot_cast(user=stranger, event_id=event.pk, choices={"projects": [square.pk]})
    assert refused.value.code == "not_in_audience"


def test_an_age_limit_refuses_the_too_young(world):
    event, (square, *_rest) = budget_event(world, min_age=18)
    with pytest.raises(ParticipationError) as refused:
        s.ballot_cast(user=citizen(world, birth_year=timezone.localdate().year - 16), event_id=event.pk,
                      choices={"projects": [square.pk]})
    assert refused.value.code == "too_young"


def test_no_ballot_is_accepted_after_the_end(world, _controlled_clock):
    event, (square, *_rest) = budget_event(world)
    voter = citizen(world)
    _controlled_clock.shift(dt.timedelta(days=8))
    with pytest.raises(ParticipationError) as refused:
        s.ballot_cast(user=voter, event_id=event.pk, choices={"projects": [square.pk]})
    assert refused.value.code == "closed"


@pytest.mark.parametrize("rule", [BudgetRule.KNAPSACK, BudgetRule.CHOOSE_K, BudgetRule.APPROVAL])
def test_results_fund_greedily_by_votes_within_the_budget_for_every_rule(rule):
    rng = random.Random(rule)
    projects = [rules.ProjectRow(i, rng.randrange(50, 500) * 1000) for i in range(1, 13)]
    budget = 1_500_000
    by_id = {p.id: p for p in projects}
    ballots = []
    for _voter in range(2000):
        wanted = rng.sample(range(1, 13), rng.randint(1, 6))
        try:
            chosen = rules.check_budget_ballot(rule=rule, budget=budget, max_choices=3, projects=projects,
                                               chosen=wanted)
        except rules.BallotRefused:
            continue
        ballots.append({"projects": chosen})
    result = rules.count_budget(budget=budget, projects=projects, ballots=ballots)

    expected_votes = {p.id: sum(p.id in b["projects"] for b in ballots) for p in projects}
    assert result.votes == expected_votes
    assert result.ballots == len(ballots)
    # Re-derive the greedy rule independently: walk by votes, fund whatever still fits.
    left, funded = budget, []
    for pid in sorted(expected_votes, key=lambda i: (-expected_votes[i], by_id[i].cost, i)):
        if by_id[pid].cost <= left and expected_votes[pid]:
            funded.append(pid)
            left -= by_id[pid].cost
    assert result.funded == funded
    assert result.spent == sum(by_id[i].cost for i in funded) <= budget
    if rule == BudgetRule.KNAPSACK:
        assert all(sum(by_id[i].cost for i in b["projects"]) <= budget for b in ballots)
    if rule == BudgetRule.CHOOSE_K:
        assert all(len(b["projects"]) <= 3 for b in ballots)


def test_a_project_that_does_not_fit_is_skipped_and_the_next_one_funded():
    projects = [rules.ProjectRow(1, 600), rules.ProjectRow(2, 500), rules.ProjectRow(3, 300)]
    ballots = [{"projects": [1, 2]}] * 5 + [{"projects": [2]}] * 2 + [{"projects": [3]}]
    result = rules.count_budget(budget=1000, projects=projects, ballots=ballots)
    assert result.votes == {1: 5, 2: 7, 3: 1}
    assert result.funded == [2, 3]  # 600 no longer fits after 500; 300 does
    assert result.spent == 800


def test_poll_results_count_every_answer_on_generated_ballots(world):
    event = open_event(world, Kind.POLL)
    q1 = s.question_add(user=world.organiser, event_id=event.pk, text="Пользуетесь ли парком?",
                        type=Question.Type.SINGLE, options=["Да", "Нет"])
    yes, no = list(q1.options.all())
    q2 = s.question_add(user=world.organiser, event_id=event.pk, text="Как часто?", type=Question.Type.SCALE,
                        show_if_question_id=q1.pk, show_if_option_id=yes.pk)
    q3 = s.question_add(user=world.organiser, event_id=event.pk, text="Что добавить?",
                        type=Question.Type.MULTIPLE, options=["Скамейки", "Фонари", "Урны"], required=False)
    s.event_publish(user=world.organiser, event_id=event.pk)
    rng = random.Random(4)
    sent = []
    for _n in range(30):
        answer = {str(q1.pk): rng.choice([yes.pk, no.pk]), str(q2.pk): rng.randint(1, 5),
                  str(q3.pk): rng.sample([o.pk for o in q3.options.all()], 2)}
        s.ballot_cast(user=citizen(world), event_id=event.pk, choices={"answers": answer})
        if answer[str(q1.pk)] == no.pk:
            del answer[str(q2.pk)]  # the conditional question was not shown: its answer is not counted
        sent.append(answer)
    result = selectors.count_event(event)
    assert result["ballots"] == 30 == result["participants"]
    counted = result["questions"]
    assert counted[str(q1.pk)]["counts"] == {str(yes.pk): sum(a[str(q1.pk)] == yes.pk for a in sent),
                                             str(no.pk): sum(a[str(q1.pk)] == no.pk for a in sent)}
    scale = [a[str(q2.pk)] for a in sent if str(q2.pk) in a]
    assert counted[str(q2.pk)]["answered"] == len(scale)
    assert counted[str(q2.pk)]["mean"] == round(sum(scale) / len(scale), 2)
    assert sum(counted[str(q3.pk)]["counts"].values()) == 60


def test_a_required_conditional_question_is_required_only_when_shown(world):
    event = open_event(world, Kind.POLL)
    q1 = s.question_add(user=world.organiser, event_id=event.pk, text="Есть ли дети?", type=Question.Type.SINGLE,
                        options=["Да", "Нет"])
    yes, no = list(q1.options.all())
    q2 = s.question_add(user=world.organiser, event_id=event.pk, text="Сколько лет ребёнку?",
                        type=Question.Type.TEXT, show_if_question_id=q1.pk, show_if_option_id=yes.pk)
    s.event_publish(user=world.organiser, event_id=event.pk)
    s.ballot_cast(user=citizen(world), event_id=event.pk, choices={"answers": {str(q1.pk): no.pk}})
    with pytest.raises(ParticipationError) as refused:
        s.ballot_cast(user=citizen(world), event_id=event.pk, choices={"answers": {str(q1.pk): yes.pk}})
    assert refused.value.field == f"q{q2.pk}"


def test_staff_cannot_tell_from_the_database_who_cast_which_ballot(world):
    """The whole database as a member of staff sees it: the ballot table has no person, no time and
    no key in voting order, and its physical row order does not follow the order people voted in."""
    event, made = budget_event(world)
    voters = [citizen(world) for _n in range(60)]
    for index, voter in enumerate(voters):
        # Each voter's choice is unique and known to the test, so a leak would show.
        chosen = [made[index % 3].pk] if index % 2 else [made[2].pk, made[(index // 2) % 2].pk]
        s.ballot_cast(user=voter, event_id=event.pk, choices={"projects": chosen})
    ballot_columns = {f.column for f in Ballot._meta.get_fields() if getattr(f, "column", None)}
    assert ballot_columns == {"id", "event_id", "choices", "token"}
    assert not [f for f in Ballot._meta.get_fields() if f.is_relation]
    assert set(Ballot.objects.values_list("token", flat=True)) == {None}  # not changeable: no token at all

    with connection.cursor() as cursor:
        order_column = "rowid" if connection.vendor == "sqlite" else "ctid"
        cursor.execute(f"SELECT choices FROM participation_ballot ORDER BY {order_column}")
        physical = [row[0] for row in cursor.fetchall()]
    cast_order = []
    for index in range(60):
        chosen = [made[index % 3].pk] if index % 2 else sorted([made[2].pk, made[(index // 2) % 2].pk])
        cast_order.append(chosen)
    import json

    physical_lists = [json.loads(value)["projects"] if isinstance(value, str) else value["projects"]
                      for value in physical]
    assert sorted(map(tuple, physical_lists)) == sorted(map(tuple, cast_order))
    same_place = sum(a == b for a, b in zip(physical_lists, cast_order, strict=True))
    assert same_place < 45  # shuffled: by chance about a third (3 kinds of ballot) land where they were cast


def test_the_token_of_a_changeable_ballot_is_not_computable_without_the_server_secret(world, settings):
    event, (square, *_rest) = budget_event(world, ballot_changeable=True)
    voter = citizen(world)
    s.ballot_cast(user=voter, event_id=event.pk, choices={"projects": [square.pk]})
    stored = Ballot.objects.get().token
    import hashlib

    guesses = {hashlib.sha256(f"{event.pk}|{voter.pk}".encode()).hexdigest(),
               hashlib.sha256(f"{voter.pk}|{event.pk}".encode()).hexdigest()}
    assert stored not in guesses
    settings.SECRET_KEY = "another-secret"
    assert s.ballot_token(voter.pk, event.pk) != stored
