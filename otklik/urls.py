from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from otklik.api import api

admin.site.site_header = _("Otklik")
admin.site.site_title = _("Otklik")

urlpatterns = [
    path("", include("otklik.portal.urls")),
    path("accounts/", include("otklik.portal.account_urls")),
    path("workspace/escalations/", include("otklik.escalations.urls")),
    path("workspace/social/", include("otklik.intake.social.urls")),
    path("workspace/privacy/", include("otklik.privacy.urls")),
    path("workspace/", include("otklik.workspace.urls")),
    path("open311/v2/", include("otklik.intake.urls")),
    path("reports/", include("otklik.reports.urls")),
    path("registry/", include("otklik.registry.urls")),
    path("participation/", include("otklik.participation.urls")),
    path(settings.ADMIN_PATH, admin.site.urls),
    path("api/", api.urls),
]
