from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "otklik.registry"
    label = "registry"
    verbose_name = _("Registry")

    def ready(self) -> None:
        from otklik.registry import signals  # noqa: F401  (connects the receivers)
