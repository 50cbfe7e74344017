"""Sign-in throttling (django-axes): repeated failures of one login from one address lock it out for
a while. Only sign-ins that come through a web request are counted and refused: every way in from
outside is one (the sign-in page, the admin), while a call without a request is our own code
(a management command, a test client's ``login``), which has no address to count."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class ThrottledSignIn(AxesStandaloneBackend):
    def authenticate(self, request: HttpRequest | None, username: str | None = None, password: str | None = None,
                     **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def locked_out(request: HttpRequest, credentials: dict[str, Any] | None = None, *args: Any, **kwargs: Any
               ) -> HttpResponse:
    """The Russian page for a paused sign-in (429), saying for how long."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=429)
