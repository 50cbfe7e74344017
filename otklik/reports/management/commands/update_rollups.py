"""Fold new events and breaches into the report rollups (idempotent; the worker also runs it every minute)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from otklik.reports.rollup import rollup_rebuild, rollup_update


class Command(BaseCommand):
    help = "Bring the report rollups up to date with the event log."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="throw the rollups away and fold all history")
        parser.add_argument("--batch", type=int, default=5000)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        if options["rebuild"]:
            result = rollup_rebuild(batch_size=options["batch"])
        else:
            result = rollup_update(batch_size=options["batch"])
        self.stdout.write(f"events={result.events} breaches={result.breaches} "
                          f"waiting_for_gap={result.waiting_for_gap} seconds={time.monotonic() - started:.1f}")
