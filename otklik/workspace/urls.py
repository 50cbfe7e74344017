from django.urls import path

from otklik.workspace import views

app_name = "workspace"

urlpatterns = [
    path("", views.home, name="home"),
    path("registry/health/", views.registry_health, name="registry_health"),
]
