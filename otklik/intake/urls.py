from django.urls import URLPattern, URLResolver, re_path

from otklik.intake import open311

app_name = "intake"

FMT = r"\.(?P<fmt>xml|json)$"

urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^discovery" + FMT, open311.discovery, name="discovery"),
    re_path(r"^services" + FMT, open311.services, name="services"),
    re_path(r"^services/(?P<service_code>[^/]+)" + FMT, open311.service_definition, name="service_definition"),
    re_path(r"^requests" + FMT, open311.requests_view, name="requests"),
    re_path(r"^requests/(?P<service_request_id>[^/]+)" + FMT, open311.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[^/]+)" + FMT, open311.token_view, name="token"),
    re_path(r"^servicerequestupdates" + FMT, open311.request_updates, name="updates"),
    re_path(r"^(?P<path>.*)$", open311.not_found, name="not_found"),
]
