from django.urls import path

from otklik.participation import views

app_name = "participation"

urlpatterns = [
    path("", views.event_list, name="list"),
    path("profile/", views.profile, name="profile"),
    path("<int:event_id>/", views.event_detail, name="event"),
    path("<int:event_id>/ballot/", views.ballot, name="ballot"),
    path("<int:event_id>/results.xlsx", views.results_xlsx, name="results_xlsx"),
    path("<int:event_id>/paragraphs/<int:paragraph_id>/comment/", views.comment_add, name="comment"),
    path("<int:event_id>/comments/<int:comment_id>/support/", views.comment_support, name="support"),
    path("manage/", views.manage_list, name="manage_list"),
    path("manage/<int:event_id>/", views.manage, name="manage"),
    path("manage/<int:event_id>/do/<str:action>/", views.manage_action, name="manage_action"),
    path("manage/<int:event_id>/document/", views.manage_document, name="manage_document"),
    path("manage/<int:event_id>/projects/", views.manage_project, name="manage_project"),
    path("manage/<int:event_id>/questions/", views.manage_question, name="manage_question"),
    path("manage/<int:event_id>/comments/<int:comment_id>/", views.manage_comment, name="manage_comment"),
    path("manage/<int:event_id>/paragraphs/<int:paragraph_id>/", views.manage_summary, name="manage_summary"),
]
