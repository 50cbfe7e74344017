"""The JSON API (django-ninja): one NinjaAPI, a router per domain, structured errors."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
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


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"code": "not_authenticated", "message": _("Sign in first.")}, status=401)


from otklik.appeals.api import router as appeals_router  # noqa: E402 - routers attach after the handlers

api.add_router("/", appeals_router)
api.add_router("/reports/", "otklik.reports.api.router")
api.add_router("/participation/", "otklik.participation.api.router")
api.add_router("/escalations/", "otklik.escalations.api.router")
api.add_router("/social/", "otklik.intake.social.api.router")
