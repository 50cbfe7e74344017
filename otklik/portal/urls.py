from django.urls import URLPattern, URLResolver, path

from otklik.portal import views

app_name = "portal"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("submit/", views.submit, name="submit"),
    path("submit/nearby.json", views.nearby, name="nearby"),
    path("receipt/<str:number>/", views.receipt, name="receipt"),
    path("track/", views.track_lookup, name="track_lookup"),
    path("track/<str:number>/", views.track, name="track"),
    path("track/<str:number>/rate/", views.rate, name="rate"),
    path("track/<str:number>/comment/", views.comment, name="comment"),
    path("track/<str:number>/answer.pdf", views.answer_pdf, name="answer_pdf"),
    path("track/<str:number>/files/<int:attachment_id>/", views.attachment, name="attachment"),
    path("public/", views.public_list, name="public_list"),
    path("public/map/", views.public_map, name="public_map"),
    path("public/map.json", views.public_map_data, name="public_map_data"),
    path("public/<str:number>/", views.public_detail, name="public_detail"),
    path("my/", views.my_appeals, name="my_appeals"),
    path("my/notices/", views.my_notices, name="my_notices"),
    path("widget.js", views.widget_script, name="widget_script"),
    path("widget/", views.widget_help, name="widget_help"),
]
