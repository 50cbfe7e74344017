"""Bulk actions of coordinators and moderators: one service call per appeal, each in its own
transaction, so one refused appeal does not undo the others and every row gets its own result."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.appeals import selectors, services
from otklik.appeals.lifecycle import Action
from otklik.registry.models import Organization


@dataclass(frozen=True)
class RowResult:
    appeal_id: int
    number: str
    ok: bool
    message: str


def run(user: User, action: str, ids: list[int], *, executor: User | None = None,
        organization: Organization | None = None, reason: str = "") -> list[RowResult]:
    # Visibility first: an id the user may not see is reported as not found, never acted on.
    numbers = dict(selectors.visible_appeals(user).filter(pk__in=ids).values_list("pk", "number"))
    results = []
    for appeal_id in dict.fromkeys(ids):
        number = numbers.get(appeal_id)
        if number is None:
            results.append(RowResult(appeal_id, "—", False, _("Appeal not found.")))
            continue
        try:
            if action == Action.ASSIGN and executor is not None:
                services.appeal_assign(appeal_id=appeal_id, user=user, executor_id=executor.pk)
                done = _("Executor assigned: %(name)s.") % {"name": executor.display_name}
            elif action == Action.ROUTE and organization is not None:
                services.appeal_route(appeal_id=appeal_id, user=user, organization_id=organization.pk)
                done = _("Routed to: %(name)s.") % {"name": organization}
            elif action == Action.REDIRECT and organization is not None:
                services.appeal_redirect(appeal_id=appeal_id, user=user, organization_id=organization.pk,
                                         reason=reason)
                done = _("Redirected to: %(name)s.") % {"name": organization}
            else:
                results.append(RowResult(appeal_id, number, False, _("This action cannot be done in bulk.")))
                continue
        except services.AppealError as error:
            results.append(RowResult(appeal_id, number, False, error.message))
        else:
            results.append(RowResult(appeal_id, number, True, done))
    return results
