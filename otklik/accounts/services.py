"""Writes of accounts: connecting the second sign-in factor (who connected it and when is written to
the security log, never the key); accounts and their passwords; absences and their stand-ins."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from otklik.accounts.models import Absence, User

DEVICE_NAME = "authenticator"
log = logging.getLogger("otklik.security")


def setup_device(user: User) -> TOTPDevice:
    """The unconfirmed device a person is setting up (one; a new key only if none is pending)."""
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
        return device


def confirm_device(request: HttpRequest, user: User, token: str) -> bool:
    """The first code from the app proves the key was saved: the device is confirmed and this
    session counts as verified."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(token.strip()):
        return False
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()  # one app per person
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    otp_login(request, device)
    log.info("two-factor sign-in connected for user %s", user.pk)
    return True


def users_set_password_hash(*, users: QuerySet[User], password_hash: str) -> int:
    """Give these accounts one already made password hash (``make_password``; hashing is deliberately
    slow, so accounts that share a password share its hash). Returns how many changed."""
    return users.update(password=password_hash)


def users_grant_admin_site(*, users: QuerySet[User]) -> int:
    """Let these accounts into the admin site with every permission (the region's administrators)."""
    return users.update(is_staff=True, is_superuser=True)


def user_create(*, username: str, password_hash: str, **fields: str) -> User:
    """An account with an already made password hash and its personal fields (names, e-mail)."""
    return User.objects.create(username=username, password=password_hash, **fields)


def absence_create(
    *, user: User, reason: str, starts_on: dt.date, ends_on: dt.date, stand_in: User, note: str = ""
) -> Absence:
    """A person's absence and who stands in meanwhile, checked and saved as the admin saves it (the
    configuration audit records it)."""
    absence = Absence(user=user, reason=reason, starts_on=starts_on, ends_on=ends_on, stand_in=stand_in, note=note)
    absence.full_clean()
    absence.save()
    return absence
