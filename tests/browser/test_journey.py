"""The whole working day of an appeal in a real browser: moderator accepts → coordinator assigns →
executor proposes a postponement, the coordinator confirms it, the executor drafts → head returns for
rework → executor fixes → head approves and publishes → the applicant's e-mail holds the answer.
Every page is screenshotted."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from otklik.accounts.models import Role
from otklik.appeals import services as s
from otklik.appeals.models import Appeal
from otklik.workspace.models import AnswerTemplate
from tests import factories as f
from tests.browser_fixtures import login

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_out(page):
    page.click("header form button")
    page.wait_for_url(re.compile(r".*/accounts/login/.*"))


def _open_from_queue(page, queue_key, number, screenshot, name):
    page.click(f".side a[data-queue={queue_key}]")
    expect(page.locator(f"tr[data-appeal='{number}']")).to_be_visible()
    screenshot(page, f"{name}-queue")
    page.click(f"tr[data-appeal='{number}'] a")
    expect(page.locator("#appeal-card")).to_be_visible()


def _state(page, state):
    expect(page.locator(f"#appeal-card[data-state='{state}']")).to_be_visible()


def test_it_takes_an_appeal_through_the_working_day_to_the_applicants_mailbox(page, screenshot, region):
    platform = f.organization("Центр управления регионом")
    org = f.organization("Администрация Тестовска")
    roads = f.category("Дороги", days=30)
    f.route(roads, org)
    f.user("moderator", (Role.MODERATOR, platform), first_name="Мария", last_name="Модераторова")
    f.user("coordinator", (Role.COORDINATOR, org), first_name="Анна", last_name="Координаторова")
    executor = f.user("executor", (Role.EXECUTOR, org), first_name="Иван", last_name="Исполнителев")
    f.user("head", (Role.HEAD, org), first_name="Галина", last_name="Главная")
    AnswerTemplate.objects.create(category=roads, title="Ремонт дорожного покрытия",
                                  body="Уважаемый(ая) {applicant}!\n\nПо вашему сообщению № {number} "
                                       "(адрес: {address}) сообщаем:")
    appeal = s.appeal_submit(text="Глубокая яма на проезжей части у дома 5, машины объезжают по встречной.",
                             category=roads, address="улица Ленина, 5", latitude=55.7512, longitude=37.6184,
                             applicant_name="Петров Пётр", applicant_email="petrov@example.org")
    number = appeal.number
    page.on("dialog", lambda dialog: dialog.accept())

    # Moderator: incoming → card → accept (routed by the routing table).
    login(page, "moderator")
    screenshot(page, "moderator-home")
    _open_from_queue(page, "moderation", number, screenshot, "moderator")
    screenshot(page, "moderator-card")
    page.locator("details[data-action=accept] button[type=submit]").click()
    _state(page, "coordination")
    expect(page.locator(".flash")).to_contain_text("Принято и направлено в организацию")
    screenshot(page, "moderator-accepted")
    _sign_out(page)

    # Coordinator: to distribute → card → assign the executor.
    login(page, "coordinator")
    _open_from_queue(page, "distribute", number, screenshot, "coordinator")
    page.select_option("#id_assign-executor", str(executor.pk))
    screenshot(page, "coordinator-card")
    page.locator("details[data-action=assign] button[type=submit]").click()
    _state(page, "execution")
    expect(page.locator("[data-field=executor]")).to_have_text("Исполнителев Иван")
    _sign_out(page)

    # Executor: a notice is waiting; my appeals → card → postpone (first without a reason: refused).
    login(page, "executor")
    expect(page.locator("#notices-counter")).to_have_text("1")
    page.click("a.notices-link")
    expect(page.locator("li.notice.unread")).to_contain_text(f"Новое обращение {number}")
    page.locator("li.notice button").click()
    expect(page.locator("#notices-counter")).to_be_empty()  # marked read in place, the header follows
    screenshot(page, "executor-notices")
    _open_from_queue(page, "mine", number, screenshot, "executor")
    page.locator("details[data-action=propose_postponement] summary").click()
    until = timezone.localdate() + dt.timedelta(days=45)
    page.fill("#id_propose_postponement-until", until.isoformat())
    page.locator("details[data-action=propose_postponement] button[type=submit]").click()
    expect(page.locator("#id_propose_postponement-reason-error")).to_have_text("Обязательное поле.")
    screenshot(page, "executor-postpone-error")
    page.fill("#id_propose_postponement-reason", "Ремонт покрытия возможен только после схода снега.")
    page.locator("details[data-action=propose_postponement] button[type=submit]").click()
    expect(page.locator("table.deadlines")).to_contain_text("Предложен перенос срока до")
    _state(page, "execution")  # nothing changes for the applicant until the coordinator decides
    screenshot(page, "executor-postponement-proposed")
    _sign_out(page)

    # Coordinator: proposed postponements → card → confirm the proposed date.
    login(page, "coordinator")
    _open_from_queue(page, "postponement_proposals", number, screenshot, "coordinator-proposals")
    page.locator("details[data-action=postpone] summary").click()
    expect(page.locator("#id_postpone-until")).to_have_value(until.isoformat())
    page.locator("details[data-action=postpone] button[type=submit]").click()
    _state(page, "postponed")
    expect(page.locator("table.deadlines")).to_contain_text(until.strftime("%d.%m.%Y"))
    screenshot(page, "coordinator-postponed")
    _sign_out(page)
    login(page, "executor")
    _open_from_queue(page, "mine", number, screenshot, "executor-again")

    # … then drafts the answer from a template, previews it and sends it for approval.
    page.select_option("#answer-template", label="Ремонт дорожного покрытия")
    expect(page.locator("#answer-text")).to_have_value(re.compile(r"Уважаемый\(ая\) Петров Пётр!"))
    page.locator("#answer-text").press("End")
    page.locator("#answer-text").press_sequentially("\n\n- яму засыплют щебнем до конца недели;\n"
                                                   "- покрытие восстановят в мае.")
    page.get_by_role("button", name="Предпросмотр").click()
    expect(page.locator("#answer-preview li")).to_have_count(2)
    screenshot(page, "executor-draft-preview")
    page.get_by_role("button", name="Отправить на согласование").click()
    _state(page, "approval")
    _sign_out(page)

    # Head: awaiting approval → card → return for rework (a reason is required).
    login(page, "head")
    _open_from_queue(page, "approval", number, screenshot, "head")
    expect(page.locator("#draft")).to_contain_text("яму засыплют щебнем")
    page.locator("details[data-action=return_for_rework] summary").click()
    page.select_option("#id_return_for_rework-reason", "other")
    page.locator("details[data-action=return_for_rework] button[type=submit]").click()
    expect(page.locator("#id_return_for_rework-comment-error")).to_be_visible()
    screenshot(page, "head-rework-error")
    page.select_option("#id_return_for_rework-reason", "no_term")
    page.locator("details[data-action=return_for_rework] button[type=submit]").click()
    _state(page, "execution")
    screenshot(page, "head-returned")
    _sign_out(page)

    # Executor fixes the answer and sends it again.
    login(page, "executor")
    _open_from_queue(page, "mine", number, screenshot, "executor-rework")
    expect(page.locator("ol.history")).to_contain_text("Ответ возвращён на доработку")
    page.locator("#answer-text").fill(
        "Уважаемый Пётр Петрович!\n\nЯму засыплют щебнем до 20 марта, покрытие восстановят до 31 мая.")
    page.get_by_role("button", name="Отправить на согласование").click()
    _state(page, "approval")
    _sign_out(page)

    # Head approves and publishes.
    login(page, "head")
    _open_from_queue(page, "approval", number, screenshot, "head-second")
    page.locator("details[data-action=approve] button[type=submit]").click()
    _state(page, "approved")
    page.locator("details[data-action=publish] button[type=submit]").click()
    _state(page, "answered")
    expect(page.locator("#answer")).to_contain_text("покрытие восстановят до 31 мая")
    expect(page.locator(".side a[data-queue=approval] .count")).to_have_text("0")  # the menu follows
    screenshot(page, "head-published")

    appeal = Appeal.objects.get(number=number)
    assert appeal.state == "answered"
    letters = [m for m in mail.outbox if m.to == ["petrov@example.org"]]
    assert letters and number in letters[-1].subject
    assert "Яму засыплют щебнем до 20 марта, покрытие восстановят до 31 мая." in letters[-1].body
    actions = list(appeal.events.values_list("action", flat=True))
    assert actions == ["submit", "register", "accept", "assign", "propose_postponement", "postpone",
                       "send_for_approval",
                       "return_for_rework", "send_for_approval", "approve", "publish"]


def test_it_filters_a_queue_as_you_type_and_assigns_in_bulk(page, screenshot, region):
    org = f.organization("Администрация Тестовска")
    roads = f.category("Дороги", days=30)
    f.route(roads, org)
    moderator = f.user("moderator", (Role.MODERATOR, f.organization("ЦУР")))
    f.user("coordinator", (Role.COORDINATOR, org), first_name="Анна", last_name="Координаторова")
    executor = f.user("executor", (Role.EXECUTOR, org), first_name="Иван", last_name="Исполнителев")
    numbers = []
    for text in ("Яма у школы № 3", "Яма на перекрёстке", "Не убран снег во дворе"):
        appeal = s.appeal_submit(text=text, category=roads)
        numbers.append(s.appeal_accept(appeal_id=appeal.pk, user=moderator).number)

    login(page, "coordinator")
    page.click(".side a[data-queue=distribute]")
    expect(page.locator("p.total")).to_have_text("3 обращения")
    page.fill("input[name=q]", "ямы")
    expect(page.locator("p.total")).to_have_text("2 обращения")  # no reload: HTMX swapped the results
    assert "q=" in page.url
    screenshot(page, "filtered")
    page.check(f"tr[data-appeal='{numbers[0]}'] input[name=ids]")
    page.check(f"tr[data-appeal='{numbers[1]}'] input[name=ids]")
    page.select_option("#id_action", "assign")
    page.select_option("#id_executor", str(executor.pk))
    page.get_by_role("button", name="Применить").click()
    expect(page.locator("#bulk-results section")).to_have_attribute("data-done", "2")
    screenshot(page, "bulk-done")
    assert set(Appeal.objects.filter(executor=executor).values_list("number", flat=True)) == set(numbers[:2])
