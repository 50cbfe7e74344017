"""The demo region has one event of each kind, made through the services, and the poll's results add up."""

from io import StringIO

import pytest
from django.core.management import call_command

from otklik.participation import selectors
from otklik.participation.lifecycle import State
from otklik.participation.models import Ballot, Comment, Event, Kind, Participation

pytestmark = pytest.mark.django_db


def test_the_demo_region_holds_one_event_of_each_kind(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path)
    call_command("load_demo", appeals=24, stdout=StringIO())
    events = {e.kind: e for e in Event.objects.all()}
    assert set(events) == set(Kind.values)
    assert events[Kind.DISCUSSION].state == State.PUBLISHED
    assert Comment.objects.filter(status=Comment.Status.ACCEPTED).count() == 3
    vote = events[Kind.BUDGET]
    assert Ballot.objects.filter(event_id=vote.pk).count() == Participation.objects.filter(event_id=vote.pk).count()
    poll = events[Kind.POLL]
    assert poll.state == State.PUBLISHED and selectors.count_event(poll)["ballots"] == 30
    assert selectors.recount(poll).ballots_match_participants
    assert events[Kind.HEARING].hearing_place
