"""Benchmark: what detecting escalations costs, and how soon a spike is found.

    .venv/bin/python bench/escalations_detect.py [--days 182] [--daily 330] [--live 300]

1. The replay: a generated six-month stream (``--daily`` messages a day over six districts and six
   categories, weekly rhythm and season) with three incidents, written as CSV and run through
   ``manage.py escalations_replay`` in a subprocess on one core. Prints rows per second, the detector's
   cost per message, the escalations opened (the incidents should give one each, ordinary traffic
   none) and, per incident, the minutes from its first message to its escalation.
2. Live: ``--live`` appeals in the benchmark database (PostgreSQL, see _common.setup_django) fed one by
   one through ``services.feed_appeal`` as the worker does after each submission: the cost per incoming
   appeal with the counters read and written in the database (median and p95).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from _common import ROOT, median, percentile, setup_django

sys.path.insert(0, str(ROOT))
TZ = ZoneInfo("Europe/Moscow")


def _incidents(start: dt.date, days: int):
    from otklik.escalations.synthetic import Burst

    base = dt.datetime.combine(start, dt.time(), TZ)
    return (
        Burst(start=base + dt.timedelta(days=days // 3, hours=21), hours=6, count=40, category="ЖКХ",
              district="Заречный"),
        Burst(start=base + dt.timedelta(days=days // 2, hours=8), hours=4, count=30, category="Дороги",
              district="Лесной", text="Провал асфальта на улице, дом {n}"),
        Burst(start=base + dt.timedelta(days=days - 20, hours=23), hours=3, count=25, category="Экология",
              district="Промышленный", text="Сильный запах гари, дышать нечем, дом {n}"),
    )


def replay(args: argparse.Namespace) -> None:
    from otklik.escalations.synthetic import stream

    start = dt.date(2025, 6, 1)
    bursts = _incidents(start, args.days)
    items = stream(start=start, days=args.days, daily=args.daily, seed=11, bursts=bursts)
    path = Path(tempfile.mkdtemp(prefix="esc-bench-")) / "rows.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["created", "text", "category", "district"])
        for item in items:
            writer.writerow([item.created.isoformat(), item.text, item.category, item.territory])
    env = {**os.environ, "OTKLIK_DEV": "1", "OMP_NUM_THREADS": "1"}
    started = time.perf_counter()
    done = subprocess.run(["taskset", "-c", "0", sys.executable, str(ROOT / "manage.py"), "escalations_replay",
                           str(path)], capture_output=True, text=True, env=env, check=True)
    seconds = time.perf_counter() - started
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    opened = lines[:-1]
    print(f"replay: {len(items)} rows in {seconds:.1f} s (process start included) = {len(items) / seconds:.0f} rows/s, "
          f"{seconds / len(items) * 1e6:.0f} µs a row; escalations: {len(opened)} (incidents: {len(bursts)})")
    for burst in bursts:
        found = [e for e in opened if e["territory"] == burst.district and e["category"] == burst.category
                 and dt.datetime.fromisoformat(e["opened_at"]) >= burst.start]
        if not found:
            print(f"  incident {burst.category}/{burst.district}: NOT FOUND")
            continue
        lag = dt.datetime.fromisoformat(found[0]["opened_at"]) - burst.start
        print(f"  incident {burst.category}/{burst.district} at {burst.start:%d.%m %H:%M}: escalation after "
              f"{lag.total_seconds() / 60:.0f} min, {found[0]['appeals']} messages")
    weeks = args.days / 7
    extra = len(opened) - sum(1 for b in bursts for e in opened
                              if e["territory"] == b.district and e["category"] == b.category)
    print(f"  others: {extra} in {weeks:.0f} weeks")


def live(args: argparse.Namespace) -> None:
    setup_django()
    from django.utils import timezone

    from otklik.appeals.services import appeal_submit
    from otklik.escalations import services
    from otklik.escalations.models import DetectedAppeal
    from otklik.registry.models import Category, Territory

    category, _ = Category.objects.get_or_create(name="Бенчмарк эскалаций", defaults={"code": "bench-esc"})
    territories = [Territory.objects.get_or_create(name=f"Бенчмарк район {n}")[0] for n in range(6)]
    texts = ("Яма на дороге у дома 5", "Не вывозят мусор", "Нет света в подъезде", "Сломана скамейка")
    now = timezone.now()
    ids = []
    for n in range(args.live):
        appeal = appeal_submit(text=texts[n % len(texts)], category=category,
                               territory=territories[n % len(territories)],
                               now=now - dt.timedelta(seconds=args.live - n))
        ids.append(appeal.pk)
    DetectedAppeal.objects.filter(appeal_id__in=ids).delete()
    costs = []
    for appeal_id in ids:
        started = time.perf_counter()
        services.feed_appeal(appeal_id=appeal_id)
        costs.append((time.perf_counter() - started) * 1000)
    print(f"live feed_appeal over {len(costs)} appeals: median {median(costs):.1f} ms, "
          f"p95 {percentile(costs, 0.95):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=182)
    parser.add_argument("--daily", type=float, default=330.0)
    parser.add_argument("--live", type=int, default=300, help="appeals fed live (0: skip)")
    args = parser.parse_args()
    replay(args)
    if args.live:
        live(args)


if __name__ == "__main__":
    main()
