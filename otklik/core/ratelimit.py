"""Rate limits on the ways in (issue 11 §10), in one table, counted by django-ratelimit in the cache.

Each row limits one kind of request per client: an API key or signed-in user where there is one, the
address otherwise. A refused request gets 429 with ``Retry-After``: the Russian page on the site, the
structured error in the API, Open311's error list on Open311. The numbers are settings
(``RATE_LIMITS``), so a region behind one proxy address can raise them.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Limit:
    group: str
    path: re.Pattern[str]
    writes_only: bool  # True: only POST, PUT, PATCH and DELETE count


LIMITS = (
    Limit("submit", re.compile(r"^/submit/$"), True),
    Limit("sign_in", re.compile(r"^/accounts/login/$|^/[\w-]+/login/$"), True),
    Limit("sign_up", re.compile(r"^/accounts/signup/$"), True),
    Limit("track", re.compile(r"^/track/"), False),
    Limit("rate_and_comment", re.compile(r"^/track/[^/]+/(rate|comment)/$"), True),
    Limit("follow", re.compile(r"^/public/[^/]+/$"), True),
    Limit("open311_post", re.compile(r"^/open311/v2/requests(\.json|\.xml)?$"), True),
    Limit("api", re.compile(r"^/api/(?!docs|openapi)"), False),
)


def client_key(group: str, request: HttpRequest) -> str:
    """Who is counted: the API key (hashed: the key itself never reaches the cache), the signed-in
    user, or the address."""
    raw_key = request.headers.get("X-Api-Key") or request.GET.get("api_key") or ""
    if not raw_key:
        # A broken form is counted by user or address; the view answers it with its own error.
        with contextlib.suppress(MultiPartParserError):
            raw_key = request.POST.get("api_key") or ""
    if raw_key:
        return "key:" + hashlib.sha256(raw_key.encode()).hexdigest()[:32]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return "ip:" + str(request.META.get("REMOTE_ADDR", ""))


def _refused(request: HttpRequest, retry_after: int) -> HttpResponse:
    message = _("Too many requests in a short time. Wait a little and try again.")
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": "rate_limited", "message": message, "field": None}, status=429)
    elif request.path.startswith("/open311/"):
        response = JsonResponse([{"code": 429, "description": message}], status=429, safe=False)
    else:
        response = render(request, "429.html", {"message": message, "retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


class RateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rates: dict[str, str] = settings.RATE_LIMITS
        for limit in LIMITS:
            rate = rates.get(limit.group)
            if not rate or (limit.writes_only and request.method in SAFE) or not limit.path.match(request.path):
                continue
            usage = get_usage(request, group=limit.group, key=client_key, rate=rate, increment=True)
            if usage is not None and usage["should_limit"]:
                return _refused(request, max(1, int(usage["time_left"])))
        return self.get_response(request)

