from django.urls import path

from otklik.intake.social import views

app_name = "social"

urlpatterns = [
    path("", views.post_list, name="posts"),
    path("<int:pk>/accept/", views.post_accept, name="accept"),
    path("<int:pk>/reject/", views.post_reject, name="reject"),
]
