"""Benchmark: the deadline sweeper over a million appeals on PostgreSQL.

    createdb -h 127.0.0.1 -U postgres otk_bench
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/otk_bench .venv/bin/python bench/sweep.py

Generates the appeals with ``generate_load`` (unless ``--reuse``), then times ``sweeps.sweep()`` at a
fixed moment: the first sweep, which catches up with everything due, and a second, idle one, which
must find nothing. Between repeats the sweeper's marks, breaches and notices are undone, so every
repeat does the same work; the medians are reported. The figures are in bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from typing import Any
from zoneinfo import ZoneInfo

from _common import median, setup_django

# A fixed cutoff makes runs comparable; the odd microsecond keeps the sweeper's marks (= this moment)
# apart from the generator's (a deadline plus one minute).
NOW = dt.datetime(2026, 11, 20, 12, 0, 0, 123457, tzinfo=ZoneInfo("Europe/Moscow"))
MARKERS = ("warned_at", "overdue_marked_at", "stage_overdue_marked_at", "executor_alarm_marked_at",
           "resolution_overdue_marked_at")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appeals", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=2, help="fewer months, more of the appeals still open")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", type=int, default=1000, help="the sweeper's claim size")
    parser.add_argument("--reuse", action="store_true", help="keep the appeals already in the database")
    parser.add_argument("--skip-fk-checks", action="store_true", help="passed to the generator")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    setup_django()

    from django.db import connection

    from otklik.appeals.lifecycle import OPEN_STATES
    from otklik.appeals.models import Appeal
    from otklik.appeals.sweeps import sweep
    from otklik.demo.load import generate

    figures: dict[str, Any] = {"appeals": args.appeals, "months": args.months, "seed": args.seed,
                               "now": NOW.isoformat(), "claim_batch": args.batch}
    if not args.reuse:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE appeals_appeal, notifications_notice CASCADE")
        print(f"generating {args.appeals} appeals over {args.months} months…", flush=True)
        cpu = time.process_time()
        result = generate(appeals=args.appeals, seed=args.seed, months=args.months, now=NOW,
                          skip_fk_checks=args.skip_fk_checks, progress=_progress)
        figures["generation"] = {"seconds": round(result.seconds, 1), "appeals_per_s": round(result.rate),
                                 "events": result.events, "breaches": result.breaches,
                                 "skip_fk_checks": args.skip_fk_checks,
                                 "generator_cpu_s": round(time.process_time() - cpu, 1),
                                 "load_average_after": os.getloadavg()[0]}
        print(f"generated in {result.seconds:.1f} s: {result.rate:.0f} appeals/s, {result.events} events; "
              f"generator CPU {figures['generation']['generator_cpu_s']} s; load average "
              f"{os.getloadavg()[0]:.1f}", flush=True)
    _vacuum()
    total = Appeal.objects.count()
    open_count = Appeal.objects.filter(state__in=sorted(OPEN_STATES)).count()
    figures["rows"] = {"appeals": total, "open": open_count}
    print(f"{total} appeals, {open_count} open ({open_count / total:.0%})", flush=True)

    runs: list[dict[str, float]] = []
    for attempt in range(args.repeat):
        if attempt or args.reuse:  # a reused database keeps the marks of the last run's first sweep
            _undo_sweep()
        started = time.perf_counter()
        first = sweep(now=NOW, batch=args.batch)
        first_s = time.perf_counter() - started
        idle_times = []
        for _ in range(5):  # idle sweeps are short: take several
            started = time.perf_counter()
            idle = sweep(now=NOW, batch=args.batch)
            idle_times.append(time.perf_counter() - started)
            if idle.total():
                raise SystemExit(f"the second sweep found work: {idle}")
        idle_s = median(idle_times)
        runs.append({"first_s": first_s, "idle_s": idle_s, "load_average": os.getloadavg()[0],
                     "claimed": first.total(), "warned": first.warned,
                     "overdue": first.overdue, "stage_overdue": first.stage_overdue,
                     "needs_executor": first.needs_executor, "resolution_overdue": first.resolution_overdue})
        print(f"run {attempt + 1}: first sweep {first_s:.1f} s ({first.total() / first_s:.0f} rows/s: "
              f"warned={first.warned} overdue={first.overdue} stage={first.stage_overdue} "
              f"needs_executor={first.needs_executor} resolution={first.resolution_overdue}); "
              f"idle sweep {idle_s * 1000:.0f} ms (median of 5); load average "
              f"{os.getloadavg()[0]:.1f}", flush=True)
    first_s = median([r["first_s"] for r in runs])
    idle_s = median([r["idle_s"] for r in runs])
    claimed = runs[0]["claimed"]
    figures["sweep"] = {"runs": runs, "first_median_s": round(first_s, 2), "idle_median_s": round(idle_s, 4),
                        "claimed": claimed, "rows_per_s": round(claimed / first_s)}
    print(f"median: first sweep {first_s:.1f} s for {claimed:.0f} rows = {claimed / first_s:.0f} rows/s; "
          f"idle sweep {idle_s * 1000:.0f} ms over {open_count} open appeals")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(figures, out, indent=2)


def _progress(result: Any) -> None:
    if result.appeals % 100_000 == 0:
        print(f"  {result.appeals} appeals handed to the writer, {result.seconds:.0f} s", flush=True)


def _vacuum() -> None:
    """What autovacuum would have done after a bulk load: fresh statistics and a visibility map."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("appeals_appeal", "appeals_appealevent", "appeals_deadlinebreach", "notifications_notice"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def _undo_sweep() -> None:
    """Put back what the first sweep changed: its marks (all equal to NOW), breaches and notices."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for marker in MARKERS:
            cursor.execute(f"UPDATE appeals_appeal SET {marker} = NULL WHERE {marker} = %s", [NOW])
        cursor.execute("DELETE FROM appeals_deadlinebreach WHERE detected_at = %s", [NOW])
        cursor.execute("TRUNCATE notifications_notice CASCADE")
    from huey.contrib.djhuey import HUEY

    HUEY.flush()  # the deliveries the notices queued
    _vacuum()


if __name__ == "__main__":
    main()
