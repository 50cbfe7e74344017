from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from otklik.notifications.kinds import kind_choices, kind_label
from otklik.notifications.models import Notice, NoticeTemplate, WebhookEndpoint


class KindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, str]]:
        return kind_choices()

    def queryset(self, request: Any, queryset: Any) -> Any:
        return queryset.filter(kind=self.value()) if self.value() else queryset


class NoticeTemplateForm(forms.ModelForm):
    kind = forms.ChoiceField(label=_("kind"), choices=kind_choices)

    class Meta:
        model = NoticeTemplate
        fields = ["kind", "subject", "body", "is_active"]


class WebhookEndpointForm(forms.ModelForm):
    kinds = forms.MultipleChoiceField(label=_("kinds of notices"), choices=kind_choices, required=False,
                                      widget=forms.CheckboxSelectMultiple, help_text=_("Empty: every kind."))

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "secret", "kinds", "is_active"]


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(admin.ModelAdmin):
    form = NoticeTemplateForm
    list_display = ("kind_name", "subject", "is_active", "updated_at")
    list_filter = ("is_active", KindFilter)
    search_fields = ("kind", "subject", "body")

    @admin.display(description=_("kind"), ordering="kind")
    def kind_name(self, obj: NoticeTemplate) -> str:
        return kind_label(obj.kind)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("name", "url", "is_active")
    list_filter = ("is_active",)


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    """Read-only journal of notices: what was sent to whom, and what failed."""

    list_display = ("created_at", "kind_name", "channel", "recipient", "email", "sent_at", "attempts")
    list_filter = ("channel", KindFilter)
    search_fields = ("subject", "email", "dedupe_key")
    readonly_fields = [*(f.name for f in Notice._meta.fields if f.name != "kind"), "kind_name"]
    exclude = ("kind",)

    @admin.display(description=_("kind"), ordering="kind")
    def kind_name(self, obj: Notice) -> str:
        return kind_label(obj.kind)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
