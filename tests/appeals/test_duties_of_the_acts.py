"""Issue 9: a late answer stays late, and duties are split as the acts split them. One test per rule,
named after it, on a controlled clock (``now=``). Sources are listed in docs/deadlines.md."""

from __future__ import annotations

import datetime as dt

import pytest

from otklik.accounts.models import Role
from otklik.appeals import services as s
from otklik.appeals.lifecycle import Regime, State
from otklik.appeals.models import Appeal, AppealEvent, DeadlineBreach, Stage
from otklik.appeals.sweeps import sweep
from otklik.notifications.models import Notice
from otklik.registry.selectors import region_settings
from tests import factories as f
from tests.appeals.test_deadline_rules import (
    end_of,
    fz59_in_coordination,
    in_approval,
    in_execution,
    msk,
    refused,
)

pytestmark = pytest.mark.django_db


def _publish_after(world, appeal: Appeal, *, now: dt.datetime) -> Appeal:
    s.appeal_draft(appeal_id=appeal.pk, user=world.executor, text="Яма заделана.", now=now)
    s.appeal_send_for_approval(appeal_id=appeal.pk, user=world.executor, now=now)
    s.appeal_approve(appeal_id=appeal.pk, user=world.head, now=now)
    return s.appeal_publish(appeal_id=appeal.pk, user=world.executor, now=now)


def _published_on_time(appeal: Appeal) -> bool:
    return AppealEvent.objects.filter(appeal=appeal, action="publish").latest("at").payload["on_time"]


# --- 1. late stays late ----------------------------------------------------------------------------


def test_an_expired_term_cannot_be_postponed_and_the_breach_stays(world):
    appeal = in_execution(world, now=msk(2025, 11, 10, 10))  # due 10.12.2025
    sweep(now=msk(2025, 12, 11, 9))
    assert DeadlineBreach.objects.filter(appeal=appeal, stage=Stage.ANSWER).count() == 1
    late = msk(2025, 12, 11, 10)
    refused("term_expired", s.appeal_propose_postponement, appeal_id=appeal.pk, user=world.executor,
            until=dt.date(2026, 1, 30), reason="Ремонт", now=late)
    refused("term_expired", s.appeal_postpone, appeal_id=appeal.pk, user=world.coordinator,
            until=dt.date(2026, 1, 30), reason="Ремонт", now=late)
    appeal = _publish_after(world, appeal, now=late)
    assert not _published_on_time(appeal)
    assert DeadlineBreach.objects.filter(appeal=appeal, stage=Stage.ANSWER).count() == 1


def test_a_proposal_made_in_time_cannot_be_confirmed_after_the_term_expired(world):
    appeal = in_execution(world, now=msk(2025, 11, 10, 10))
    s.appeal_propose_postponement(appeal_id=appeal.pk, user=world.executor, until=dt.date(2026, 1, 30),
                                  reason="Ремонт", now=msk(2025, 12, 9, 10))
    refused("term_expired", s.appeal_postpone, appeal_id=appeal.pk, user=world.coordinator,
            now=msk(2025, 12, 11, 10))


def test_an_expired_59fz_term_cannot_be_extended(world):
    appeal = fz59_in_coordination(world, now=msk(2025, 11, 10, 10))  # due 10.12.2025
    refused("term_expired", s.appeal_extend, appeal_id=appeal.pk, user=world.head, days=10, reason="Проверка",
            now=msk(2025, 12, 11, 10))
    assert Appeal.objects.get(pk=appeal.pk).extension_days == 0


def test_an_answer_after_a_recorded_breach_is_late_even_if_dates_moved(world):
    appeal = in_execution(world, now=msk(2025, 11, 10, 10))
    sweep(now=msk(2025, 12, 11, 9))
    # Someone moves the date by hand (an old import, an admin edit): the breach still decides.
    Appeal.objects.filter(pk=appeal.pk).update(due_at=end_of(2026, 1, 30))
    appeal = _publish_after(world, appeal, now=msk(2025, 12, 12, 10))
    assert not _published_on_time(appeal)


def test_a_postponement_in_time_makes_a_later_answer_on_time(world):
    appeal = in_execution(world, now=msk(2025, 11, 10, 10))
    s.appeal_propose_postponement(appeal_id=appeal.pk, user=world.executor, until=dt.date(2026, 1, 30),
                                  reason="Ремонт", now=msk(2025, 12, 1, 10))
    s.appeal_postpone(appeal_id=appeal.pk, user=world.coordinator, now=msk(2025, 12, 2, 10))
    sweep(now=msk(2025, 12, 11, 9))
    assert not DeadlineBreach.objects.filter(appeal=appeal).exists()
    appeal = _publish_after(world, appeal, now=msk(2026, 1, 20, 10))
    assert _published_on_time(appeal)


# --- 2. postponement is a decision -----------------------------------------------------------------


def test_a_postponement_is_proposed_by_the_executor_and_told_to_the_applicant_only_once_confirmed(
        world, django_capture_on_commit_callbacks):
    appeal = in_execution(world, now=msk(2025, 11, 10, 10))
    refused("forbidden", s.appeal_postpone, appeal_id=appeal.pk, user=world.executor, until=dt.date(2026, 1, 30),
            reason="Ремонт", now=msk(2025, 11, 12, 10))
    with django_capture_on_commit_callbacks(execute=True):
        proposed = s.appeal_propose_postponement(appeal_id=appeal.pk, user=world.executor,
                                                 until=dt.date(2026, 1, 30), reason="Ремонт теплотрассы",
                                                 now=msk(2025, 11, 12, 10))
    assert proposed.state == State.EXECUTION and proposed.due_at == end_of(2025, 12, 10)
    assert proposed.proposed_until == dt.date(2026, 1, 30)
    assert not Notice.objects.filter(kind="postponed").exists()
    assert Notice.objects.filter(kind="postponement_proposed", recipient=world.coordinator).exists()
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = s.appeal_postpone(appeal_id=appeal.pk, user=world.coordinator, now=msk(2025, 11, 13, 10))
    assert confirmed.state == State.POSTPONED and confirmed.postponed_until == dt.date(2026, 1, 30)
    assert confirmed.proposed_until is None
    assert Notice.objects.filter(kind="postponed", email="ivanov@example.org").count() == 1
    event = AppealEvent.objects.get(appeal=appeal, action="postpone")
    assert event.payload["proposed_by_id"] == world.executor.pk and event.payload["reason"] == "Ремонт теплотрассы"


def test_a_region_may_have_the_head_confirm_postponements(world):
    region = region_settings()
    region.postponement_confirmed_by = Role.HEAD
    region.save()
    appeal = in_execution(world, now=msk(2025, 11, 10, 10))
    s.appeal_propose_postponement(appeal_id=appeal.pk, user=world.executor, until=dt.date(2026, 1, 30),
                                  reason="Ремонт", now=msk(2025, 11, 12, 10))
    refused("postponement_confirmer", s.appeal_postpone, appeal_id=appeal.pk, user=world.coordinator,
            now=msk(2025, 11, 13, 10))
    assert s.appeal_postpone(appeal_id=appeal.pk, user=world.head, now=msk(2025, 11, 13, 10)).state == State.POSTPONED


def test_a_declined_proposal_leaves_the_term_and_tells_the_executor(world, django_capture_on_commit_callbacks):
    appeal = in_execution(world, now=msk(2025, 11, 10, 10))
    s.appeal_propose_postponement(appeal_id=appeal.pk, user=world.executor, until=dt.date(2026, 1, 30),
                                  reason="Ремонт", now=msk(2025, 11, 12, 10))
    with django_capture_on_commit_callbacks(execute=True):
        declined = s.appeal_decline_postponement(appeal_id=appeal.pk, user=world.coordinator,
                                                 reason="Успеете в срок", now=msk(2025, 11, 13, 10))
    assert declined.proposed_until is None and declined.due_at == end_of(2025, 12, 10)
    assert Notice.objects.filter(kind="postponement_declined", recipient=world.executor).exists()


def test_the_proposal_is_shown_in_the_coordinators_queue(client, world):
    appeal = in_execution(world, now=msk(2025, 11, 10, 10))
    other = in_execution(world, now=msk(2025, 11, 10, 10))
    s.appeal_propose_postponement(appeal_id=appeal.pk, user=world.executor, until=dt.date(2026, 1, 30),
                                  reason="Ремонт", now=msk(2025, 11, 12, 10))
    client.force_login(world.coordinator)
    html = client.get("/workspace/queues/postponement_proposals/").content.decode()
    assert appeal.number in html and other.number not in html
    card = client.get(f"/workspace/appeals/{appeal.pk}/").content.decode()
    assert "30.01.2026" in card and 'data-action="postpone"' in card and 'data-action="decline_postponement"' in card


# --- 3. reconsideration -----------------------------------------------------------------------------


def test_reconsideration_has_its_own_term_from_the_reconsideration(world):
    region = region_settings()
    region.reconsideration_days = 20
    region.save()
    appeal = in_approval(world, now=msk(2025, 11, 10, 10))
    s.appeal_approve(appeal_id=appeal.pk, user=world.head, now=msk(2025, 11, 11, 10))
    s.appeal_publish(appeal_id=appeal.pk, user=world.executor, now=msk(2025, 11, 11, 11))
    appeal = s.appeal_rate(appeal_id=appeal.pk, rating=1, comment="Яма осталась", token=appeal.access_token,
                           now=msk(2025, 11, 14, 10))
    assert appeal.state == State.EXECUTION
    assert appeal.due_at == end_of(2025, 12, 4)  # 14.11 + 20 days
    # The earlier answer stays in the history.
    published = AppealEvent.objects.filter(appeal=appeal, action="publish").get()
    assert published.payload["answer"] == "Яма будет заделана."


def test_a_reconsidered_59fz_appeal_may_be_extended_again_on_its_new_term(world):
    appeal = fz59_in_coordination(world, now=msk(2025, 11, 10, 10))
    s.appeal_extend(appeal_id=appeal.pk, user=world.head, days=30, reason="Проверка", now=msk(2025, 11, 20, 10))
    s.appeal_assign(appeal_id=appeal.pk, user=world.coordinator, executor_id=world.executor.pk,
                    now=msk(2025, 11, 20, 11))
    appeal = _publish_after(world, appeal, now=msk(2025, 12, 1, 10))
    appeal = s.appeal_reconsider(appeal_id=appeal.pk, user=world.moderator, reason="Жалоба",
                                 now=msk(2025, 12, 5, 10))
    assert appeal.due_at == end_of(2026, 1, 12)  # 05.12 + 30 = 04.01, holidays → 12.01
    appeal = s.appeal_extend(appeal_id=appeal.pk, user=world.head, days=10, reason="Проверка",
                             now=msk(2025, 12, 10, 10))
    assert appeal.extension_days == 10
    assert appeal.due_at == end_of(2026, 1, 14)  # 05.12 + 40 days


# --- 4. stage budgets are internal ------------------------------------------------------------------


def test_a_missed_stage_budget_is_a_warning_not_a_breach_of_the_register(world):
    appeal = in_approval(world, now=msk(2025, 11, 10, 10))  # approval: 2 working days
    sweep(now=msk(2025, 11, 14, 10))
    breach = DeadlineBreach.objects.get(appeal=appeal)
    assert breach.stage == Stage.APPROVAL and breach.internal
    # The warning goes to whoever holds the stage: for approval, the organisation's head.
    assert set(Notice.objects.filter(kind="stage_overdue").values_list("recipient", flat=True)) == {world.head.pk}


def test_a_region_may_count_stage_budgets_as_breaches(world):
    region = region_settings()
    region.stage_breaches_in_register = True
    region.save()
    appeal = in_approval(world, now=msk(2025, 11, 10, 10))
    sweep(now=msk(2025, 11, 14, 10))
    assert not DeadlineBreach.objects.get(appeal=appeal).internal


# --- 6. problem-resolution terms -------------------------------------------------------------------


def test_a_promised_resolution_date_is_recorded_watched_and_its_miss_is_a_breach(world):
    appeal = in_execution(world, now=msk(2025, 11, 10, 10))
    s.appeal_draft(appeal_id=appeal.pk, user=world.executor, text="Ремонт до 20 декабря.",
                   resolution_on=dt.date(2025, 12, 20), now=msk(2025, 11, 12, 10))
    s.appeal_send_for_approval(appeal_id=appeal.pk, user=world.executor, now=msk(2025, 11, 12, 11))
    s.appeal_approve(appeal_id=appeal.pk, user=world.head, now=msk(2025, 11, 12, 12))
    appeal = s.appeal_publish(appeal_id=appeal.pk, user=world.executor, now=msk(2025, 11, 12, 13))
    assert appeal.resolution_on == dt.date(2025, 12, 20) and appeal.resolution_due_at == end_of(2025, 12, 20)
    assert sweep(now=msk(2025, 12, 20, 23)).resolution_overdue == 0
    assert sweep(now=msk(2025, 12, 21, 9)).resolution_overdue == 1
    breach = DeadlineBreach.objects.get(appeal=appeal, stage=Stage.RESOLUTION)
    assert not breach.internal and breach.due_at == end_of(2025, 12, 20)
    assert sweep(now=msk(2025, 12, 22, 9)).resolution_overdue == 0  # once
    resolved = s.appeal_resolve(appeal_id=appeal.pk, user=world.executor, comment="Сделано",
                                now=msk(2025, 12, 23, 10))
    assert resolved.resolved_at is not None
    assert AppealEvent.objects.get(appeal=appeal, action="resolve").payload["on_time"] is False


def test_an_intermediate_answer_with_a_planned_date_sets_the_resolution_term(world):
    appeal = in_execution(world, now=msk(2025, 11, 10, 10))
    appeal = s.appeal_intermediate(appeal_id=appeal.pk, user=world.executor, text="Включено в план",
                                   planned_date=dt.date(2026, 5, 20), now=msk(2025, 11, 11, 10))
    assert appeal.resolution_on == dt.date(2026, 5, 20)
    appeal = s.appeal_resolve(appeal_id=appeal.pk, user=world.executor, now=msk(2026, 5, 1, 10))
    assert AppealEvent.objects.get(appeal=appeal, action="resolve").payload["on_time"] is True


# --- 7. the executor places the answer; nobody approves their own draft ------------------------------


def test_the_executor_places_the_approved_answer(world):
    appeal = in_approval(world, now=msk(2025, 11, 10, 10))
    s.appeal_approve(appeal_id=appeal.pk, user=world.head, now=msk(2025, 11, 10, 11))
    refused("not_your_appeal", s.appeal_publish, appeal_id=appeal.pk, user=world.other_executor,
            now=msk(2025, 11, 10, 12))
    assert s.appeal_publish(appeal_id=appeal.pk, user=world.executor, now=msk(2025, 11, 10, 12)).state == State.ANSWERED


def test_nobody_approves_an_answer_they_drafted(world):
    both = f.user("both", (Role.EXECUTOR, world.org), (Role.HEAD, world.org))
    appeal = in_execution(world, now=msk(2025, 11, 10, 10))
    s.appeal_assign(appeal_id=appeal.pk, user=world.coordinator, executor_id=both.pk, now=msk(2025, 11, 10, 10))
    s.appeal_draft(appeal_id=appeal.pk, user=both, text="Сделаем.", now=msk(2025, 11, 10, 11))
    s.appeal_send_for_approval(appeal_id=appeal.pk, user=both, now=msk(2025, 11, 10, 11))
    refused("own_draft", s.appeal_approve, appeal_id=appeal.pk, user=both, now=msk(2025, 11, 10, 12))
    assert s.appeal_approve(appeal_id=appeal.pk, user=world.head, now=msk(2025, 11, 10, 12)).state == State.APPROVED


# --- 8. socially significant -----------------------------------------------------------------------


def test_staff_mark_an_appeal_socially_significant_with_a_reason_and_the_regional_coordinator_hears_at_once(
        world, django_capture_on_commit_callbacks):
    appeal = in_execution(world, now=msk(2025, 11, 10, 10))
    refused("required", s.appeal_mark_significant, appeal_id=appeal.pk, user=world.coordinator, reason=" ")
    refused("forbidden", s.appeal_mark_significant, appeal_id=appeal.pk, user=world.outsider, reason="Важно")
    with django_capture_on_commit_callbacks(execute=True):
        appeal = s.appeal_mark_significant(appeal_id=appeal.pk, user=world.coordinator,
                                           reason="Без воды весь микрорайон", now=msk(2025, 11, 10, 11))
    assert appeal.significant
    assert Notice.objects.filter(kind="significant", recipient=world.regional).exists()
    event = AppealEvent.objects.get(appeal=appeal, action="mark_significant")
    assert event.reason == "Без воды весь микрорайон" and event.actor == world.coordinator
    appeal = s.appeal_clear_significant(appeal_id=appeal.pk, user=world.regional, reason="Решено",
                                        now=msk(2025, 11, 11, 10))
    assert not appeal.significant
    refused("not_significant", s.appeal_clear_significant, appeal_id=appeal.pk, user=world.regional,
            reason="Ещё раз")


def test_the_significant_flag_is_set_through_the_api(client, world):
    import json

    appeal = in_execution(world, now=msk(2025, 11, 10, 10))
    client.force_login(world.head)
    response = client.post(f"/api/appeals/{appeal.pk}/mark_significant", data=json.dumps({"reason": "Резонанс"}),
                           content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["significant"] is True
    assert "clear_significant" in response.json()["allowed_actions"]


def test_fz59_appeals_are_not_postponed_but_extended(world):
    appeal = fz59_in_coordination(world, now=msk(2025, 11, 10, 10))
    s.appeal_assign(appeal_id=appeal.pk, user=world.coordinator, executor_id=world.executor.pk)
    refused("action_not_allowed", s.appeal_propose_postponement, appeal_id=appeal.pk, user=world.executor,
            until=dt.date(2026, 1, 30), reason="Ремонт")
    assert Appeal.objects.get(pk=appeal.pk).regime == Regime.FZ59


# --- 11. a 59-ФЗ appeal is not "rejected" at moderation ---------------------------------------------


def test_a_59fz_appeal_is_not_rejected_at_moderation_but_left_without_an_answer_on_an_article_11_ground(
        world, django_capture_on_commit_callbacks):
    from django.core import mail

    from tests.appeals.test_deadline_rules import registered_fz59

    appeal = registered_fz59(world, received=msk(2025, 11, 10, 10), registered=msk(2025, 11, 10, 11))
    assert appeal.state == State.MODERATION
    refused("action_not_allowed", s.appeal_reject, appeal_id=appeal.pk, user=world.moderator, reason="spam")
    with django_capture_on_commit_callbacks(execute=True):
        left = s.appeal_leave_without_answer(appeal_id=appeal.pk, user=world.moderator, ground="unreadable",
                                             now=msk(2025, 11, 11, 10))
    assert left.state == State.LEFT_WITHOUT_ANSWER
    letter = mail.outbox[-1]
    assert appeal.number in letter.subject and "статьи 11" in letter.body
    assert "текст" in letter.body.lower()  # the ground itself, in the citizen's language


def test_after_reconsideration_the_earlier_answer_stays_visible_to_the_citizen_and_to_staff(client, world):
    appeal = in_approval(world, now=msk(2025, 11, 10, 10))
    s.appeal_approve(appeal_id=appeal.pk, user=world.head, now=msk(2025, 11, 11, 10))
    s.appeal_publish(appeal_id=appeal.pk, user=world.executor, now=msk(2025, 11, 11, 11))
    s.appeal_rate(appeal_id=appeal.pk, rating=1, comment="Яма осталась на месте", token=appeal.access_token,
                  now=msk(2025, 11, 14, 10))
    appeal.refresh_from_db()
    track = client.get(f"/track/{appeal.number}/?key={appeal.access_token}").content.decode()
    assert "Прежние ответы" in track and "Яма будет заделана." in track and "Яма осталась на месте" in track
    assert appeal.due_at is not None and f"{appeal.due_at.astimezone(msk(2025, 1, 1).tzinfo):%d.%m.%Y}" in track
    client.force_login(world.coordinator)
    card = client.get(f"/workspace/appeals/{appeal.pk}/").content.decode()
    assert "Текст опубликованного ответа" in card and "Яма будет заделана." in card
