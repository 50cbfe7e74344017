"""Reads of the staff workspace's own pages that are not an appeal's: the user's roles in words, the
organisations a user may filter or act by, answer templates. Appeals are read through
``appeals.selectors`` (what a staff user may see)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from otklik.accounts.models import Role, User
from otklik.accounts.permissions import capacities
from otklik.appeals.models import Appeal
from otklik.registry.models import Organization
from otklik.workspace.models import AnswerTemplate


def roles_of(user: User) -> list[dict[str, Any]]:
    """The user's capacities now, in words: the role, its organisation, whom they stand in for."""
    caps = capacities(user)
    names = dict(Organization.objects.filter(pk__in={c.organization_id for c in caps}).values_list("pk", "name"))
    people = {u.pk: u.display_name for u in User.objects.filter(pk__in={c.acting_for_id for c in caps})}
    return [
        {"role": Role(c.role).label, "organization": names.get(c.organization_id, ""),
         "acting_for": people.get(c.acting_for_id or 0, "")}
        for c in caps
    ]


def organization_choices(user: User, org_ids: frozenset[int] | None) -> QuerySet[Organization] | None:
    """Organisations to filter by: every one for region-wide users (``org_ids`` None), the user's own
    when there are several, none to choose from when there is one."""
    if org_ids is None:
        return Organization.objects.order_by("name")
    if len(org_ids) > 1:
        return Organization.objects.filter(pk__in=org_ids).order_by("name")
    return None


def acting_organization_ids(org_ids: frozenset[int] | None) -> frozenset[int]:
    """The organisations a queue's bulk actions may pick executors from: the view's own, or (a
    region-wide view, ``org_ids`` None) every active one."""
    if org_ids is not None:
        return org_ids
    return frozenset(Organization.objects.filter(is_active=True).values_list("pk", flat=True))


def answer_templates(appeal: Appeal, *, intermediate: bool) -> QuerySet[AnswerTemplate]:
    """Active templates for the appeal's category, its parent category, or any category."""
    categories = Q(category__isnull=True)
    if appeal.category_id:
        categories |= Q(category_id=appeal.category_id)
        if appeal.category and appeal.category.parent_id:
            categories |= Q(category_id=appeal.category.parent_id)
    return AnswerTemplate.objects.filter(categories, is_active=True, is_intermediate=intermediate)
