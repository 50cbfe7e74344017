"""The JSON API (django-ninja): one NinjaAPI, a router per domain, structured errors."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import django_auth

from otklik.appeals.services import AppealError

api = NinjaAPI(title="Otklik API", version="1", auth=django_auth, urls_namespace="api")


@api.exception_handler(AppealError)
def appeal_error(request: HttpRequest, exc: AppealError) -> HttpResponse:
    return api.create_response(
        request, {"code": exc.code, "message": exc.message, "field": exc.field}, status=exc.status
    )


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = [
        {"field": ".".join(str(part) for part in err.get("loc", [])[1:]), "message": err.get("msg", "")}
        for err in exc.errors
    ]
    return api.create_response(
        request, {"code": "invalid", "message": _("Some fields are filled in wrongly."), "fields": fields},
        status=422,
    )


@api.exception_handler(MultiPartParserError)
def unreadable_form(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _unreadable(request)


@api.exception_handler(OverflowError)
def out_of_range(request: HttpRequest, exc: OverflowError) -> HttpResponse:
    """A date or number past what the database stores (year 1 in a time zone, an id over 2⁶³): the
    request is wrong, not the server. Parameters carry their own bounds; this is the net under them."""
    return api.create_response(
        request, {"code": "out_of_range", "message": _("A date or number in the request is out of range."),
                  "field": None}, status=400,
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja's own refusals (a body it cannot parse) in the API's shape; the documented 400 is ErrorOut."""
    if exc.status_code == 400:
        return _unreadable(request)
    return api.create_response(request, {"code": f"http_{exc.status_code}", "message": _("The request was refused."),
                                         "field": None}, status=exc.status_code)


def _unreadable(request: HttpRequest) -> HttpResponse:
    return api.create_response(
        request, {"code": "invalid_body", "message": _("The request body is not valid JSON or form data."),
                  "field": None}, status=400,
    )


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"code": "not_authenticated", "message": _("Sign in first.")}, status=401)


from otklik.appeals.api import router as appeals_router  # noqa: E402 - routers attach after the handlers

api.add_router("/", appeals_router)
api.add_router("/reports/", "otklik.reports.api.router")
api.add_router("/participation/", "otklik.participation.api.router")
api.add_router("/escalations/", "otklik.escalations.api.router")
api.add_router("/social/", "otklik.intake.social.api.router")
