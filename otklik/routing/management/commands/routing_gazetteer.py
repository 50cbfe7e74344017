"""``manage.py routing_gazetteer FILE [--replace]``: import the region's gazetteer from CSV (UTF-8, header
``name,kind,territory,lat,lon``; kind is district, settlement or street — or район, населённый пункт, улица;
territory is a reference as in the registry's files: an OKTMO code, a unique name or «Район / Поселение»)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.routing.evaluation import TableError, read_table
from otklik.routing.services import places_import


class Command(BaseCommand):
    help = "Import gazetteer places (districts, settlements, streets with points) from a CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--replace", action="store_true", help="drop the places not in the file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            rows = read_table(options["file"])
        except TableError as error:
            raise CommandError(str(error)) from error
        count, errors = places_import(rows=rows, replace=options["replace"])
        if errors:
            raise CommandError("\n".join(errors))
        self.stdout.write(f"{count}")
