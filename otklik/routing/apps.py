from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def on_appeal_event(sender: Any, appeal_id: int, actions: list[str], **kwargs: Any) -> None:
    from otklik.routing.tasks import answer_duplicates, fingerprint_appeal, intake_appeal, route_automatically

    # A message enters moderation when it is registered: the moment automatic routing may decide. It is
    # fingerprinted first, so that routing and the card find the repeats of what came before; a platform
    # message is submitted and registered at once, and one task does both (one enqueue per intake).
    if {"submit", "register"} <= set(actions):
        intake_appeal.enqueue(appeal_id)
    elif "submit" in actions:
        fingerprint_appeal.enqueue(appeal_id)
    elif "register" in actions:
        route_automatically.enqueue(appeal_id)
    # The applicants of messages merged into this one follow it: its published answer is theirs too.
    if "publish" in actions:
        answer_duplicates.enqueue(appeal_id)


class RoutingConfig(AppConfig):
    name = "otklik.routing"
    label = "routing"
    verbose_name = _("Routing")

    def ready(self) -> None:
        from otklik.appeals.signals import event_recorded

        event_recorded.connect(on_appeal_event, dispatch_uid="routing.on_appeal_event")
