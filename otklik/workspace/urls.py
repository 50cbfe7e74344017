from django.urls import path

from otklik.workspace import views

app_name = "workspace"

urlpatterns = [
    path("", views.home, name="home"),
    path("registry/health/", views.registry_health, name="registry_health"),
    path("queues/<slug:key>/", views.queue, name="queue"),
    path("overdue-by-organisation/", views.overdue_by_organization, name="overdue_by_organization"),
    path("search/", views.search, name="search"),
    path("appeals/<int:pk>/", views.appeal_card, name="appeal"),
    path("appeals/<int:pk>/act/<slug:action>/", views.appeal_act, name="appeal_act"),
    path("appeals/<int:pk>/files/<int:attachment_id>/", views.appeal_file, name="appeal_file"),
    path("appeals/<int:pk>/answer-template/", views.answer_template, name="answer_template"),
    path("answer-preview/", views.answer_preview, name="answer_preview"),
    path("bulk/", views.bulk, name="bulk"),
    path("notices/", views.notices, name="notices"),
    path("notices/<int:pk>/read/", views.notice_read, name="notice_read"),
    path("notices/read-all/", views.notices_read_all, name="notices_read_all"),
]
