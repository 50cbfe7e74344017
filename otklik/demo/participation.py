"""Public participation in the demo region: one event of each kind, made through the services as the
organisers and citizens would — an open discussion of a draft with comments, an open budget vote with
ballots, an open poll with a conditional question and answers, and a coming hearing."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from typing import Any

from otklik.accounts.models import Role, User
from otklik.participation import services as s
from otklik.participation.models import BudgetRule, Event, Kind, Question
from otklik.portal.services import citizen_confirm, citizen_signup, confirmation_token
from otklik.registry.models import Territory, Topic

DRAFT = """Правила благоустройства территории города Северодольска (проект)

1. Настоящие Правила устанавливают требования к содержанию и уборке территорий общего пользования.

2. Уборка дворовых территорий проводится ежедневно до 8 часов утра.

3. Владельцы нестационарных торговых объектов содержат в чистоте прилегающую территорию в радиусе 10 метров.

4. Снег с тротуаров убирается в течение 6 часов после окончания снегопада.

5. Размещение объявлений допускается только на специально отведённых информационных стендах."""

PROJECTS = [
    ("Сквер у Дома культуры", 1_800_000, "Дорожки, скамейки, освещение и клумбы."),
    ("Спортивная площадка на ул. Заводской", 2_400_000, "Тренажёры, резиновое покрытие, ограждение."),
    ("Освещение пешеходной дорожки к школе № 3", 900_000, "Двадцать опор с LED-светильниками."),
    ("Детская площадка в микрорайоне Северный", 1_500_000, "Игровой комплекс и безопасное покрытие."),
]


def _voters(count: int, territory: Territory) -> list[User]:
    """Citizens who signed up on the portal and confirmed their e-mail, as real voters do."""
    people = []
    for number in range(1, count + 1):
        person = citizen_signup(email=f"voter{number}@example.org", password=secrets.token_urlsafe(16),
                                first_name="Житель", last_name=f"№{number}")
        person = citizen_confirm(token=confirmation_token(person))
        s.profile_save(user=person, territory_id=territory.pk, birth_year=1960 + number % 40)
        people.append(person)
    return people


def build_participation(*, staff: dict[tuple[str, str], list[User]], citizen: User,
                        territories: dict[str, Territory], now: dt.datetime, seed: int = 14) -> dict[str, Any]:
    rng = random.Random(seed)
    organiser = staff[("adm_sev", Role.AUTHORISED)][0]
    approver = staff[("kom", Role.REGIONAL_COORDINATOR)][0]
    town = territories["sev"]
    org_id = organiser.memberships.get(role=Role.AUTHORISED).organization_id
    topic = Topic.objects.order_by("pk")
    s.profile_save(user=citizen, territory_id=town.pk, birth_year=1985)
    voters = _voters(30, town)

    def event(kind: str, title: str, topic_index: int, start: dt.timedelta, end: dt.timedelta,
              **fields: Any) -> Event:
        return s.event_create(user=organiser, organization_id=org_id, kind=kind, title=title,
                              topic_id=topic[topic_index].pk, starts_at=now + start, ends_at=now + end,
                              territory_ids=[town.pk], **fields)

    def publish(made: Event) -> None:
        s.event_submit(user=organiser, event_id=made.pk)
        s.event_approve(user=approver, event_id=made.pk)

    discussion = event(Kind.DISCUSSION, "Обсуждение проекта правил благоустройства", 8,
                       -dt.timedelta(days=3), dt.timedelta(days=11),
                       description="Предложения к проекту правил принимаются по каждому пункту.")
    s.event_set_document(user=organiser, event_id=discussion.pk, text=DRAFT)
    publish(discussion)
    paragraphs = list(discussion.paragraphs.order_by("number"))
    remarks = ["Предлагаю уборку до 7 утра, пока нет машин.", "Нужно уточнить, кто убирает внутриквартальные "
               "проезды.", "Шесть часов — слишком долго для тротуаров у школ."]
    for voter, paragraph, text in zip(voters[:3], (paragraphs[2], paragraphs[2], paragraphs[4]), remarks, strict=True):
        comment = s.comment_add(user=voter, paragraph_id=paragraph.pk, text=text)
        s.comment_moderate(user=organiser, comment_id=comment.pk, accept=True)
    for voter in voters[3:12]:
        first = paragraphs[2].comments.order_by("pk").first()
        if first is not None:
            s.comment_support(user=voter, comment_id=first.pk)

    vote = event(Kind.BUDGET, "Народный бюджет Северодольска — 2027", 1, -dt.timedelta(days=2),
                 dt.timedelta(days=12), rule=BudgetRule.KNAPSACK, budget=4_000_000, ballot_changeable=True,
                 description="Выберите проекты, которые город выполнит в 2027 году, в пределах 4 млн рублей.")
    projects = [s.project_add(user=organiser, event_id=vote.pk, title=title, cost=cost, description=text,
                              territory_id=town.pk) for title, cost, text in PROJECTS]
    publish(vote)
    for voter in voters[:24]:
        chosen, left = [], 4_000_000
        for project in rng.sample(projects, len(projects)):
            if project.cost <= left and rng.random() < 0.7:
                chosen.append(project.pk)
                left -= project.cost
        s.ballot_cast(user=voter, event_id=vote.pk, choices={"projects": chosen or [projects[2].pk]})

    poll = event(Kind.POLL, "Опрос о работе общественного транспорта", 2, -dt.timedelta(days=1),
                 dt.timedelta(days=1))
    uses = s.question_add(user=organiser, event_id=poll.pk, text="Пользуетесь ли вы автобусами?",
                          type=Question.Type.SINGLE, options=["Да, каждый день", "Иногда", "Нет"])
    daily, sometimes, never = list(uses.options.all())
    rating = s.question_add(user=organiser, event_id=poll.pk, text="Оцените работу автобусов", type=Question.Type.SCALE,
                            show_if_question_id=uses.pk, show_if_option_id=daily.pk)
    wishes = s.question_add(user=organiser, event_id=poll.pk, text="Что улучшить в первую очередь?",
                            type=Question.Type.MULTIPLE, options=["Интервалы", "Чистота", "Маршруты", "Остановки"],
                            required=False)
    s.question_add(user=organiser, event_id=poll.pk, text="Ваши предложения", type=Question.Type.TEXT,
                   required=False)
    publish(poll)
    wish_options = [o.pk for o in wishes.options.all()]
    for voter in voters:
        answer: dict[str, Any] = {str(uses.pk): rng.choice([daily.pk, daily.pk, sometimes.pk, never.pk])}
        if answer[str(uses.pk)] == daily.pk:
            answer[str(rating.pk)] = rng.randint(2, 5)
        answer[str(wishes.pk)] = rng.sample(wish_options, rng.randint(1, 2))
        s.ballot_cast(user=voter, event_id=poll.pk, choices={"answers": answer})

    hearing = event(Kind.HEARING, "Публичные слушания по проекту бюджета города на 2027 год", 1,
                    dt.timedelta(days=5), dt.timedelta(days=6), hearing_place="Северодольск, ул. Ленина, 1, "
                    "актовый зал администрации, 17:00")
    s.event_set_document(user=organiser, event_id=hearing.pk,
                         text="1. Доходы бюджета — 2,1 млрд рублей.\n\n2. Расходы бюджета — 2,2 млрд рублей.\n\n"
                              "3. Дефицит покрывается за счёт остатков средств.")
    publish(hearing)
    return {"events": 4, "voters": len(voters)}
