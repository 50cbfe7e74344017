from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "otklik.core"
    label = "core"

    def ready(self) -> None:
        from django.core.signals import request_finished, request_started

        from otklik.core import audit, versions

        audit.connect()
        request_started.connect(versions.request_started, dispatch_uid="core.versions.request_started")
        request_finished.connect(versions.request_finished, dispatch_uid="core.versions.request_finished")
