"""Writes of accounts: connecting the second sign-in factor. Who connected it and when is written to
the security log (never the key)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from otklik.accounts.models import User

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
