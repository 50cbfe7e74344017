"""A random but reproducible history of appeals made through the real services and the real
sweeper, in time order, for the reports tests to count."""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
from collections.abc import Callable

from otklik.appeals import services as s
from otklik.appeals.lifecycle import Regime
from otklik.appeals.models import Appeal, Channel
from otklik.appeals.sweeps import sweep
from tests.reports.conftest import OrgPeople, Region

Step = Callable[[int, dt.datetime], None]


def _people(w: Region, appeal_id: int) -> OrgPeople:
    org_id = Appeal.objects.values_list("organization_id", flat=True).get(pk=appeal_id)
    return next(p for p in w.orgs if p.org.pk == org_id)


def _other_org(w: Region, appeal_id: int, rng: random.Random) -> int:
    org_id = Appeal.objects.values_list("organization_id", flat=True).get(pk=appeal_id)
    return rng.choice([p.org.pk for p in w.orgs if p.org.pk != org_id])


def _script(w: Region, rng: random.Random, regime: str) -> list[tuple[float, Step]]:
    """(hours after the previous step, step) for one appeal after its submission."""
    steps: list[tuple[float, Step]] = []
    add = steps.append
    if regime == Regime.FZ59:
        add((rng.uniform(2, 60), lambda a, now: s.appeal_register(appeal_id=a, user=w.moderator, now=now)))
    if rng.random() < 0.07:
        if regime == Regime.FZ59:  # 59-FZ Art. 11: left without an answer, never "rejected"
            add((rng.uniform(1, 30), lambda a, now: s.appeal_leave_without_answer(
                appeal_id=a, user=w.moderator, ground="unreadable", now=now)))
        else:
            add((rng.uniform(1, 30), lambda a, now: s.appeal_reject(appeal_id=a, user=w.moderator, reason="spam",
                                                                    now=now)))
        return steps
    if regime == Regime.POS and rng.random() < 0.1:
        target = w.heating if rng.random() < 0.5 else w.roads
        add((rng.uniform(1, 5), lambda a, now: s.appeal_reclassify(appeal_id=a, user=w.moderator,
                                                                    category_id=target.pk, now=now)))
    add((rng.uniform(1, 30), lambda a, now: s.appeal_accept(appeal_id=a, system=True, now=now)))
    if rng.random() < 0.15:
        add((rng.uniform(2, 40), lambda a, now: s.appeal_redirect(
            appeal_id=a, user=_people(w, a).coordinator, organization_id=_other_org(w, a, rng),
            reason="Не наша компетенция", now=now)))
    elif rng.random() < 0.06:
        add((rng.uniform(2, 40), lambda a, now: s.appeal_return_to_moderation(
            appeal_id=a, user=_people(w, a).coordinator, reason="Не наша компетенция", now=now)))
        add((rng.uniform(2, 20), lambda a, now: s.appeal_route(
            appeal_id=a, user=w.moderator, organization_id=rng.choice(w.orgs).org.pk, now=now)))
    add((rng.uniform(1, 48), lambda a, now: s.appeal_assign(
        appeal_id=a, user=_people(w, a).coordinator, executor_id=_people(w, a).executor.pk, now=now)))
    if regime == Regime.FZ59:
        ending = rng.random()
        if ending < 0.12:
            add((rng.uniform(1, 20), lambda a, now: s.appeal_transfer(
                appeal_id=a, user=_people(w, a).coordinator, department="Прокуратура области",
                department_sstu_id="11111111-2222-3333-4444-555555555555", reason="Компетенция прокуратуры",
                now=now)))
            return steps
        if ending < 0.22:
            add((rng.uniform(24, 200), lambda a, now: s.appeal_leave_without_answer(
                appeal_id=a, user=_people(w, a).head, ground="repeated", now=now)))
            return steps
        if rng.random() < 0.2:
            add((rng.uniform(24, 300), lambda a, now: s.appeal_extend(
                appeal_id=a, user=_people(w, a).head, days=10, reason="Нужна проверка", now=now)))
    if regime == Regime.SOCIAL:
        add((rng.uniform(1, 12), lambda a, now: s.appeal_intermediate(
            appeal_id=a, user=_people(w, a).executor, text="Разбираемся", now=now)))
    if regime == Regime.POS and rng.random() < 0.25:
        def postpone(a: int, now: dt.datetime) -> None:
            appeal = Appeal.objects.get(pk=a)
            until = (appeal.due_at.date() if appeal.due_at else now.date()) + dt.timedelta(days=rng.randint(3, 15))
            people = _people(w, a)
            try:
                s.appeal_propose_postponement(appeal_id=a, user=people.executor, until=until, reason="Нужны работы",
                                              now=now)
                s.appeal_postpone(appeal_id=a, user=people.coordinator, now=now + dt.timedelta(hours=2))
            except s.AppealError as refused:
                # Some attempts come after the term expired: refused, the appeal stays late.
                assert refused.code == "term_expired", refused.code
        # Some proposals come too late, after the 30-day term (rule: an expired term is not postponed).
        late = rng.random() < 0.3
        add((rng.uniform(24 * 31, 24 * 34) if late else rng.uniform(24, 200), postpone))
    work = rng.uniform(10, 60) if regime == Regime.SOCIAL else rng.uniform(24, 24 * 28)
    add((work, lambda a, now: s.appeal_send_for_approval(appeal_id=a, user=_people(w, a).executor,
                                                         text="Ответ по существу", now=now)))
    if rng.random() < 0.1:
        add((rng.uniform(1, 30), lambda a, now: s.appeal_return_for_rework(
            appeal_id=a, user=_people(w, a).head, reason="formal", now=now)))
        add((rng.uniform(5, 60), lambda a, now: s.appeal_send_for_approval(
            appeal_id=a, user=_people(w, a).executor, text="Ответ исправлен", now=now)))
    add((rng.uniform(1, 40), lambda a, now: s.appeal_approve(appeal_id=a, user=_people(w, a).head, now=now)))
    add((rng.uniform(0.5, 20), lambda a, now: s.appeal_publish(appeal_id=a, user=_people(w, a).head, now=now)))
    if rng.random() < 0.6:
        rating = rng.randint(1, 5)

        def rate(a: int, now: dt.datetime) -> None:
            token = Appeal.objects.values_list("access_token", flat=True).get(pk=a)
            s.appeal_rate(appeal_id=a, rating=rating, comment="Не решено" if rating < 3 else "", token=token, now=now)
        add((rng.uniform(1, 100), rate))
    return steps


def generate(w: Region, *, seed: int, count: int, first: dt.datetime, last: dt.datetime, horizon: dt.datetime,
             sweep_every_hours: float = 6) -> list[int]:
    """Submit ``count`` appeals between ``first`` and ``last`` and play their scripts and the sweeper in
    time order until ``horizon``; what is due later stays undone (open appeals)."""
    rng = random.Random(seed)
    order = itertools.count()
    queue: list[tuple[dt.datetime, int, int, int]] = []  # (time, tie, appeal slot, step index)
    scripts: list[list[tuple[float, Step]]] = []
    ids: list[int] = []
    span = (last - first).total_seconds()
    for slot in range(count):
        regime = rng.choices([Regime.POS, Regime.FZ59, Regime.SOCIAL], weights=[6, 2, 2])[0]
        at = first + dt.timedelta(seconds=rng.uniform(0, span))
        territory = rng.choice(w.territories)
        category = w.social if regime == Regime.SOCIAL else rng.choice([w.roads, w.roads, w.heating])
        channels = [Channel.SOCIAL] if regime == Regime.SOCIAL else [Channel.PORTAL, Channel.EMAIL, Channel.API]
        channel = rng.choice(channels)
        scripts.append(_script(w, rng, regime))
        ids.append(0)

        def submit(slot: int = slot, regime: str = regime, territory=territory, category=category,
                   channel: str = channel, at: dt.datetime = at) -> None:
            appeal = s.appeal_submit(
                text=f"Обращение {slot}", regime=regime, channel=channel, category=category, territory=territory,
                applicant_name=f"Заявитель {slot}", applicant_email=f"a{slot}@example.org",
                applicant_address="г. Тестовск, ул. Ленина, 1",
                social_author="@user" if regime == Regime.SOCIAL else "", now=at)
            ids[slot] = appeal.pk

        scripts[slot].insert(0, (0.0, lambda a, now, submit=submit: submit()))
        heapq.heappush(queue, (at, next(order), slot, 0))
    tick = first
    while tick <= horizon:
        heapq.heappush(queue, (tick, next(order), -1, 0))
        tick += dt.timedelta(hours=sweep_every_hours)
    while queue:
        at, _tie, slot, index = heapq.heappop(queue)
        if at > horizon:
            break
        if slot < 0:
            sweep(now=at)
            continue
        _delay, step = scripts[slot][index]
        step(ids[slot], at)
        if index + 1 < len(scripts[slot]):
            delay = scripts[slot][index + 1][0]
            heapq.heappush(queue, (at + dt.timedelta(hours=delay), next(order), slot, index + 1))
    return ids
