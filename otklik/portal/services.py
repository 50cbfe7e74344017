"""Citizen accounts: sign-up confirmed by e-mail, and accounts from an OpenID Connect provider."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, get_random_string, salted_hmac
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.accounts.permissions import is_staff_account
from otklik.appeals.services import AppealError
from otklik.notifications.services import notice_create
from otklik.portal.models import CitizenIdentity

CONFIRM_SALT = "otklik.portal.signup"
# A confirmation link signs the citizen in, so it lives one day and works once: it is bound to the
# account's state (active flag, password, e-mail, last sign-in), which its first use changes.
CONFIRM_MAX_AGE = 24 * 3600


def _account_state(user: User) -> str:
    return salted_hmac(CONFIRM_SALT, f"{user.pk}|{user.is_active}|{user.password}|{user.email}|{user.last_login}",
                       algorithm="sha256").hexdigest()[:32]


def confirmation_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "s": _account_state(user)}, salt=CONFIRM_SALT)


def citizen_signup(*, email: str, password: str, first_name: str, last_name: str) -> User:
    """Create an inactive account and send the confirmation link; it becomes active on confirmation.

    Signing up again with an address that is not confirmed yet sends a new link."""
    email = email.strip().lower()
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).select_for_update().first()
        if user is not None and (user.is_active or is_staff_account(user)):
            raise AppealError("email_taken", _("An account with this e-mail already exists: sign in."),
                              field="email")
        if user is None:
            username = email if not User.objects.filter(username=email).exists() else f"{email}-{get_random_string(6)}"
            user = User(username=username[:150], email=email)
        user.first_name, user.last_name, user.is_active = first_name.strip(), last_name.strip(), False
        user.set_password(password)
        user.save()
        link = settings.SITE_URL.rstrip("/") + reverse("accounts:confirm", args=[confirmation_token(user)])
        notice_create(
            kind="signup_confirm", dedupe=f"signup:{user.pk}:{timezone.now().timestamp()}",
            subject=_("Confirm your e-mail"),
            body=_("To finish signing up, open this link within 24 hours:\n%(link)s\n\n"
                   "If you did not sign up, ignore this letter.") % {"link": link},
            email=email,
        )
    return user


def citizen_confirm(*, token: str) -> User:
    """Activate the account the link was sent for. A link opened twice, after the account changed,
    or for a staff account is refused: it never signs anyone in."""
    invalid = AppealError("link_invalid", _("The link is wrong or has already been used. Sign in, or sign up again "
                                            "to get a new link."))
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.SignatureExpired:
        raise AppealError("link_expired", _("The link has expired: sign up again to get a new one.")) from None
    except signing.BadSignature:
        raise invalid from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise invalid
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=data["u"]).first()
        if user is None or user.is_active or is_staff_account(user):
            raise invalid
        if not constant_time_compare(str(data.get("s", "")), _account_state(user)):
            raise invalid
        user.is_active = True
        user.last_login = timezone.now()
        user.save(update_fields=["is_active", "last_login"])
    return user


def citizen_from_oidc(*, issuer: str, subject: str, email: str = "", first_name: str = "", last_name: str = "",
                      patronymic: str = "") -> User:
    """The local account of an identity at the provider, created on the first sign-in. The name and
    e-mail follow the provider, which has verified them."""
    if not issuer or not subject:
        raise AppealError("oidc_no_subject", _("The identity provider did not say who you are."))
    now = timezone.now()
    with transaction.atomic():
        identity = CitizenIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
        if identity is None:
            user = User(username=f"oidc-{get_random_string(20)}", email=email.strip().lower())
            user.set_unusable_password()
            user.save()
            identity = CitizenIdentity.objects.create(user=user, issuer=issuer, subject=subject)
        user = identity.user
        changed = False
        for field, value in (("email", email.strip().lower()), ("first_name", first_name), ("last_name", last_name),
                             ("patronymic", patronymic)):
            if value and getattr(user, field) != value:
                setattr(user, field, value[:150] if field != "email" else value)
                changed = True
        if changed:
            user.save()
        identity.last_login_at = now
        identity.save(update_fields=["last_login_at"])
    return user
