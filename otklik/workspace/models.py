"""Data of the staff workspace: answer templates «шаблоны ответов»."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AnswerTemplate(models.Model):
    """A ready answer for a category; the executor picks it in the answer editor and edits the text.

    Placeholders: {number}, {applicant}, {address}, {due}, {received}, {category}, {organization},
    {until}, {today}.
    """

    category = models.ForeignKey(
        "registry.Category", verbose_name=_("category"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="answer_templates", help_text=_("Leave empty for a template that fits every category."),
    )
    title = models.CharField(_("title"), max_length=255)
    body = models.TextField(
        _("text"),
        help_text=_("Placeholders: {number}, {applicant}, {address}, {due}, {received}, {category}, "
                    "{organization}, {until}, {today}."),
    )
    is_intermediate = models.BooleanField(_("for an intermediate answer"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position in the list"), default=0)

    class Meta:
        verbose_name = _("answer template")
        verbose_name_plural = _("answer templates")
        ordering = ["position", "title"]
        indexes = [models.Index(fields=["category", "is_active"], name="answer_template_category")]

    def __str__(self) -> str:
        return self.title
