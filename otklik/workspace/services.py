"""Writes of the workspace's own data: answer templates (not audited configuration)."""

from __future__ import annotations

from dataclasses import dataclass

from otklik.registry.models import Category
from otklik.workspace.models import AnswerTemplate


@dataclass(frozen=True)
class NewAnswerTemplate:
    category: Category | None  # None: fits every category
    title: str
    body: str
    is_intermediate: bool = False


def answer_templates_create(*, templates: list[NewAnswerTemplate]) -> list[AnswerTemplate]:
    """Answer templates in the order given (their position in the executor's list)."""
    return AnswerTemplate.objects.bulk_create([
        AnswerTemplate(category=t.category, title=t.title, body=t.body, is_intermediate=t.is_intermediate,
                       position=position)
        for position, t in enumerate(templates)
    ])
