"""In Chromium: a citizen comments on a paragraph, votes within a budget (an over-budget ballot is refused
with a clear message), answers a poll with a conditional question; the organiser publishes the results."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from otklik.participation import services as s
from otklik.participation.models import Ballot, Comment, Event, Kind, Question
from tests.browser_fixtures import login

from .conftest import budget_event, citizen, open_event

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_citizen_takes_part_in_three_events_and_the_organiser_publishes_results(page, browser, live_server,
                                                                                   screenshot, world):
    discussion = open_event(world, Kind.DISCUSSION)
    s.event_set_document(user=world.organiser, event_id=discussion.pk,
                         text="1. Общие положения.\n\n2. Дворы убираются ежедневно до 8 утра.")
    s.event_publish(user=world.organiser, event_id=discussion.pk)
    vote, (square, sports, light) = budget_event(world)
    poll = open_event(world, Kind.POLL)
    has_children = s.question_add(user=world.organiser, event_id=poll.pk, text="Есть ли у вас дети?",
                                  type=Question.Type.SINGLE, options=["Да", "Нет"])
    yes, no = list(has_children.options.all())
    age = s.question_add(user=world.organiser, event_id=poll.pk, text="Сколько лет ребёнку?",
                         type=Question.Type.TEXT, show_if_question_id=has_children.pk, show_if_option_id=yes.pk)
    s.event_publish(user=world.organiser, event_id=poll.pk)
    person = citizen(world)

    page.goto(f"/accounts/login/?next=/participation/{discussion.pk}/")
    page.fill("#id_username", person.username)
    page.fill("#id_password", "secret-pass-1")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf".*/participation/{discussion.pk}/"))
    second = discussion.paragraphs.get(number=2)
    page.click(f"#p{second.pk} summary")
    page.fill(f"#comment-{second.pk}", "Лучше до 7 утра, пока нет машин.")
    page.click(f"#p{second.pk} button[type=submit]")
    assert "комментарий появится после модерации" in page.inner_text("ul.messages")
    comment = Comment.objects.get()
    assert comment.paragraph == second and comment.author == person
    screenshot(page, "commented")

    page.goto(f"/participation/{vote.pk}/")
    page.check(f"input[value='{square.pk}']")
    page.check(f"input[value='{sports.pk}']")
    total = page.inner_text("#running-total")
    assert "Выбрано: 1\u00a0100\u00a0000\u00a0₽ из 1\u00a0000\u00a0000\u00a0₽" in total
    assert "Больше бюджета на 100\u00a0000\u00a0₽" in total
    screenshot(page, "over-budget-total")
    page.click("#ballot-submit")
    error = page.inner_text("#ballot-error")
    assert "больше бюджета 1\u00a0000\u00a0000\u00a0₽ на 100\u00a0000\u00a0₽" in error
    assert Ballot.objects.count() == 0
    screenshot(page, "over-budget-refused")
    page.uncheck(f"input[value='{sports.pk}']")
    page.check(f"input[value='{light.pk}']")
    assert "Больше бюджета" not in page.inner_text("#running-total")
    page.click("#ballot-submit")
    assert "Ваш бюллетень принят" in page.inner_text("ul.messages")
    assert page.locator("#voted").is_visible()

    page.goto(f"/participation/{poll.pk}/")
    assert page.locator(f"#question-{age.pk}").is_hidden()
    page.check(f"input[name='q{has_children.pk}'][value='{no.pk}']")
    assert page.locator(f"#question-{age.pk}").is_hidden()
    page.check(f"input[name='q{has_children.pk}'][value='{yes.pk}']")
    assert page.locator(f"#question-{age.pk}").is_visible()
    page.fill(f"#question-{age.pk} textarea", "7 лет")
    screenshot(page, "poll-conditional")
    page.click("#poll-submit")
    assert page.locator("#voted").is_visible()
    assert Ballot.objects.filter(event_id=poll.pk).get().choices == {
        "answers": {str(has_children.pk): yes.pk, str(age.pk): "7 лет"}}

    # The vote ends; the organiser finishes it and publishes the results from the workspace.
    Event.objects.filter(pk=vote.pk).update(ends_at=timezone.now() - dt.timedelta(minutes=1))
    organiser = browser.new_context(locale="ru-RU", base_url=live_server.url).new_page()
    login(organiser, "organiser")
    organiser.goto(f"/participation/manage/{vote.pk}/")
    organiser.click("#do-finish")
    assert organiser.inner_text("#manage-state") == "завершено"
    assert "Один бюллетень на человека" in organiser.inner_text("#recount")
    organiser.fill("#results-text", "Спасибо всем, кто проголосовал.")
    organiser.click("#do-publish_results")
    assert organiser.inner_text("#manage-state") == "итоги опубликованы"
    screenshot(organiser, "organiser-results")
    organiser.context.close()

    page.goto(f"/participation/{vote.pk}/")
    funded = page.locator("#results-projects tr.funded td:first-child").all_inner_texts()
    assert sorted(funded) == ["Освещение", "Сквер"]
    assert "в порядке числа голосов" in page.inner_text("#results")
    screenshot(page, "citizen-results")
