"""Sign-in pages: citizen sign-up confirmed by e-mail, and sign-in through an OpenID Connect provider. The
logic and the texts live in the portal (portal/services.py, portal/oidc.py); these views are thin."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

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
