"""``manage.py demo_social_network``: serve the demo's fake VK community and point a demo source at it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from otklik.demo.social_network import DEMO_OWNER, DEMO_TOKEN, DemoNetwork
from otklik.intake.social.models import Source
from otklik.intake.social.services import source_save
from otklik.registry.models import Territory

SOURCE_NAME = "ДЕМО: Подслушано Северодольск (локальная учебная сеть)"


class Command(BaseCommand):
    help = "Serve a local fake social network for the demo (marked as a demo) and register its source."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8025)
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between new demo posts")

    def handle(self, *args: Any, **options: Any) -> None:
        network = DemoNetwork(port=options["port"], interval=options["interval"])
        territory = Territory.objects.filter(name__icontains="Северодольск").order_by("pk").first()
        source_save(source=Source.objects.filter(name=SOURCE_NAME).first(), values={
            "network": "vk", "name": SOURCE_NAME, "kind": "wall", "target": str(DEMO_OWNER),
            "api_base": f"http://127.0.0.1:{options['port']}/method/", "token": DEMO_TOKEN,
            "territory": territory, "is_active": True, "fetch_every_minutes": 1,
        })
        self.stdout.write(f"demo social network at http://127.0.0.1:{options['port']}/ (posts and replies)")
        network.serve()
