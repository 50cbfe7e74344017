from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from otklik.registry import services
from otklik.registry.models import (
    CalendarOverride,
    Category,
    ClassifierCode,
    Official,
    Organization,
    RegionSettings,
    RegistryChange,
    RoutingRule,
    Territory,
    Topic,
)


class ChangeDateForm(forms.ModelForm):
    """A registry change form asks on which day the change happened: the registry must hear of a
    change of an official or a contact within the region's term (seed 002 §5)."""

    happened_on = forms.DateField(
        label=_("The change happened on"), initial=timezone.localdate,
        help_text=_("The day the official or the contact actually changed, not today's date if it was earlier."),
    )

    def clean_happened_on(self) -> dt.date:
        value: dt.date = self.cleaned_data["happened_on"]
        try:
            services.check_happened_on(value)
        except services.RegistryError as error:
            raise forms.ValidationError(error.message) from None
        return value


class LoggedChangesAdmin(admin.ModelAdmin):
    """Saves through the registry service so that every change lands in the change log, with the day
    the change happened."""

    form = ChangeDateForm

    @staticmethod
    def _happened_on(form: Any) -> dt.date | None:
        return getattr(form, "cleaned_data", {}).get("happened_on")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        services.registry_save(actor=request.user, instance=obj,  # type: ignore[arg-type]
                               happened_on=self._happened_on(form))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.registry_delete(actor=request.user, instance=obj)  # type: ignore[arg-type]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        services.registry_formset_save(actor=request.user, formset=formset,  # type: ignore[arg-type]
                                       happened_on=self._happened_on(form))


class OfficialInline(admin.TabularInline):
    model = Official
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(LoggedChangesAdmin):
    list_display = ["name", "kind", "territory", "parent", "is_active", "data_confirmed_at"]
    list_filter = ["kind", "is_active", "territory"]
    search_fields = ["name", "short_name", "sstu_department_guid", "portal_id"]
    autocomplete_fields = ["parent", "territory"]
    inlines = [OfficialInline]


@admin.register(Official)
class OfficialAdmin(LoggedChangesAdmin):
    list_display = ["full_name", "position", "kind", "organization", "phone", "email"]
    list_filter = ["kind"]
    search_fields = ["full_name", "organization__name"]
    autocomplete_fields = ["organization"]


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "oktmo"]
    list_filter = ["kind"]
    search_fields = ["name", "oktmo"]
    autocomplete_fields = ["parent"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "parent", "procedure", "answer_days", "region_answer_days", "classifier_code",
                    "is_active"]
    list_filter = ["procedure", "is_active", "parent"]
    search_fields = ["name", "code", "keywords"]
    autocomplete_fields = ["parent", "classifier_code"]


@admin.register(ClassifierCode)
class ClassifierCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "version"]
    list_filter = ["version"]
    search_fields = ["code", "name"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "territory", "organization"]
    list_filter = ["territory"]
    search_fields = ["category__name", "organization__name"]
    autocomplete_fields = ["category", "territory", "organization"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active"]
    search_fields = ["name"]


@admin.register(RegionSettings)
class RegionSettingsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return not RegionSettings.objects.exists()


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ["day", "kind", "note"]
    list_filter = ["kind"]


class ChangeActionFilter(admin.SimpleListFilter):
    """The kind of change in words, not its code (create, update, delete, confirm)."""

    title = _("change")
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("create", _("added")), ("update", _("changed")), ("delete", _("removed")),
                ("confirm", _("data confirmed as current"))]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(RegistryChange)
class RegistryChangeAdmin(admin.ModelAdmin):
    list_display = ["at", "happened_on", "organization", "what_changed", "actor"]
    list_filter = [ChangeActionFilter]

    @admin.display(description=_("what changed"))
    def what_changed(self, change: RegistryChange) -> str:
        return change.summary()
    search_fields = ["organization__name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
