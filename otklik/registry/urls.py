from django.urls import path

from otklik.registry import views

app_name = "registry"

urlpatterns = [
    path("import/", views.import_view, name="import"),
    path("export/<slug:kind>.<slug:fmt>", views.export_view, name="export"),
    path("organizations/<int:organization_id>/officials/", views.officials_view, name="officials"),
]
