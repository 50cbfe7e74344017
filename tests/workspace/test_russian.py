"""No English word on any workspace page a Russian user sees: every page is rendered for every role
and its visible text (and the attributes people read: placeholders, titles, labels) is scanned for
words in Latin letters. Only e-mail addresses, links and a few acronyms are allowed."""

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from otklik.accounts.models import Absence, Role
from otklik.appeals import selectors
from otklik.appeals import services as s
from otklik.appeals.lifecycle import Regime
from otklik.workspace.models import AnswerTemplate
from tests import factories as f

pytestmark = pytest.mark.django_db

ALLOWED = {"API", "Open311"}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
URL = re.compile(r"https?://\S+")
SHOWN_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt"}


class VisibleText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "kbd"}:  # key names (j, k, Enter) are not words
            self._skip += 1
        attributes = dict(attrs)
        for name in SHOWN_ATTRIBUTES & attributes.keys():
            self.parts.append(attributes[name] or "")
        if tag == "input" and attributes.get("type") in {"submit", "button"}:
            self.parts.append(attributes.get("value") or "")
        if "hx-confirm" in attributes:
            self.parts.append(attributes["hx-confirm"] or "")

    def handle_endtag(self, tag):
        if tag in {"script", "style", "kbd"} and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def english_words(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    text = " ".join(parser.parts)
    text = URL.sub(" ", EMAIL.sub(" ", text))
    return [word for word in LATIN_WORD.findall(text) if word not in ALLOWED]


@pytest.fixture
def busy_region(two_orgs):
    """Appeals in every state and regime, so that every action form and every queue has rows."""
    w = two_orgs
    past = timezone.now() - dt.timedelta(days=40)
    w.submit("Новое сообщение о яме")
    w.submit("Жалоба в соцсети на мусор", regime=Regime.SOCIAL, applicant_name="", applicant_email="",
             social_author="Житель района", social_url="https://vk.com/wall1_2")
    s.appeal_submit(text="Обращение по закону о порядке рассмотрения", regime=Regime.FZ59, category=w.roads,
                    applicant_name="Сидоров С. С.", applicant_address="г. Тестовск, ул. Мира, 1")
    w.routed("Координация: яма у школы", latitude=55.7, longitude=37.6)
    overdue = s.appeal_accept(appeal_id=w.submit("Давняя яма", now=past).pk, user=w.moderator, now=past)
    s.appeal_assign(appeal_id=overdue.pk, user=w.coordinator_a, executor_id=w.executor_a.pk)
    executing = w.executing("Исполнение: нет освещения")
    s.appeal_intermediate(appeal_id=executing.pk, user=w.executor_a, text="Заявка передана подрядчику.",
                          planned_date=timezone.localdate() + dt.timedelta(days=5))
    s.appeal_draft(appeal_id=executing.pk, user=w.executor_a, text="Черновик **ответа**")
    postponed = w.executing("Отложено: ремонт двора")
    s.appeal_postpone(appeal_id=postponed.pk, user=w.coordinator_a, until=timezone.localdate() + dt.timedelta(days=60),
                      reason="Ремонт летом")
    s.appeal_send_for_approval(appeal_id=w.executing("Согласование").pk, user=w.executor_a,
                               text="Ответ на согласовании")
    approved = s.appeal_send_for_approval(appeal_id=w.executing("Утверждено").pk, user=w.executor_a,
                                          text="Утверждённый ответ")
    s.appeal_approve(appeal_id=approved.pk, user=w.head_a)
    answered = s.appeal_send_for_approval(appeal_id=w.executing("Отвечено").pk, user=w.executor_a,
                                          text="Опубликованный ответ")
    s.appeal_approve(appeal_id=answered.pk, user=w.head_a)
    s.appeal_publish(appeal_id=answered.pk, user=w.head_a)
    fz59 = s.appeal_submit(text="Обращение по 59-ФЗ в работе", regime=Regime.FZ59, category=w.roads,
                           applicant_name="Кузнецов К. К.", applicant_email="kuz@example.org")
    s.appeal_register(appeal_id=fz59.pk, user=w.moderator)
    s.appeal_accept(appeal_id=fz59.pk, user=w.moderator)
    s.appeal_assign(appeal_id=fz59.pk, user=w.coordinator_a, executor_id=w.executor_a.pk)
    redirected = w.routed("Не наш транспорт", category=w.transport)
    s.appeal_redirect(appeal_id=redirected.pk, user=w.coordinator_b, organization_id=w.org_a.pk, reason="Дорога")
    AnswerTemplate.objects.create(category=w.roads, title="Ремонт", body="Уважаемый {applicant}!")
    AnswerTemplate.objects.create(category=None, title="Ход работ", body="Работы идут.", is_intermediate=True)
    today = timezone.localdate()
    Absence.objects.create(user=w.executor_a, stand_in=w.executor_a2, reason=Absence.Reason.VACATION,
                           starts_on=today, ends_on=today + dt.timedelta(days=3))
    return w


def _pages(client, user):
    urls = ["/workspace/", "/workspace/search/", "/workspace/search/?q=яма&overdue=on&sort=number",
            "/workspace/notices/", "/workspace/notices/?unread=1", "/workspace/appeals/999999/",
            "/workspace/queues/nonexistent/", "/workspace/registry/health/", "/workspace/overdue-by-organisation/"]
    for view in selectors.user_queues(user):
        suffix = f"?for={view.acting_for_id}" if view.acting_for_id else ""
        urls += [f"/workspace/queues/{view.key}/{suffix}",
                 f"/workspace/queues/{view.key}/?q=ничего-такого&state=execution{suffix.replace('?', '&')}"]
    for appeal in selectors.visible_appeals(user):
        urls.append(f"/workspace/appeals/{appeal.pk}/")
    for url in urls:
        response = client.get(url)
        assert response.status_code in {200, 403, 404}, url
        yield url, response


@pytest.mark.parametrize("who", ["moderator", "regional", "coordinator_a", "executor_a", "executor_a2", "head_a",
                                 "admin"])
def test_it_shows_no_english_word_on_any_workspace_page(client, busy_region, who):
    w = busy_region
    user = (f.user("admin", (Role.ADMIN, w.org_a), first_name="Алексей", last_name="Админов") if who == "admin"
            else getattr(w, who))
    client.force_login(user)
    checked = 0
    for url, response in _pages(client, user):
        words = english_words(response.content.decode())
        assert not words, f"{url}: {sorted(set(words))}"
        checked += 1
    assert checked > 10


def test_it_shows_no_english_word_in_errors_bulk_results_and_fragments(client, busy_region):
    w = busy_region
    client.force_login(w.coordinator_a)
    appeal = selectors.visible_appeals(w.coordinator_a).filter(state="coordination").first()
    responses = [
        client.post(f"/workspace/appeals/{appeal.pk}/act/assign/", {}),
        client.post(f"/workspace/appeals/{appeal.pk}/act/redirect/", {"redirect-organization": w.org_b.pk},
                    HTTP_HX_REQUEST="true"),
        client.post(f"/workspace/appeals/{appeal.pk}/act/approve/", {}),
        client.post("/workspace/bulk/", {"queue": "distribute", "ids": [appeal.pk, 999999], "action": "assign",
                                         "executor": w.executor_a.pk}),
        client.post("/workspace/bulk/", {"queue": "distribute", "action": "redirect"}),
        client.post("/workspace/answer-preview/", {"answer-text": ""}),
    ]
    client.force_login(w.executor_a)
    executing = selectors.visible_appeals(w.executor_a).filter(state="execution", regime="pos").first()
    responses += [
        client.post(f"/workspace/appeals/{executing.pk}/act/postpone/", {"postpone-until": "2000-01-01"}),
        client.post(f"/workspace/appeals/{executing.pk}/act/postpone/", {"postpone-until": "не дата"}),
        client.post(f"/workspace/appeals/{executing.pk}/act/intermediate/",
                    {"intermediate-planned_date": "2000-01-01"}),
    ]
    nobody = f.user("nobody", first_name="Никто", last_name="Никаков")
    client.force_login(nobody)
    responses.append(client.get("/workspace/"))
    for response in responses:
        words = english_words(response.content.decode())
        assert not words, (response.request["PATH_INFO"], sorted(set(words)))
