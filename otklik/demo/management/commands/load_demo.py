"""``manage.py load_demo``: the fictional «Северная область» with people, categories and appeals."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from otklik.appeals.lifecycle import State
from otklik.demo import region as demo


class Command(BaseCommand):
    help = "Load the demo region (idempotent: does nothing when it is already loaded, unless --reset)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true",
                            help="wipe the WHOLE database (manage.py flush) and load the demo again")
        parser.add_argument("--appeals", type=int, default=demo.DEFAULT_APPEALS,
                            help=f"how many appeals to create (default {demo.DEFAULT_APPEALS})")
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED, help="random seed")
        parser.add_argument("--print-logins", action="store_true",
                            help="only print the demo logins and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["print_logins"]:
            rows = demo.demo_logins()
            if not rows:
                raise CommandError(_("The demo region is not loaded: run manage.py load_demo first."))
            citizen = demo.citizen_login()
            self.stdout.write(_("Password for every demo account: %(password)s") % {"password": demo.DEMO_PASSWORD})
            self.stdout.write(demo.format_logins([*([citizen] if citizen else []), *rows]))
            hint = demo.demo_route_hint()
            if hint:
                self.stdout.write(hint)
            return
        if options["appeals"] < 0:
            raise CommandError(_("--appeals must not be negative."))
        if options["reset"]:
            call_command("flush", interactive=False, verbosity=0)
        elif demo.demo_exists():
            self.stdout.write(_("The demo region is already loaded; nothing to do (use --reset to load it again)."))
            return
        started = time.monotonic()
        try:
            summary = demo.build_demo(appeals=options["appeals"], seed=options["seed"])
        except demo.DemoError as exc:
            raise CommandError(str(exc)) from exc
        states = ", ".join(f"{State(state).label} — {count}" for state, count in sorted(summary.states.items()))
        self.stdout.write(
            _("Demo region loaded in %(seconds).1f s: %(organizations)s organisations, %(people)s people, "
              "%(categories)s categories, %(appeals)s appeals (%(states)s).")
            % {"seconds": time.monotonic() - started, "organizations": summary.organizations,
               "people": summary.people, "categories": summary.categories, "appeals": summary.appeals,
               "states": states}
        )
