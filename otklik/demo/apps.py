from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo region «Северная область»: reference data and appeals made through the services."""

    name = "otklik.demo"
    label = "demo"
    verbose_name = _("Demo region")
