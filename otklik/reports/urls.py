from django.urls import URLPattern, URLResolver, path

from otklik.reports import views

app_name = "reports"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard, name="dashboard"),
    path("assets/chart.js", views.chart_js, name="chart_js"),
    path("monthly/", views.report_list, name="reports"),
    path("monthly/<int:report_id>/", views.report_detail, name="report"),
    path("monthly/<int:report_id>/<str:fmt>/", views.report_file, name="report_file"),
    path("jobs/<int:job_id>/", views.job_detail, name="job"),
    path("breaches/", views.breaches, name="breaches"),
    path("breaches/<int:breach_id>/decide/", views.breach_decide, name="breach_decide"),
    path("sstu/", views.sstu, name="sstu"),
    path("sstu/exports/<int:export_id>/parts/<int:number>/", views.sstu_part, name="sstu_part"),
    path("sstu/appeals/<int:appeal_id>/result/", views.sstu_result, name="sstu_result"),
]
