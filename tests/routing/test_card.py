"""The routing section of the workspace card: suggestions with reasons, similar appeals, the automatic figure."""

import pytest
from django.test import Client

from otklik.accounts.models import Role
from otklik.appeals.lifecycle import State
from otklik.appeals.services import appeal_submit
from otklik.routing import duplicates, selectors
from otklik.routing.models import Fingerprint
from otklik.routing.services import appeal_fingerprint, routing_models_train
from tests import factories as f

pytestmark = pytest.mark.django_db
LAMP = "Не горит фонарь у дома 5 по улице Мира, на улице темно, просим заменить лампу и проверить светильники во дворе"


def _submit(region, text, category="освещение", territory="Южный район"):
    return appeal_submit(text=text, category=region.categories[category], territory=region.territories[territory],
                         applicant_email="a@example.org")


def test_exact_and_near_copies_are_found_whatever_the_markup():
    assert duplicates.exact_hash("<p>Не горит ФОНАРЬ!</p>") == duplicates.exact_hash("не горят фонари")
    a = duplicates.signature(LAMP)
    b = duplicates.signature(LAMP.replace("5", "7"))
    c = duplicates.signature("Автобус номер 12 не пришёл по расписанию, водитель грубил пассажирам")
    assert duplicates.similarity(a, b) >= duplicates.NEAR_COPY
    assert duplicates.similarity(a, c) < duplicates.SAME_PROBLEM
    assert set(duplicates.band_keys(a)) & set(duplicates.band_keys(b))


def test_the_card_lists_similar_appeals_the_moderator_can_see(routing_region, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = _submit(routing_region, LAMP)
        copy = _submit(routing_region, LAMP + "!")
        near = _submit(routing_region, LAMP.replace("5", "7"))  # a template with another house number
        same_place = _submit(routing_region, "Во дворе темно: фонарь опять не горит, лампа")
        elsewhere = _submit(routing_region, "Во дворе темно: фонарь опять не горит, лампа", territory="Город")
        other = _submit(routing_region, "Яма на дороге у остановки", category="дороги")
    assert Fingerprint.objects.count() == 6  # the submit event fingerprinted each text
    found = {s.appeal.pk: s.kind for s in selectors.similar_appeals(routing_region.moderator, first)}
    assert found[copy.pk] == "exact"
    assert found[near.pk] == "near_copy"
    assert found[same_place.pk] == "same_place"
    assert elsewhere.pk not in found and other.pk not in found
    outsider = f.user("outsider", (Role.COORDINATOR, f.organization("Другая")))
    assert selectors.similar_appeals(outsider, first) == []


def test_a_moderator_sees_suggestions_with_reasons_on_the_card(routing_region, history):
    routing_region.decided(history)
    routing_models_train()
    appeal = _submit(routing_region, LAMP)
    appeal_fingerprint(appeal_id=appeal.pk)
    client = Client()
    client.force_login(routing_region.moderator)
    page = client.get(f"/workspace/appeals/{appeal.pk}/").content.decode()
    assert 'id="routing-suggestions"' in page
    assert "Подсказки маршрутизации" in page
    assert "Освещение" in page and "Администрация: Южный район" in page
    assert "фонарь" in page  # a word that weighed most
    assert "Автоматическое направление выключено." in page


def test_an_executor_does_not_get_routing_suggestions(routing_region, history):
    routing_region.decided(history[:150])
    routing_models_train()
    appeal = _submit(routing_region, LAMP)
    executor = f.user("executor", (Role.EXECUTOR, routing_region.organizations["Администрация: Южный район"]))
    assert appeal.state == State.MODERATION
    assert selectors.card(executor, appeal) is None
    assert selectors.card(routing_region.moderator, appeal) is not None


def test_merging_from_the_card_rejects_the_repeat_as_a_duplicate_and_tells_its_applicant(
        routing_region, django_capture_on_commit_callbacks):
    from otklik.notifications.models import Notice

    with django_capture_on_commit_callbacks(execute=True):
        first = _submit(routing_region, LAMP)
        repeat = _submit(routing_region, LAMP + "!")
    client = Client()
    client.force_login(routing_region.moderator)
    page = client.get(f"/workspace/appeals/{repeat.pk}/").content.decode()
    assert "Объединить как дубликат" in page and f'value="{first.number}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/workspace/appeals/{repeat.pk}/act/reject/",
                    {"reject-reason": "duplicate", "reject-duplicate_of": first.number})
    repeat.refresh_from_db()
    assert repeat.state == State.REJECTED and repeat.duplicate_of_id == first.pk
    assert Notice.objects.filter(appeal_id=repeat.pk, kind="rejected").exists()


def test_the_applicant_of_a_merged_duplicate_gets_the_main_answer_once(routing_region):
    from django.utils import timezone

    from otklik.appeals.models import Appeal
    from otklik.appeals.services import appeal_reject
    from otklik.appeals.signals import event_recorded
    from otklik.notifications.models import Notice

    main = _submit(routing_region, LAMP)
    repeat = appeal_submit(text=LAMP + "!", category=routing_region.categories["освещение"],
                           territory=routing_region.territories["Южный район"], applicant_email="second@example.org")
    appeal_reject(appeal_id=repeat.pk, user=routing_region.moderator, reason="duplicate", duplicate_of_id=main.pk)
    # The main appeal's answer is published (the lifecycle up to it is tested in tests/appeals).
    Appeal.objects.filter(pk=main.pk).update(answer_text="Фонарь заменён 3 декабря.", answered_at=timezone.now())
    for _ in range(2):  # a repeated signal (a retried task) tells nobody twice
        event_recorded.send(sender=None, appeal_id=main.pk, actions=["publish"])
    notices = Notice.objects.filter(kind="duplicate_answered")
    assert [n.email for n in notices] == ["second@example.org"]
    body = notices[0].body
    assert "Фонарь заменён 3 декабря." in body and main.number in body
    assert repeat.access_token in body and main.access_token not in body


def test_an_answer_of_a_category_with_private_answers_is_not_sent_to_another_applicant(routing_region):
    from django.utils import timezone

    from otklik.appeals.models import Appeal
    from otklik.appeals.services import appeal_reject
    from otklik.notifications.models import Notice
    from otklik.routing.services import duplicates_answer

    category = routing_region.categories["освещение"]
    category.is_public = False
    category.save()
    main = _submit(routing_region, LAMP)
    repeat = _submit(routing_region, LAMP + "!")
    appeal_reject(appeal_id=repeat.pk, user=routing_region.moderator, reason="duplicate", duplicate_of_id=main.pk)
    Appeal.objects.filter(pk=main.pk).update(answer_text="Ответ лично заявителю", answered_at=timezone.now())
    assert duplicates_answer(appeal_id=main.pk) == 0
    assert not Notice.objects.filter(kind="duplicate_answered").exists()
