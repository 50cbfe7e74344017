"""Two-factor sign-in for staff (django-otp, TOTP): a code from an authenticator app after the
password. Always for administrators (they change roles, routing and the calendar); for the roles the
region names in OTKLIK_TWO_FACTOR_ROLES. Until the second factor is given, such an account reaches
only the pages that ask for it.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from otklik.accounts.models import Membership, Role, User
from otklik.core.middleware import unavailable_response


def needs_two_factor(user: User) -> bool:
    if not settings.TWO_FACTOR_REQUIRED or not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    roles = {Role.ADMIN, *settings.TWO_FACTOR_ROLES}
    return Membership.objects.filter(user_id=user.pk, role__in=roles).exists()


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def verify(request: HttpRequest, user: User, token: str) -> bool:
    device = confirmed_device(user)
    if device is None or not device.verify_token(token.strip()):
        return False
    otp_login(request, device)
    return True


def _allowed_unverified(path: str) -> bool:
    return path.startswith(("/accounts/two-factor/", "/accounts/logout/", "/accounts/login/", settings.STATIC_URL))


class TwoFactorMiddleware:
    """After django_otp's OTPMiddleware: an account that needs the second factor and has not given it
    in this session is sent to give it (pages) or refused (API)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        try:  # the lazy user reads the session and the roles: the database
            challenge = (isinstance(user, User) and not _allowed_unverified(request.path)
                         and needs_two_factor(user) and not user.is_verified())  # type: ignore[attr-defined]
        except (OperationalError, InterfaceError) as exc:
            return unavailable_response(request, exc)
        if challenge and isinstance(user, User):
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "two_factor_required", "field": None, "message": _(
                    "Confirm the sign-in with a code from the authenticator app first.")}, status=403)
            target = "accounts:two_factor" if confirmed_device(user) else "accounts:two_factor_setup"
            return redirect(reverse(target) + "?" + urlencode({"next": request.get_full_path()}))
        return self.get_response(request)
