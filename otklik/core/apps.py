from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "otklik.core"
    label = "core"

    def ready(self) -> None:
        from otklik.core import audit

        audit.connect()
