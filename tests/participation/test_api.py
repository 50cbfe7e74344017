"""/api/participation/: public events, a ballot with structured errors, organisers' actions and the recount."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from otklik.participation.models import Event

from .conftest import budget_event, citizen


def test_public_events_and_a_ballot_through_the_api(world, client):
    event, (square, sports, light) = budget_event(world)
    listed = client.get("/api/participation/events").json()
    assert [e["id"] for e in listed] == [event.pk]
    detail = client.get(f"/api/participation/events/{event.pk}").json()
    assert [p["cost"] for p in detail["projects"]] == [400_000, 700_000, 300_000] and detail["results"] is None

    assert client.post(f"/api/participation/events/{event.pk}/ballot", {"projects": [square.pk]},
                       content_type="application/json").status_code == 401
    client.force_login(citizen(world))
    over = client.post(f"/api/participation/events/{event.pk}/ballot", {"projects": [square.pk, sports.pk]},
                       content_type="application/json")
    assert over.status_code == 400
    assert over.json()["code"] == "over_budget" and over.json()["field"] == "projects"
    assert "больше бюджета" in over.json()["message"]
    ok = client.post(f"/api/participation/events/{event.pk}/ballot", {"projects": [square.pk, light.pk]},
                     content_type="application/json")
    assert ok.json() == {"accepted": True, "replaced": False}
    again = client.post(f"/api/participation/events/{event.pk}/ballot", {"projects": [light.pk]},
                        content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "already_voted"


def test_organisers_act_and_recount_through_the_api_and_others_get_404(world):
    event, (square, *_rest) = budget_event(world)
    voter = Client()
    voter.force_login(citizen(world))
    voter.post(f"/api/participation/events/{event.pk}/ballot", {"projects": [square.pk]},
               content_type="application/json")
    Event.objects.filter(pk=event.pk).update(ends_at=timezone.now() - dt.timedelta(minutes=1))
    stranger = Client()
    stranger.force_login(world.other_organiser)
    assert stranger.post(f"/api/participation/manage/events/{event.pk}/do/finish", {},
                         content_type="application/json").status_code == 404
    organiser = Client()
    organiser.force_login(world.organiser)
    assert [e["id"] for e in organiser.get("/api/participation/manage/events").json()] == [event.pk]
    finished = organiser.post(f"/api/participation/manage/events/{event.pk}/do/finish", {},
                              content_type="application/json")
    assert finished.json()["state"] == "finished"
    organiser.post(f"/api/participation/manage/events/{event.pk}/do/publish_results", {"text": "Итоги"},
                   content_type="application/json")
    recount = organiser.get(f"/api/participation/manage/events/{event.pk}/recount").json()
    assert recount["ballots"] == recount["participants"] == 1
    assert recount["matches_published"] and recount["count"]["funded"] == [square.pk]
    assert Client().get(f"/api/participation/events/{event.pk}").json()["results"]["funded"] == [square.pk]
