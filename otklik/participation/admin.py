"""Admin for the region's participation settings and read-only views of events and the journal.
Ballots and who-voted records are not in the admin: they are read only to count."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from otklik.participation.models import Event, EventEntry, Lateness, ParticipationSettings


@admin.register(ParticipationSettings)
class ParticipationSettingsAdmin(admin.ModelAdmin[ParticipationSettings]):
    list_display = ("__str__", "approval_required", "results_days")


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(ReadOnly):
    list_display = ("title", "kind", "organization", "state", "starts_at", "ends_at", "results_due_on")
    list_filter = ("kind", "state")


@admin.register(EventEntry)
class EventEntryAdmin(ReadOnly):
    list_display = ("event", "at", "action", "actor", "role", "from_state", "to_state")
    list_filter = ("action",)


@admin.register(Lateness)
class LatenessAdmin(ReadOnly):
    list_display = ("event", "organization", "stage", "due_at", "detected_at")
