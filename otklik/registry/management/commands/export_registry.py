from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.registry.transfer import FORMATS, KINDS, registry_export


class Command(BaseCommand):
    help = "Export registry reference data to an XLSX or CSV file that import_registry reads back."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=list(KINDS))
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=FORMATS, help="by default taken from the file name")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        fmt = options["format"] or path.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            raise CommandError(f"cannot tell the format from {path.name!r}; name it .xlsx or .csv or give --format")
        data = registry_export(kind=options["kind"], fmt=fmt)
        try:
            path.write_bytes(data)
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}") from None
        self.stdout.write(f"{path}: {len(data)} bytes")
