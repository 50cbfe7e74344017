from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Actions after which an appeal is fed to the detector (a submission registered at once sends both).
FEED_ACTIONS = frozenset({"submit", "register"})


def on_appeal_event(sender: Any, appeal_id: int, actions: list[str], **kwargs: Any) -> None:
    from otklik.escalations.tasks import detect_appeal, open_significant

    if FEED_ACTIONS & set(actions):
        detect_appeal.enqueue(appeal_id)
    if "mark_significant" in actions:
        open_significant.enqueue(appeal_id)


class EscalationsConfig(AppConfig):
    name = "otklik.escalations"
    label = "escalations"
    verbose_name = _("Escalations")

    def ready(self) -> None:
        from otklik.appeals.signals import event_recorded

        event_recorded.connect(on_appeal_event, dispatch_uid="escalations.on_appeal_event")
