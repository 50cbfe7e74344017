from django.urls import path

from otklik.escalations import views

app_name = "escalations"

urlpatterns = [
    path("", views.escalation_list, name="list"),
    path("map.json", views.map_data, name="map_data"),
    path("<int:pk>/", views.escalation_detail, name="detail"),
    path("<int:pk>/acknowledge/", views.escalation_acknowledge, name="acknowledge"),
    path("<int:pk>/report/", views.escalation_report, name="report"),
    path("<int:pk>/close/", views.escalation_close, name="close"),
    path("<int:pk>/report.pdf", views.escalation_pdf, name="pdf"),
]
