"""Benchmark: every staff workspace page at 100,000 appeals on PostgreSQL (target: < 150 ms a page).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/otk_bench_queues .venv/bin/python bench/queues.py

Fills a dedicated database with ``manage.py generate_load`` (the appeal tables are emptied first, so
never point it at a database you work in), runs VACUUM ANALYZE, then, for one user of every role —
the moderator, the busiest organisation's coordinator, head and busiest executor, the regional
coordinator — times each of their queue pages (first page, default order, with the side menu's counts),
a queue filtered by a word of full-text search, the search page, the overdue-by-organisation page, an
appeal card and the notices page. Requests go through Django's test client in this process: the
whole view, middleware, session, queries and template rendering; no network. ``--reuse`` keeps the
appeals already there.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from typing import Any

from _common import median, percentile, setup_django


def _empty_appeals() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE appeals_appealevent, appeals_deadlinebreach, notifications_notice, "
                       "appeals_appeal RESTART IDENTITY CASCADE")


def _vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _pick_users() -> dict[str, Any]:
    from django.db.models import Count

    from otklik.accounts.models import Membership, Role, User
    from otklik.appeals.lifecycle import OPEN_STATES
    from otklik.appeals.models import Appeal

    open_states = sorted(str(s) for s in OPEN_STATES)
    busiest_org = Counter(dict(
        Appeal.objects.filter(state__in=open_states, organization__isnull=False)
        .values_list("organization_id").annotate(n=Count("id")).values_list("organization_id", "n")
    )).most_common(1)[0][0]

    def holder(role: str, organization_id: int | None = None) -> User:
        memberships = Membership.objects.filter(role=role, user__is_active=True)
        if organization_id is not None:
            memberships = memberships.filter(organization_id=organization_id)
        return memberships.select_related("user").order_by("user_id").first().user  # type: ignore[union-attr]

    executor_id = (
        Appeal.objects.filter(organization_id=busiest_org, state__in=open_states, executor__isnull=False)
        .values("executor_id").annotate(n=Count("id")).order_by("-n").first() or {}
    ).get("executor_id")
    return {
        "moderator": holder(Role.MODERATOR),
        "coordinator": holder(Role.COORDINATOR, busiest_org),
        "head": holder(Role.HEAD, busiest_org),
        "executor": User.objects.get(pk=executor_id) if executor_id else holder(Role.EXECUTOR, busiest_org),
        "regional coordinator": holder(Role.REGIONAL_COORDINATOR),
    }


def _ensure_regional_coordinator() -> None:
    """The generated region has no regional coordinator; add one (a membership, no appeal is touched)."""
    from otklik.accounts.models import Membership, Role, User
    from otklik.registry.models import Organization

    if Membership.objects.filter(role=Role.REGIONAL_COORDINATOR).exists():
        return
    user, _ = User.objects.get_or_create(username="load-regional", defaults={
        "first_name": "Регина", "last_name": "Региональная"})
    Membership.objects.create(user=user, organization=Organization.objects.order_by("pk").first(),
                              role=Role.REGIONAL_COORDINATOR)


def _urls(user: Any) -> list[tuple[str, str]]:
    from otklik.appeals import selectors

    pages = [("home", "/workspace/")]
    for view in selectors.user_queues(user):
        suffix = f"?for={view.acting_for_id}" if view.acting_for_id else ""
        pages.append((f"queue {view.key}", f"/workspace/queues/{view.key}/{suffix}"))
    if pages[1:]:
        first_queue = pages[1][1]
        pages.append(("queue + full-text search", f"{first_queue}{'&' if '?' in first_queue else '?'}q=яма"))
        pages.append(("queue, page 5, oldest first", f"{first_queue}{'&' if '?' in first_queue else '?'}"
                                                     "page=5&sort=-received"))
    pages.append(("search «отопление»", "/workspace/search/?q=отопление"))
    appeal = selectors.visible_appeals(user).order_by("-id").values_list("pk", flat=True).first()
    if appeal:
        pages.append(("appeal card", f"/workspace/appeals/{appeal}/"))
    pages.append(("notices", "/workspace/notices/"))
    if any(v.key == "region" for v in selectors.user_queues(user)):
        pages.append(("overdue by organisation", "/workspace/overdue-by-organisation/"))
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appeals", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=3, help="receipt spread; fewer months, more open appeals")
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per page (after 2 warm-ups)")
    parser.add_argument("--reuse", action="store_true", help="keep the appeals already in the database")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    setup_django()

    from django.core.management import call_command
    from django.test import Client

    from otklik.appeals.lifecycle import OPEN_STATES
    from otklik.appeals.models import Appeal

    if not args.reuse or not Appeal.objects.exists():
        _empty_appeals()
        started = time.perf_counter()
        call_command("generate_load", appeals=args.appeals, months=args.months, seed=1,
                     now=None, skip_fk_checks=False, verbosity=0)
        print(f"generated {args.appeals} appeals in {time.perf_counter() - started:.0f} s")
    _ensure_regional_coordinator()
    _vacuum()
    total = Appeal.objects.count()
    open_count = Appeal.objects.filter(state__in=sorted(str(s) for s in OPEN_STATES)).count()
    print(f"{total} appeals, {open_count} open")

    results: list[dict[str, Any]] = []
    for role, user in _pick_users().items():
        client = Client(raise_request_exception=True)
        client.force_login(user)
        for name, url in _urls(user):
            timings = []
            for attempt in range(args.repeat + 2):
                started = time.perf_counter()
                response = client.get(url)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"{role} {url}: HTTP {response.status_code}")
                if attempt >= 2:
                    timings.append(elapsed)
            total_rows = ""
            body = response.content.decode()
            marker = 'data-total="'
            if marker in body:
                total_rows = body.split(marker, 1)[1].split('"', 1)[0]
            row = {"role": role, "page": name, "url": url, "rows": total_rows,
                   "median_ms": round(median(timings), 1), "p95_ms": round(percentile(timings, 0.95), 1)}
            results.append(row)
            print(f"{role:22} {name:32} {total_rows:>7} rows  median {row['median_ms']:7.1f} ms  "
                  f"p95 {row['p95_ms']:7.1f} ms")
    worst = max(results, key=lambda r: r["p95_ms"])
    print(f"slowest p95: {worst['role']} / {worst['page']}: {worst['p95_ms']} ms (target < 150 ms)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"appeals": total, "results": results}, out, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
