from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Publish the due answers under their social posts once, without the worker; prints {published, failed}."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one pass (the default)")

    def handle(self, *args: Any, **options: Any) -> None:
        from otklik.intake.social.publish import publish_due

        self.stdout.write(json.dumps(asdict(publish_due())))
