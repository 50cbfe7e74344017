"""Users, their roles in organisations, and absences with stand-ins."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    HEAD = "head", _("head")
    COORDINATOR = "coordinator", _("coordinator")
    EXECUTOR = "executor", _("executor")
    AUTHORISED = "authorised", _("authorised person for public votes")
    MODERATOR = "moderator", _("moderator")
    REGIONAL_COORDINATOR = "regional_coordinator", _("regional coordinator")
    ADMIN = "admin", _("administrator")
    # «Ответственный за организацию обработки персональных данных» (152-FZ art. 22.1): reads who opened
    # applicants' data (not region-wide: the role sees no appeal itself).
    PRIVACY_OFFICER = "privacy_officer", _("personal data officer")


# Roles whose holders see and act on the whole region, not only their own organisation.
REGION_WIDE_ROLES = frozenset({Role.MODERATOR, Role.REGIONAL_COORDINATOR, Role.ADMIN})


class User(AbstractUser):
    """A person who signs in: an official or a citizen."""

    patronymic = models.CharField(_("patronymic"), max_length=150, blank=True)
    position = models.CharField(_("position"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        parts = [self.last_name, self.first_name, self.patronymic]
        name = " ".join(part for part in parts if part)
        return name or self.username


class Membership(models.Model):
    """A role of a user in an organisation; one row per role."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        "registry.Organization", verbose_name=_("organisation"), on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)

    class Meta:
        verbose_name = _("role in an organisation")
        verbose_name_plural = _("roles in organisations")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization", "role"], name="membership_unique")
        ]
        indexes = [models.Index(fields=["organization", "role"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.organization}"


class Absence(models.Model):
    """Temporary absence «временное отсутствие»; the stand-in gets the absent person's work meanwhile."""

    class Reason(models.TextChoices):
        ILLNESS = "illness", _("illness")
        VACATION = "vacation", _("vacation")
        BUSINESS_TRIP = "business_trip", _("business trip")
        STUDY = "study", _("study")
        OTHER = "other", _("other")

    user = models.ForeignKey(User, verbose_name=_("absent person"), on_delete=models.CASCADE, related_name="absences")
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to (inclusive)"))
    stand_in = models.ForeignKey(
        User, verbose_name=_("stand-in"), on_delete=models.PROTECT, related_name="stand_in_for"
    )
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="absence_dates"),
            models.CheckConstraint(condition=~models.Q(stand_in=models.F("user")), name="absence_not_self"),
        ]
        indexes = [models.Index(fields=["stand_in", "starts_on", "ends_on"])]

    def __str__(self) -> str:
        return f"{self.user}: {self.starts_on:%d.%m.%Y}–{self.ends_on:%d.%m.%Y}"

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The absence must end on or after its first day.")})
        if self.user_id and self.user_id == self.stand_in_id:
            raise ValidationError({"stand_in": _("A person cannot stand in for themselves.")})
