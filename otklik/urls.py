from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from otklik.api import api
from otklik.workspace import views as workspace_views

admin.site.site_header = _("Otklik")
admin.site.site_title = _("Otklik")

urlpatterns = [
    path("", workspace_views.home, name="home"),
    path("accounts/", include("otklik.accounts.urls")),
    path("workspace/", include("otklik.workspace.urls")),
    path("registry/", include("otklik.registry.urls")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
