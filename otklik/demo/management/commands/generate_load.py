"""``manage.py generate_load``: bulk synthetic appeals with full histories (see otklik/demo/load.py).

For benchmarks and demonstration databases only: it writes rows directly, bypassing the services,
and creates a synthetic region when the registry is empty.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from otklik.demo.load import LoadError, LoadResult, generate


def _moment(value: str) -> dt.datetime:
    parsed = parse_datetime(value)
    if parsed is None or parsed.tzinfo is None:
        raise ValueError(value)
    return parsed


class Command(BaseCommand):
    help = "Write N synthetic appeals with full event histories over the last M months (load tests, demos)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--appeals", type=int, required=True, help="how many appeals to write")
        parser.add_argument("--seed", type=int, default=1, help="random seed: the same seed gives the same data")
        parser.add_argument("--months", type=int, default=12, help="spread receipt over this many months")
        parser.add_argument("--batch", type=int, default=5000, help="appeals per transaction")
        parser.add_argument("--now", type=_moment, default=None,
                            help="cutoff moment with a UTC offset, e.g. 2026-11-20T12:00:00+03:00 (default: now)")
        parser.add_argument("--skip-fk-checks", action="store_true",
                            help="PostgreSQL superuser only: load without foreign-key triggers (about a third "
                                 "faster; the rows are consistent by construction)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["appeals"] < 1 or options["months"] < 1 or options["batch"] < 1:
            raise CommandError("--appeals, --months and --batch must be positive")
        verbosity = options["verbosity"]

        def progress(result: LoadResult) -> None:
            if verbosity >= 2:
                self.stdout.write(f"  {result.appeals} appeals, {result.events} events, {result.seconds:.1f} s "
                                  f"({result.rate:.0f} appeals/s)")

        try:
            result = generate(appeals=options["appeals"], seed=options["seed"], months=options["months"],
                              batch=options["batch"], now=options["now"],
                              skip_fk_checks=options["skip_fk_checks"], progress=progress)
        except LoadError as exc:
            raise CommandError(str(exc)) from exc
        if result.created_registry:
            self.stdout.write("The registry was empty: created a synthetic region (users 'load-…').")
        states = ", ".join(f"{state}={count}" for state, count in sorted(result.states.items()))
        self.stdout.write(
            f"appeals={result.appeals} events={result.events} breaches={result.breaches} open={result.open} "
            f"seconds={result.seconds:.1f} rate={result.rate:.0f}/s\nstates: {states}"
        )
