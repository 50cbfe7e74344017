from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import Absence, Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organization"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("Official"), {"fields": ("patronymic", "position", "phone")}),
    )
    list_display = ["username", "last_name", "first_name", "position", "email", "is_active"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__last_name", "organization__name"]
    autocomplete_fields = ["user", "organization"]


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ["user", "reason", "starts_on", "ends_on", "stand_in"]
    list_filter = ["reason"]
    search_fields = ["user__last_name", "stand_in__last_name"]
    autocomplete_fields = ["user", "stand_in"]
