from django.contrib import admin
from django.http import HttpRequest

from otklik.escalations.models import (
    CategorySignificance,
    Escalation,
    EscalationEvent,
    EscalationSettings,
    SignalPhrase,
)


@admin.register(SignalPhrase)
class SignalPhraseAdmin(admin.ModelAdmin):
    list_display = ("phrase", "group", "is_active")
    list_filter = ("group", "is_active")
    search_fields = ("phrase",)


@admin.register(CategorySignificance)
class CategorySignificanceAdmin(admin.ModelAdmin):
    list_display = ("category", "significant", "note")
    raw_id_fields = ("category",)


@admin.register(EscalationSettings)
class EscalationSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "report_hours", "min_count", "min_ratio")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not EscalationSettings.objects.exists()


class EventInline(admin.TabularInline):
    model = EscalationEvent
    extra = 0
    can_delete = False
    readonly_fields = ("at", "action", "actor", "payload")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    list_display = ("pk", "kind", "state", "category", "territory", "opened_at", "due_at", "reported_at")
    list_filter = ("kind", "state")
    readonly_fields = [f.name for f in Escalation._meta.fields]
    inlines = [EventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
