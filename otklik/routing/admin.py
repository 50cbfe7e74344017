from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from otklik.routing.models import Place, RoutingModel, RoutingSettings
from otklik.routing.services import place_save, routing_model_activate


@admin.register(RoutingSettings)
class RoutingSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "auto_route", "auto_route_threshold", "min_training_appeals")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not RoutingSettings.objects.exists()


@admin.register(RoutingModel)
class RoutingModelAdmin(admin.ModelAdmin):
    """Versions are made by training, never edited; the one thing to do here is choose the active one."""

    list_display = ("__str__", "target", "version", "source", "is_active", "trained_at", "examples", "labels",
                    "accuracy")
    list_filter = ("target", "source", "is_active")
    readonly_fields = ("target", "version", "source", "file", "sha256", "is_active", "trained_at", "trained_by",
                       "examples", "labels", "metrics")
    actions = ("activate",)

    @admin.display(description=_("accuracy on held-out appeals"))
    def accuracy(self, obj: RoutingModel) -> str:
        value = obj.metrics.get(obj.target, {}).get("accuracy")
        return "—" if value is None else f"{value:.1%}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Make the selected version active (roll back or forward)"))
    def activate(self, request: HttpRequest, queryset: QuerySet[RoutingModel]) -> None:
        targets = set(queryset.values_list("target", flat=True))
        if len(targets) != queryset.count():
            self.message_user(request, _("Choose one version per target."), messages.ERROR)
            return
        user = request.user if request.user.is_authenticated else None
        for row in queryset:
            routing_model_activate(model_id=row.pk, user=user)
        count = len(targets)
        self.message_user(request, ngettext("%(count)d version activated.", "%(count)d versions activated.", count)
                          % {"count": count}, messages.SUCCESS)


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "territory", "latitude", "longitude")
    list_filter = ("kind",)
    search_fields = ("name",)
    readonly_fields = ("key",)

    def save_model(self, request: HttpRequest, obj: Place, form: Any, change: bool) -> None:
        place_save(place=obj)
