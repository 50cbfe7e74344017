from django.urls import URLPattern, URLResolver, path

from otklik.portal import views

app_name = "portal"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
]
