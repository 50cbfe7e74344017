"""What the privacy domain keeps of its own: which appeals lost their applicant's personal data and when.
Openings of personal data are recorded next to the appeal (appeals.PersonalDataAccess), because the API
of appeals records them too."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Anonymisation(models.Model):
    """An appeal whose applicant was made anonymous after the region's term (manage.py anonymise_applicants).
    The appeal keeps its number, category, organisation, dates, states and event log: statistics stay."""

    appeal = models.OneToOneField("appeals.Appeal", verbose_name=_("appeal"), on_delete=models.PROTECT,
                                  related_name="+")
    at = models.DateTimeField(_("made anonymous at"))
    term_ended_at = models.DateTimeField(_("the term of keeping ended at"))
    found = models.JSONField(_("personal data hidden in texts, by kind"), default=dict, blank=True)

    class Meta:
        verbose_name = _("anonymised appeal")
        verbose_name_plural = _("anonymised appeals")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.appeal_id} {self.at:%d.%m.%Y}"
