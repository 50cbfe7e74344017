from django.urls import path

from otklik.privacy import views

app_name = "privacy"
urlpatterns = [
    path("", views.accesses, name="accesses"),
]
