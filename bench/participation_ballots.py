"""Benchmark: secret ballots accepted per second during a budget vote with 100,000 voters, through the
HTTP API served by granian (WSGI) on PostgreSQL.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/otk_bench .venv/bin/python bench/participation_ballots.py

Makes a knapsack vote with 8 projects and ``--voters`` verified citizens (bulk insert, each with a
signed-in session written straight into the session table), puts ``--prefilled`` of them in the ballot
box already (bulk: their Participation and Ballot rows, so the timed ballots meet a nearly full box),
then times ``POST /api/participation/events/{id}/ballot`` for ``--timed`` other voters from
``--concurrency`` clients at once, each a keep-alive connection with its own session cookie and the CSRF
header. Every timed ballot goes through the real service: audience and verification checks, one
person one ballot (unique key), the shuffle of the box. Checks at the end that the box holds one
ballot per voter. Only loopback is used; the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
import uuid
from typing import Any

from _common import Client as BaseClient
from _common import median, percentile, setup_django
from api_action import _start_server, _stop

PREFIX = "pb-voter-"


def _prepare(args: argparse.Namespace) -> dict[str, Any]:
    import datetime as dt

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import transaction
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from otklik.accounts.models import Membership, Role, User
    from otklik.participation import services
    from otklik.participation.models import Ballot, BudgetRule, Kind, Participation, ParticipationSettings
    from otklik.registry.models import Organization, Topic

    now = timezone.now()
    org, _ = Organization.objects.get_or_create(name="Бенчмарк: администрация", defaults={"kind": "local_government"})
    topic, _ = Topic.objects.get_or_create(name="Бенчмарк: инициативный бюджет")
    organiser, _ = User.objects.get_or_create(username="pb-organiser", defaults={"email": "pb@example.org"})
    Membership.objects.get_or_create(user=organiser, organization=org, role=Role.AUTHORISED)
    rules = ParticipationSettings.objects.order_by("pk").first() or ParticipationSettings.objects.create()
    approval, rules.approval_required = rules.approval_required, False
    rules.save()
    event = services.event_create(user=organiser, organization_id=org.pk, kind=Kind.BUDGET,
                                  title=f"Бенчмарк {now:%Y-%m-%d %H:%M:%S}", topic_id=topic.pk,
                                  starts_at=now - dt.timedelta(minutes=1), ends_at=now + dt.timedelta(days=1),
                                  rule=BudgetRule.KNAPSACK, budget=10_000_000)
    projects = [services.project_add(user=organiser, event_id=event.pk, title=f"Проект {n}",
                                     cost=(n + 1) * 700_000).pk for n in range(8)]
    services.event_publish(user=organiser, event_id=event.pk)
    rules.approval_required = approval
    rules.save()

    have = User.objects.filter(username__startswith=PREFIX).count()
    if have < args.voters:
        print(f"creating {args.voters - have} voters…", flush=True)
        for start in range(have, args.voters, 10_000):
            User.objects.bulk_create([
                User(username=f"{PREFIX}{n}", email=f"{PREFIX}{n}@example.org", password="!", is_active=True)
                for n in range(start, min(start + 10_000, args.voters))], batch_size=5000)
    voters = list(User.objects.filter(username__startswith=PREFIX).order_by("pk")[:args.voters])
    rng = random.Random(14)

    def ballot() -> dict[str, list[int]]:
        chosen, left = [], 10_000_000
        for pk in rng.sample(projects, 4):
            cost = (projects.index(pk) + 1) * 700_000
            if cost <= left:
                chosen.append(pk)
                left -= cost
        return {"projects": sorted(chosen)}

    prefilled, timed = voters[:args.prefilled], voters[args.prefilled:args.prefilled + args.timed]
    print(f"event {event.pk}: putting {len(prefilled)} ballots in the box…", flush=True)
    today = timezone.localdate()
    with transaction.atomic():
        Participation.objects.bulk_create([Participation(event_id=event.pk, person=v, on=today) for v in prefilled],
                                          batch_size=5000)
        contents = [ballot() for _v in prefilled]
        rng.shuffle(contents)  # the box as the shuffle leaves it
        Ballot.objects.bulk_create([Ballot(event_id=event.pk, choices=c) for c in contents], batch_size=5000)
    print(f"signing in {len(timed)} voters…", flush=True)
    store = SessionStore()
    expiry = now + dt.timedelta(hours=2)
    sessions = []
    rows = []
    for voter in timed:
        key = get_random_string(32)
        data = {SESSION_KEY: str(voter.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                HASH_SESSION_KEY: voter.get_session_auth_hash()}
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expiry))
        sessions.append((key, ballot()))
    Session.objects.bulk_create(rows, batch_size=5000)
    return {"event_id": event.pk, "sessions": sessions, "prefilled": len(prefilled)}


class Client(BaseClient):
    def vote(self, event_id: int, session: str, csrf: str, choices: dict[str, Any]) -> int:
        self.cookies = {"sessionid": session, "csrftoken": csrf}
        status, _body = self.request("POST", f"/api/participation/events/{event_id}/ballot",
                                     json.dumps(choices).encode(),
                                     {"Content-Type": "application/json", "X-CSRFToken": csrf})
        return status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voters", type=int, default=100_000, help="verified citizens in the electorate")
    parser.add_argument("--prefilled", type=int, default=90_000, help="ballots already in the box")
    parser.add_argument("--timed", type=int, default=3000, help="ballots cast over HTTP and timed")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if args.prefilled + args.timed > args.voters:
        raise SystemExit("--prefilled + --timed must not exceed --voters")
    setup_django()
    plan = _prepare(args)
    server = _start_server(args)
    try:
        probe = Client(args.port)
        probe.request("GET", "/accounts/login/")
        csrf = probe.cookies.get("csrftoken") or uuid.uuid4().hex
        queue = list(plan["sessions"])
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        lock = threading.Lock()

        def worker() -> None:
            client = Client(args.port)
            while True:
                with lock:
                    if not queue:
                        return
                    session, choices = queue.pop()
                began = time.perf_counter()
                status = client.vote(plan["event_id"], session, csrf, choices)
                spent = time.perf_counter() - began
                with lock:
                    latencies.append(spent)
                    statuses[status] = statuses.get(status, 0) + 1

        began = time.perf_counter()
        threads = [threading.Thread(target=worker) for _n in range(args.concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
    finally:
        _stop(server)

    from otklik.participation import selectors
    from otklik.participation.models import Event

    recount = selectors.recount(Event.objects.get(pk=plan["event_id"]))
    accepted = statuses.get(200, 0)
    figures = {
        "voters": args.voters, "prefilled": plan["prefilled"], "timed": args.timed, "concurrency": args.concurrency,
        "workers": args.workers, "threads": args.threads, "accepted": accepted, "statuses": statuses,
        "ballots_per_second": round(accepted / wall, 1), "wall_s": round(wall, 2),
        "median_ms": round(median(latencies) * 1000, 1), "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "box": recount.ballots, "voted": recount.participants,
        "one_ballot_per_voter": recount.ballots_match_participants,
    }
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(figures, out, ensure_ascii=False, indent=2)
    if accepted != args.timed or not recount.ballots_match_participants:
        raise SystemExit("some ballots were not accepted, or the box does not match the voters")


if __name__ == "__main__":
    main()
