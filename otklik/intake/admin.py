from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otklik.intake.models import ApiKey, Attachment, ConsentText, Follower, ServiceAttribute, Submission
from otklik.intake.services import api_key_regenerate


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "prefix", "is_active", "created_at", "last_used_at")
    list_filter = ("is_active",)
    readonly_fields = ("prefix", "created_at", "last_used_at")
    actions = ["regenerate"]

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        raw = obj.set_new_key() if not change else None
        super().save_model(request, obj, form, change)
        if raw:
            # The key is shown this once: only its hash is stored.
            messages.warning(request, _("The new key is %(key)s — copy it now, it will not be shown again.")
                             % {"key": raw})

    @admin.action(description=gettext_lazy("Issue a new key (the old one stops working)"))
    def regenerate(self, request: HttpRequest, queryset: Any) -> None:
        for key in queryset:
            raw = api_key_regenerate(key=key)
            messages.warning(request, _("New key for «%(name)s»: %(key)s — copy it now.")
                             % {"name": key.name, "key": raw})


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin):
    list_display = ("category", "code", "datatype", "required", "order", "description")
    list_filter = ("datatype", "required")
    search_fields = ("code", "description", "category__name")


@admin.register(ConsentText)
class ConsentTextAdmin(admin.ModelAdmin):
    list_display = ("version", "created_at")


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("appeal", "source", "organization", "consent", "api_key", "created_at")
    list_filter = ("source",)
    readonly_fields = [f.name for f in Submission._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("appeal", "kind", "original_name", "size", "created_at")
    list_filter = ("kind",)
    readonly_fields = [f.name for f in Attachment._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Follower)
class FollowerAdmin(admin.ModelAdmin):
    list_display = ("appeal", "email", "created_at")
