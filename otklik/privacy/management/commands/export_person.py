"""Everything held about one person, as JSON (152-FZ art. 14: a citizen's request for their data).

    manage.py export_person --email ivanov@example.org > ivanov.json
    manage.py export_person --user 42 --output ivanov.json
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.privacy.export import person_data


class Command(BaseCommand):
    help = "Write everything the platform holds about one person (by e-mail or account id) as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--email", default="")
        who.add_argument("--user", type=int, default=None, help="the account's id")
        parser.add_argument("--output", default="", help="a file to write (standard output by default)")

    def handle(self, *args: Any, email: str = "", user: int | None = None, output: str = "",
               **options: Any) -> None:
        try:
            document = person_data(email=email.strip(), user_id=user)
        except ValueError as error:
            raise CommandError(str(error)) from None
        if user and document["account"] is None:
            raise CommandError(f"no account with id {user}")
        text = json.dumps(document, ensure_ascii=False, indent=2, default=str)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
            self.stderr.write(f"written to {output}: {len(document['appeals'])} appeal(s)")
        else:
            self.stdout.write(text)
