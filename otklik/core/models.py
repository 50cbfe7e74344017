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
