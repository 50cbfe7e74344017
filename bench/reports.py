"""Benchmark: report rollups, dashboard queries and the monthly region report on PostgreSQL.

    createdb -h 127.0.0.1 -U postgres otk_reports_bench
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/otk_reports_bench .venv/bin/python bench/reports.py \
        --appeals 1000000

Generates the appeals with ``generate_load`` (unless ``--reuse``), then times:
  * folding the whole event history into the rollups from scratch (``rollup_rebuild``);
  * an incremental update after more appeals arrive (``rollup_update``), and an idle one;
  * dashboard queries (region-wide for 30 days and 12 months, with a territory filter, for one
    organisation's head), each repeated, medians reported;
  * the monthly report of the whole region: figures, XLSX and PDF, and one organisation's report.
The figures are in bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from typing import Any
from zoneinfo import ZoneInfo

from _common import median, setup_django

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("Europe/Moscow"))


def timed(work: Any, repeat: int = 1) -> tuple[float, Any]:
    """Median seconds of ``repeat`` runs and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appeals", type=int, default=1_000_000)
    parser.add_argument("--more", type=int, default=2000, help="appeals added before the incremental update")
    parser.add_argument("--reuse", action="store_true", help="keep the appeals already in the database")
    parser.add_argument("--skip-rebuild", action="store_true", help="keep the rollups already built")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    setup_django()

    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from otklik.accounts.models import Membership, Role, User
    from otklik.appeals.models import Appeal, AppealEvent, DeadlineBreach
    from otklik.registry.models import Organization, Territory
    from otklik.reports import documents
    from otklik.reports.figures import report_figures
    from otklik.reports.models import DailyRollup, DurationRollup, ReportKind
    from otklik.reports.rollup import rollup_rebuild, rollup_update
    from otklik.reports.selectors import DashboardFilters, dashboard

    figures: dict[str, Any] = {}
    if not args.reuse:
        started = time.perf_counter()
        call_command("generate_load", appeals=args.appeals, seed=11, months=12, now=NOW, verbosity=0)
        figures["generate_load_s"] = round(time.perf_counter() - started, 1)
    with connection.cursor() as cursor:  # what autovacuum does after a bulk load
        cursor.execute("VACUUM ANALYZE")
    figures["appeals"] = Appeal.objects.count()
    figures["events"] = AppealEvent.objects.count()
    figures["breaches"] = DeadlineBreach.objects.count()

    if not args.skip_rebuild:
        seconds, result = timed(lambda: rollup_rebuild(batch_size=10000))
        figures["rebuild_s"] = round(seconds, 1)
        figures["rebuild_events_per_s"] = round(result.events / seconds)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE reports_dailyrollup")
            cursor.execute("VACUUM ANALYZE reports_durationrollup")
    figures["daily_rollup_rows"] = DailyRollup.objects.count()
    figures["duration_rollup_rows"] = DurationRollup.objects.count()

    if args.more:
        before = AppealEvent.objects.count()
        call_command("generate_load", appeals=args.more, seed=12, months=1, now=NOW, verbosity=0)
        seconds, result = timed(lambda: rollup_update(gap_wait=dt.timedelta(0)))
        figures["incremental_events"] = AppealEvent.objects.count() - before
        figures["incremental_s"] = round(seconds, 2)
    idle, _ = timed(lambda: rollup_update(gap_wait=dt.timedelta(0)), repeat=args.repeat)
    figures["idle_update_ms"] = round(idle * 1000, 1)

    regional = User.objects.filter(memberships__role=Role.REGIONAL_COORDINATOR).first()
    if regional is None:
        regional = User.objects.create_user(username="bench-regional", password="bench-pass-1")
        Membership.objects.create(user=regional, organization=Organization.objects.first(),
                                  role=Role.REGIONAL_COORDINATOR)
    busiest = Appeal.objects.values("organization_id").annotate(n=Count("id")).order_by("-n").first()
    org_id = busiest["organization_id"] if busiest else Organization.objects.first().pk
    head = User.objects.filter(memberships__role=Role.HEAD, memberships__organization_id=org_id).first()
    territory = Territory.objects.filter(children__isnull=False).first() or Territory.objects.first()
    today = timezone.localdate(NOW)
    month = DashboardFilters(date_from=today - dt.timedelta(days=29), date_to=today)
    year = DashboardFilters(date_from=today - dt.timedelta(days=364), date_to=today)
    cases = {
        "dashboard_region_30d_ms": (regional, month),
        "dashboard_region_12m_ms": (regional, year),
        "dashboard_region_12m_territory_ms": (regional, DashboardFilters(**{**year.__dict__,
                                                                             "territory_id": territory.pk})),
    }
    if head is not None:
        cases["dashboard_org_head_12m_ms"] = (head, year)
    for name, (user, filters) in cases.items():
        seconds, _ = timed(lambda user=user, filters=filters: dashboard(user, filters, now=NOW), repeat=args.repeat)
        figures[name] = round(seconds * 1000, 1)

    last_month = today.replace(day=1) - dt.timedelta(days=1)
    start = last_month.replace(day=1)
    seconds, data = timed(lambda: report_figures(ReportKind.MONTHLY, start, last_month), repeat=3)
    figures["monthly_region_figures_s"] = round(seconds, 2)
    data["generated_at"] = "bench"
    seconds, xlsx = timed(lambda: documents.render_xlsx(data), repeat=3)
    figures["monthly_region_xlsx_s"] = round(seconds, 2)
    figures["monthly_region_xlsx_bytes"] = len(xlsx)
    seconds, pdf = timed(lambda: documents.render_pdf(data), repeat=3)
    figures["monthly_region_pdf_s"] = round(seconds, 2)
    figures["monthly_region_pdf_bytes"] = len(pdf)
    figures["monthly_region_breaches"] = data["summary"]["breaches"]
    seconds, _org = timed(lambda: report_figures(ReportKind.MONTHLY, start, last_month, org_id), repeat=3)
    figures["monthly_org_figures_s"] = round(seconds, 2)
    figures["monthly_region_received"] = data["sections"]["messages"]["total"]["received"]
    figures["postgres"] = connection.cursor().connection.info.server_version
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
