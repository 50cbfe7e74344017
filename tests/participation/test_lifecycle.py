"""The one transition table: who may do which action in which state; approval where the region requires it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from otklik.participation import services as s
from otklik.participation.lifecycle import TABLE, Action, State
from otklik.participation.models import EventEntry, Kind, ParticipationSettings, Question
from otklik.participation.services import ParticipationError
from otklik.portal.models import CitizenIdentity
from tests import factories as f

from .conftest import budget_event, open_event


def _poll(world):
    event = open_event(world, Kind.POLL)
    s.question_add(user=world.organiser, event_id=event.pk, text="Нравится ли парк?", type=Question.Type.SINGLE,
                   options=["Да", "Нет"])
    return event


def test_where_the_region_requires_approval_the_organiser_cannot_publish_alone(world):
    ParticipationSettings.objects.update(approval_required=True)
    event = _poll(world)
    with pytest.raises(ParticipationError) as refused:
        s.event_publish(user=world.organiser, event_id=event.pk)
    assert refused.value.code == "approval_required"
    s.event_submit(user=world.organiser, event_id=event.pk)
    with pytest.raises(ParticipationError) as refused:
        s.event_approve(user=world.organiser, event_id=event.pk)
    assert refused.value.status == 403
    s.event_return(user=world.coordinator, event_id=event.pk, reason="Уточните вопрос")
    s.event_submit(user=world.organiser, event_id=event.pk)
    assert s.event_approve(user=world.coordinator, event_id=event.pk).state == State.PUBLISHED
    assert list(EventEntry.objects.filter(event=event).values_list("action", "to_state")) == [
        ("create", "draft"), ("edit", "draft"), ("submit", "moderation"), ("return", "draft"),
        ("submit", "moderation"), ("approve", "published")]


def test_another_organisations_authorised_person_cannot_run_the_event(world):
    event = _poll(world)
    with pytest.raises(ParticipationError) as refused:
        s.event_publish(user=world.other_organiser, event_id=event.pk)
    assert refused.value.status == 403
    with pytest.raises(ParticipationError) as refused:
        s.event_create(user=world.other_organiser, organization_id=world.org.pk, kind=Kind.POLL, title="Чужой",
                       topic_id=world.topic.pk, starts_at=timezone.now(), ends_at=timezone.now() + dt.timedelta(1))
    assert refused.value.status == 403


def test_an_event_is_finished_only_after_its_end_and_nothing_is_edited_once_published(world):
    event, _made = budget_event(world)
    with pytest.raises(ParticipationError) as refused:
        s.event_finish(user=world.organiser, event_id=event.pk)
    assert refused.value.code == "not_ended"
    with pytest.raises(ParticipationError) as refused:
        s.project_add(user=world.organiser, event_id=event.pk, title="Ещё", cost=1000)
    assert refused.value.code == "wrong_state"


def test_an_event_cannot_be_published_empty(world):
    event = open_event(world, Kind.DISCUSSION)
    with pytest.raises(ParticipationError) as refused:
        s.event_publish(user=world.organiser, event_id=event.pk)
    assert refused.value.code == "no_document"


def test_a_citizen_signed_in_through_the_identity_provider_votes_without_an_e_mail(world):
    event, (square, *_rest) = budget_event(world)
    person = f.user("esia-person", email="")
    CitizenIdentity.objects.create(user=person, issuer="https://esia.example", subject="123")
    s.profile_save(user=person, territory_id=world.district.pk, birth_year=1990)
    assert s.ballot_cast(user=person, event_id=event.pk, choices={"projects": [square.pk]}) is False


def test_the_table_gives_every_state_change_to_a_named_role():
    for (source, action), row in TABLE.items():
        assert row.roles, (source, action)
        if row.target != source:
            assert action in {Action.SUBMIT, Action.PUBLISH, Action.APPROVE, Action.RETURN, Action.FINISH,
                              Action.PUBLISH_RESULTS}
