"""Sign-in pages: citizen sign-up confirmed by e-mail, and sign-in through an OpenID Connect provider. The
logic and the texts live in the portal (portal/services.py, portal/oidc.py); these views are thin."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from otklik.accounts import services as account_services
from otklik.accounts import two_factor as two_factor_service
from otklik.accounts.models import User
from otklik.appeals.services import AppealError
from otklik.portal import oidc
from otklik.portal.forms import SignupForm
from otklik.portal.services import citizen_confirm, citizen_signup

BACKEND = "django.contrib.auth.backends.ModelBackend"


class SignInView(auth_views.LoginView):
    """Django's sign-in page, with sign-in through ESIA (Госуслуги) or another OpenID Connect provider
    offered when the region configured it (OTKLIK_OIDC_*, docs/portal.md), and a word on why not when not."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(oidc_on=oidc.enabled(), oidc_name=settings.OIDC_PROVIDER_NAME)
        return context


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            citizen_signup(email=data["email"], password=data["password1"], first_name=data["first_name"],
                           last_name=data["last_name"])
        except AppealError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return render(request, "portal/signup_sent.html", {"email": data["email"]})
    return render(request, "portal/signup.html", {"form": form}, status=400 if form.errors else 200)


@require_GET
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = citizen_confirm(token=token)
    except AppealError as exc:
        return render(request, "portal/signup_failed.html", {"message": exc.message}, status=400)
    login(request, user, backend=BACKEND)
    return redirect("portal:my_appeals")


@require_GET
def oidc_login(request: HttpRequest) -> HttpResponse:
    try:
        return oidc.start(request, request.build_absolute_uri(reverse("accounts:oidc_callback")))
    except AppealError as exc:
        return render(request, "portal/signup_failed.html", {"message": exc.message, "oidc": True},
                      status=exc.status)


@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    try:
        user = oidc.finish(request)
    except AppealError as exc:
        return render(request, "portal/signup_failed.html", {"message": exc.message, "oidc": True},
                      status=exc.status)
    login(request, user, backend=BACKEND)
    return redirect(request.session.pop("oidc_next", None) or reverse("portal:my_appeals"))


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("workspace:home")


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """The second step of a staff sign-in: the code from the authenticator app."""
    user = request.user
    assert isinstance(user, User)
    if two_factor_service.confirmed_device(user) is None:
        return redirect(reverse("accounts:two_factor_setup") + "?" + urlencode({"next": _next(request)}))
    error = ""
    if request.method == "POST":
        if two_factor_service.verify(request, user, request.POST.get("token", "")):
            return redirect(_next(request))
        error = _("The code does not fit. Enter the six digits the app shows now.")
    return render(request, "registration/two_factor.html", {"error": error, "next": _next(request)},
                  status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Connecting an authenticator app: the key as a QR code and as text, then the first code."""
    user = request.user
    assert isinstance(user, User)
    device = account_services.setup_device(user)
    error = ""
    if request.method == "POST":
        if account_services.confirm_device(request, user, request.POST.get("token", "")):
            return redirect(_next(request))
        error = _("The code does not fit. Enter the six digits the app shows now.")
    secret = base64.b32encode(device.bin_key).decode()
    return render(request, "registration/two_factor_setup.html", {
        "error": error, "next": _next(request), "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "qr": mark_safe(segno.make(device.config_url, error="m").svg_inline(scale=4)),
    }, status=400 if error else 200)
