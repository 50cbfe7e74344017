from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.core.backup import BackupError, restore


class Command(BaseCommand):
    help = "Replace the database's contents with a copy made by backup_db. Stop the site and workers first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", type=Path)
        parser.add_argument("--yes", action="store_true", help="confirm that the current contents are replaced")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"]:
            raise CommandError("restore_db replaces every row of the database: add --yes to confirm")
        try:
            restore(options["source"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"restored from {options['source']}")
