from django.contrib import admin

from otklik.notifications.models import Notice, NoticeTemplate, WebhookEndpoint


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(admin.ModelAdmin):
    list_display = ("kind", "subject", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("kind", "subject", "body")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "is_active")
    list_filter = ("is_active",)


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    """Read-only journal of notices: what was sent to whom, and what failed."""

    list_display = ("created_at", "kind", "channel", "recipient", "email", "sent_at", "attempts")
    list_filter = ("channel", "kind")
    search_fields = ("subject", "email", "dedupe_key")
    readonly_fields = [f.name for f in Notice._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
