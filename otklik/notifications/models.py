"""Notices to applicants and staff. One row per (event, recipient, channel): never sent twice."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notice(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        IN_APP = "in_app", _("in the workspace")

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
