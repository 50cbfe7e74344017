"""Notices to applicants and staff. One row per (event, recipient, channel): never sent twice.

Channels: e-mail (applicants, and staff with an address), in-app (the workspace's notices page) and
webhooks (a JSON POST to an address the administrator configures, for messengers and SMS gateways).
Every notice is a row first; delivery is claimed with a conditional UPDATE and retried on failure.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notice(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        IN_APP = "in_app", _("in the workspace")
        WEBHOOK = "webhook", _("webhook")

    dedupe_key = models.CharField(_("deduplication key"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=48)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="notices",
    )
    # Set when the notice reaches a stand-in instead of the absent addressee.
    addressed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("addressed to"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    email = models.EmailField(_("e-mail"), blank=True)
    webhook = models.ForeignKey(
        "notifications.WebhookEndpoint", verbose_name=_("webhook"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="notices",
    )
    appeal = models.ForeignKey(
        "appeals.Appeal", verbose_name=_("appeal"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="notices",
    )
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    # A worker holds the notice while it sends; a worker that dies leaves the lease to expire, and the
    # notice is sent again under the same Message-ID / delivery id, so the receiver sees it once.
    claimed_until = models.DateTimeField(_("claimed by a worker until"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notice_unread"),
            models.Index(fields=["sent_at", "channel"], name="notice_unsent"),
        ]

    def __str__(self) -> str:
        return self.subject


class NoticeTemplate(models.Model):
    """The region's own wording of a notice kind; without one the built-in text of appeals/notify.py is used.

    Placeholders: {number}, {due}, {until}, {organization}, {answer}, {intermediate}, {link}.
    """

    kind = models.CharField(_("kind"), max_length=48, unique=True)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(
        _("text"), help_text=_("Placeholders: {number}, {due}, {until}, {organization}, {answer}, {intermediate}, "
                               "{link}."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notice template")
        verbose_name_plural = _("notice templates")
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.kind


class WebhookEndpoint(models.Model):
    """An address that receives every notice (or those of the listed kinds) as a JSON POST."""

    name = models.CharField(_("name"), max_length=255)
    url = models.URLField(_("address"), max_length=1000)
    secret = models.CharField(
        _("secret"), max_length=255, blank=True,
        help_text=_("Sent in the X-Otklik-Signature header as an HMAC-SHA256 of the body."),
    )
    kinds = models.JSONField(_("kinds of notices"), default=list, blank=True,
                             help_text=_("Empty: every kind."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def wants(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds
