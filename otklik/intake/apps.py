from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "otklik.intake"
    label = "intake"
    verbose_name = _("Intake")

    def ready(self) -> None:
        from otklik.intake import signals  # noqa: F401 - connects the cache invalidation
