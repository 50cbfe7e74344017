from django.contrib import admin
from django.http import HttpRequest

from otklik.appeals.models import Appeal, AppealEvent, DeadlineBreach


class ReadOnlyAdmin(admin.ModelAdmin):
    """Appeals change only through the lifecycle services; the admin only shows them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ["number", "regime", "state", "organization", "category", "received_at", "due_at"]
    list_filter = ["regime", "state", "channel"]
    search_fields = ["number"]


@admin.register(AppealEvent)
class AppealEventAdmin(ReadOnlyAdmin):
    list_display = ["appeal", "at", "action", "role", "from_state", "to_state"]
    list_filter = ["action"]


@admin.register(DeadlineBreach)
class DeadlineBreachAdmin(ReadOnlyAdmin):
    list_display = ["appeal", "stage", "due_at", "detected_at", "organization"]
    list_filter = ["stage"]
