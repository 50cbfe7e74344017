"""Admin of social sources (reference data) and a read-only view of posts and replies. A token is
entered here but never shown back: the form field is write-only and the list shows its last characters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from otklik.intake.social.models import OfficialAccount, Post, PublishAttempt, SocialSettings, Source


class SourceForm(forms.ModelForm):
    token = forms.CharField(label=_("token"), required=False, widget=forms.PasswordInput(render_value=False),
                            help_text=_("Leave empty to keep the stored token. For OK: "
                                        "application_key:application_secret_key:access_token."))

    class Meta:
        model = Source
        fields = ["network", "name", "kind", "target", "api_base", "token", "territory", "organization",
                  "is_active", "fetch_every_minutes"]

    def clean_token(self) -> str:
        token: str = self.cleaned_data.get("token") or ""
        if not token and self.instance.pk:
            return self.instance.token  # an empty field keeps the stored secret
        return token


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    form = SourceForm
    list_display = ["name", "network", "kind", "target", "token_masked", "is_active", "last_fetched_at",
                    "paused_until"]
    list_filter = ["network", "kind", "is_active"]
    search_fields = ["name", "target"]
    readonly_fields = ["token_masked", "cursor", "last_fetched_at", "last_error", "paused_until"]

    @admin.display(description=_("token"))
    def token_masked(self, obj: Source) -> str:
        return obj.token_masked


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["external_id", "network", "source", "state", "posted_at", "author", "appeal"]
    list_filter = ["network", "state"]
    search_fields = ["text", "external_id", "author"]
    readonly_fields = [f.name for f in Post._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PublishAttempt)
class PublishAttemptAdmin(admin.ModelAdmin):
    list_display = ["appeal", "answer", "state", "tries", "next_try_at", "sent_at", "reply_url"]
    list_filter = ["state", "answer"]
    readonly_fields = [f.name for f in PublishAttempt._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OfficialAccountForm(forms.ModelForm):
    token = forms.CharField(label=_("token"), required=False, widget=forms.PasswordInput(render_value=False),
                            help_text=_("Leave empty to keep the stored token."))

    class Meta:
        model = OfficialAccount
        fields = ["organization", "network", "target", "url", "api_base", "token", "is_active"]

    def clean_token(self) -> str:
        token: str = self.cleaned_data.get("token") or ""
        if not token and self.instance.pk:
            return self.instance.token
        return token


@admin.register(OfficialAccount)
class OfficialAccountAdmin(admin.ModelAdmin):
    form = OfficialAccountForm
    list_display = ["organization", "network", "target", "last_post_at", "checked_at", "is_active"]
    list_filter = ["network", "is_active"]
    search_fields = ["organization__name", "target", "url"]
    readonly_fields = ["last_post_at", "checked_at", "last_error"]


@admin.register(SocialSettings)
class SocialSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "silence_days"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not SocialSettings.objects.exists()
