"""Admin for the reports domain's configuration only: who gets reports, where SSTU uploads go.
Reports, decisions and exports are made through the pages and services, never edited here."""

from django.contrib import admin

from otklik.reports.models import ReportRecipient, SstuSettings


@admin.register(ReportRecipient)
class ReportRecipientAdmin(admin.ModelAdmin):
    list_display = ("email", "organization", "kinds", "is_active")
    list_filter = ("is_active",)
    search_fields = ("email",)
    autocomplete_fields = ("organization",)


@admin.register(SstuSettings)
class SstuSettingsAdmin(admin.ModelAdmin):
    list_display = ("connector_url", "timeout_seconds", "part_size_bytes")
