from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.accounts.models import User
from otklik.registry.transfer import FORMATS, KINDS, registry_import


class Command(BaseCommand):
    help = "Import registry reference data from an XLSX or CSV file; writes nothing if any row is invalid."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=list(KINDS))
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check the file and write nothing")
        parser.add_argument("--format", choices=FORMATS, help="by default taken from the file name")
        parser.add_argument("--user", help="login recorded as the author in the registry change log")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}") from None
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"no user {options['user']!r}")
        result = registry_import(kind=options["kind"], data=data, filename=path.name, fmt=options["format"],
                                 actor=actor, dry_run=options["dry_run"])
        for problem in result.errors:
            where = f"row {problem.row}" if problem.row is not None else "file"
            column = f", {problem.column}" if problem.column else ""
            self.stderr.write(f"{path.name}: {where}{column}: {problem.message}")
        if not result.ok:
            raise CommandError(f"{len(result.errors)} problem(s); nothing was written")
        summary = f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}"
        self.stdout.write(summary + (" (dry run: nothing was written)" if result.dry_run else ""))
