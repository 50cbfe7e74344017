from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Actions after which an answer goes under the original post.
ANSWER_ACTIONS = frozenset({"publish", "intermediate"})


def on_appeal_event(sender: Any, appeal_id: int, actions: list[str], **kwargs: Any) -> None:
    if ANSWER_ACTIONS & set(actions):
        from otklik.intake.social.models import Post
        from otklik.intake.social.tasks import plan_replies

        if Post.objects.filter(appeal_id=appeal_id).exists():
            plan_replies.enqueue(appeal_id)


class SocialConfig(AppConfig):
    name = "otklik.intake.social"
    label = "social"
    verbose_name = _("Social networks")

    def ready(self) -> None:
        from otklik.appeals.signals import event_recorded
        from otklik.intake.social.transfer import OfficialAccounts, SocialSources
        from otklik.registry.transfer import register_kind

        event_recorded.connect(on_appeal_event, dispatch_uid="social.on_appeal_event")
        register_kind(SocialSources)
        register_kind(OfficialAccounts)
