"""``manage.py routing_train``: new versions of the routing models from this deployment's decided appeals
(or from the categories' keywords while there is too little history); prints what was trained as JSON."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from otklik.routing.services import routing_models_train


class Command(BaseCommand):
    help = "Train routing models on the decided appeals and activate them unless they measured worse."

    def handle(self, *args: Any, **options: Any) -> None:
        rows = routing_models_train()
        for row in rows:
            row.refresh_from_db()
        self.stdout.write(json.dumps([
            {"target": row.target, "version": row.version, "source": row.source, "active": row.is_active,
             "examples": row.examples, "labels": row.labels, "metrics": row.metrics}
            for row in rows
        ], ensure_ascii=False))
