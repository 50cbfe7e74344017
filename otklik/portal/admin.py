from django.contrib import admin

from otklik.portal.models import CitizenIdentity


@admin.register(CitizenIdentity)
class CitizenIdentityAdmin(admin.ModelAdmin):
    list_display = ("user", "issuer", "subject", "created_at", "last_login_at")
    search_fields = ("subject", "user__email")
