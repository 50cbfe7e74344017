"""The site's own page for a refused form (CSRF): Russian, in the site's layout, with a way back.
Django's built-in page is English and speaks of DEBUG. The other error pages (400, 403, 404, 500)
are the templates of the same names in otklik/templates, which Django's handlers use by themselves."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", status=403)
