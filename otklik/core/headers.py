"""Security headers of the data-only endpoints (Open311's short chain, otklik/wsgi.py).

A JSON or XML answer loads nothing and is never framed, so its policy is the strictest there is and
the same for every response: one constant header instead of django-csp's per-response policy build
(a tenth of the cost of a cached services.json) and of the clickjacking middleware.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

DATA_ONLY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


class DataOnlyHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", DATA_ONLY_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response
