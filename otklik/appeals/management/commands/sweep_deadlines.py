from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from otklik.appeals.sweeps import sweep
from otklik.notifications.tasks import retry_unsent


class Command(BaseCommand):
    help = "Mark approaching and overdue appeals, record deadline breaches and send notices."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep sweeping every --interval seconds")
        parser.add_argument("--interval", type=int, default=60)
        parser.add_argument("--batch", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            result = sweep(batch=options["batch"])
            retried = retry_unsent()
            self.stdout.write(
                f"warned={result.warned} overdue={result.overdue} stage_overdue={result.stage_overdue} "
                f"needs_executor={result.needs_executor} notices_retried={retried}"
            )
            if not options["loop"]:
                return
            time.sleep(options["interval"])
