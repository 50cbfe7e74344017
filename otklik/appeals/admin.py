from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import Role
from otklik.appeals.lifecycle import APPLICANT, SYSTEM
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


def role_choices() -> list[tuple[str, Any]]:
    """Who acted, in Russian: the staff roles, the system and the applicant (events store the codes)."""
    return [*Role.choices, (SYSTEM, _("system")), (APPLICANT, _("applicant"))]


class RoleFilter(admin.SimpleListFilter):
    title = _("acting role")
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return role_choices()

    def queryset(self, request: HttpRequest, queryset: QuerySet[AppealEvent]) -> QuerySet[AppealEvent]:
        return queryset.filter(role=self.value()) if self.value() else queryset


@admin.register(AppealEvent)
class AppealEventAdmin(ReadOnlyAdmin):
    list_display = ["appeal", "at", "action", "role_label", "from_state", "to_state"]
    list_filter = ["action", RoleFilter]

    @admin.display(description=_("acting role"), ordering="role")
    def role_label(self, event: AppealEvent) -> str:
        return str(dict(role_choices()).get(event.role, event.role))


@admin.register(DeadlineBreach)
class DeadlineBreachAdmin(ReadOnlyAdmin):
    list_display = ["appeal", "stage", "due_at", "detected_at", "organization"]
    list_filter = ["stage"]
