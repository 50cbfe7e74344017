"""Version counters of cached reads: a write bumps the counter, every process sees the new value on its
next read and drops what it cached (one indexed read instead of rebuilding the answer)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Version(models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)
    value = models.PositiveBigIntegerField(_("value"), default=0)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("cache version")
        verbose_name_plural = _("cache versions")

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class ConfigurationChange(models.Model):
    """Who changed what in the region's configuration (roles, routing, categories, deadlines,
    calendars, settings) and when — from the admin, a page, the API, an import or a command.
    Written by the signal receivers of core/audit.py for the models in settings.AUDITED_MODELS."""

    at = models.DateTimeField(_("changed at"), db_index=True)
    actor = models.ForeignKey("accounts.User", verbose_name=_("changed by"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(_("changed by (name)"), max_length=150, blank=True)
    source = models.CharField(_("source"), max_length=16)
    model = models.CharField(_("what"), max_length=100, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=16)
    changes = models.JSONField(_("changes"), default=dict)

    class Meta:
        verbose_name = _("configuration change")
        verbose_name_plural = _("configuration changes")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%d.%m.%Y %H:%M} {self.model} {self.object_repr}: {self.action}"
