"""Citizen and organiser pages: every page renders, refusals are in Russian, another organisation's staff get 404."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from otklik.participation import services as s
from otklik.participation.lifecycle import State
from otklik.participation.models import Ballot, Comment, Event, Kind, Question

from .conftest import budget_event, citizen, open_event


def test_a_citizen_sees_the_list_and_an_event_and_votes_without_javascript(world, client):
    event, (square, sports, light) = budget_event(world)
    voter = citizen(world)
    client.force_login(voter)
    assert event.title in client.get(reverse("participation:list")).content.decode()
    page = client.get(reverse("participation:event", args=[event.pk])).content.decode()
    assert "Сквер" in page and "в порядке числа голосов" in page
    refused = client.post(reverse("participation:ballot", args=[event.pk]),
                          {"projects": [square.pk, sports.pk]})
    assert refused.status_code == 400
    assert "больше бюджета" in refused.content.decode()
    assert not Ballot.objects.exists()
    accepted = client.post(reverse("participation:ballot", args=[event.pk]), {"projects": [square.pk, light.pk]},
                           follow=True)
    assert "Ваш бюллетень принят" in accepted.content.decode()
    assert Ballot.objects.get().choices == {"projects": sorted([square.pk, light.pk])}


def test_a_draft_is_not_public(world, client):
    event = open_event(world, Kind.POLL)
    assert client.get(reverse("participation:event", args=[event.pk])).status_code == 404


def test_every_official_opens_the_list_from_the_menu_and_an_executor_sees_no_events(world, client):
    from otklik.accounts.models import Role
    from tests import factories as f

    budget_event(world)
    client.force_login(f.user("executor", (Role.EXECUTOR, world.org)))
    response = client.get(reverse("participation:manage_list"))
    assert response.status_code == 200 and "Мероприятий нет." in response.content.decode()
    client.force_login(citizen(world))
    assert client.get(reverse("participation:manage_list")).status_code == 404


def test_another_organisations_staff_get_404(world, client):
    event, _made = budget_event(world)
    client.force_login(world.other_organiser)
    assert client.get(reverse("participation:manage", args=[event.pk])).status_code == 404
    assert client.post(reverse("participation:manage_action", args=[event.pk, "finish"])).status_code == 404
    client.force_login(world.organiser)
    assert client.get(reverse("participation:manage", args=[event.pk])).status_code == 200


def test_the_organiser_creates_fills_publishes_and_publishes_results(world, client, _controlled_clock):
    client.force_login(world.organiser)
    now = timezone.localtime()
    response = client.post(reverse("participation:manage_list"), {
        "kind": Kind.DISCUSSION, "organization": world.org.pk, "title": "Проект правил благоустройства",
        "topic": world.topic.pk, "territories": [world.district.pk],
        "starts_at": (now + dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + dt.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")})
    event = Event.objects.get()
    assert response.status_code == 302
    client.post(reverse("participation:manage_document", args=[event.pk]),
                {"text": "Статья 1. Общие положения.\n\nСтатья 2. Уборка дворов ведётся ежедневно."})
    assert event.paragraphs.count() == 2
    client.post(reverse("participation:manage_action", args=[event.pk, "publish"]))
    event.refresh_from_db()
    assert event.state == State.PUBLISHED
    _controlled_clock.shift(dt.timedelta(minutes=10))
    author = citizen(world)
    paragraph = event.paragraphs.get(number=2)
    client.force_login(author)
    client.post(reverse("participation:comment", args=[event.pk, paragraph.pk]), {"text": "Лучше через день."})
    comment = Comment.objects.get()
    client.force_login(world.organiser)
    page = client.get(reverse("participation:manage", args=[event.pk])).content.decode()
    assert "Лучше через день." in page
    client.post(reverse("participation:manage_comment", args=[event.pk, comment.pk]), {"do": "reject"})
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING  # a rejection needs a reason
    client.post(reverse("participation:manage_comment", args=[event.pk, comment.pk]), {"do": "accept"})
    _controlled_clock.shift(dt.timedelta(days=11))
    client.force_login(world.organiser)  # the working session has expired meanwhile
    client.post(reverse("participation:manage_action", args=[event.pk, "finish"]))
    client.post(reverse("participation:manage_summary", args=[event.pk, paragraph.pk]),
                {"summary": "Учтено: уборка через день."})
    client.post(reverse("participation:manage_action", args=[event.pk, "publish_results"]), {"text": "Итоги"})
    event.refresh_from_db()
    assert event.state == State.RESULTS_PUBLISHED and event.results["comments"] == 1
    public = client.get(reverse("participation:event", args=[event.pk])).content.decode()
    assert "Учтено: уборка через день." in public and "Лучше через день." in public


def test_poll_results_page_and_xlsx(world, client):
    event = open_event(world, Kind.POLL)
    q1 = s.question_add(user=world.organiser, event_id=event.pk, text="Нравится ли парк?",
                        type=Question.Type.SINGLE, options=["Да", "Нет"])
    s.question_add(user=world.organiser, event_id=event.pk, text="Оценка", type=Question.Type.SCALE)
    s.event_publish(user=world.organiser, event_id=event.pk)
    voter = citizen(world)
    client.force_login(voter)
    yes = q1.options.first()
    response = client.post(reverse("participation:ballot", args=[event.pk]), {f"q{q1.pk}": yes.pk})
    assert response.status_code == 400 and "Ответьте на вопрос" in response.content.decode()
    q2 = event.questions.get(number=2)
    client.post(reverse("participation:ballot", args=[event.pk]), {f"q{q1.pk}": yes.pk, f"q{q2.pk}": "4"})
    Event.objects.filter(pk=event.pk).update(ends_at=timezone.now() - dt.timedelta(minutes=1))
    s.event_finish(user=world.organiser, event_id=event.pk)
    s.event_publish_results(user=world.organiser, event_id=event.pk)
    page = client.get(reverse("participation:event", args=[event.pk])).content.decode()
    assert "poll-chart" in page and "chart.umd.min.js" in page
    xlsx = client.get(reverse("participation:results_xlsx", args=[event.pk]))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    import io

    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None]
    assert "Да" in values and 1 in values
