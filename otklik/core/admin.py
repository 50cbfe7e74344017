from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from otklik.core.models import ConfigurationChange


@admin.register(ConfigurationChange)
class ConfigurationChangeAdmin(admin.ModelAdmin):
    """Read-only: the record is evidence, nobody edits or deletes it here."""

    list_display = ("at", "actor_name", "source", "model", "object_repr", "action")
    list_filter = ("source", "model", "action")
    search_fields = ("object_repr", "actor_name", "object_id")
    date_hierarchy = "at"
    readonly_fields = ("at", "actor", "actor_name", "source", "model", "object_id", "object_repr", "action",
                       "changes")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
