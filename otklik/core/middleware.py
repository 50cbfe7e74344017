"""What a client sees while the database is unreachable: a clear answer and when to come back,
never Django's bare 500 page (and never HTML to an API client)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

RETRY_AFTER_SECONDS = 30
# Machine clients get the API's error shape: {"code", "message", "field"}.
API_PREFIXES = ("/api/", "/open311/")
log = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        return unavailable_response(request, exception)


def unavailable_response(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The answer while the database is down; also for middleware that reads the database before the view
    (Django turns a middleware's exception into a 500 before process_exception could see it)."""
    log.error("database unavailable: %s", type(exception).__name__)
    message = _("The service is temporarily unavailable. Nothing you sent is lost if you saw no confirmation: "
                "please try again in a minute.")
    response: HttpResponse
    if request.path.startswith(API_PREFIXES):
        response = JsonResponse({"code": "unavailable", "message": message, "field": None}, status=503)
    else:
        # Rendered without the request: context processors would touch the session, i.e. the database.
        response = HttpResponse(render_to_string("unavailable.html", {"message": message}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
