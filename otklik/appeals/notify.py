"""Who hears about what happens to an appeal, and in which words.

Applicants are told at every stage (the acts require it); staff are told of new work. A notice is
keyed by the event and the recipient, so it is never created twice.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from otklik.accounts.models import Membership, Role, User
from otklik.appeals.models import Appeal, AppealEvent
from otklik.notifications.services import batch_memo, batch_memoised, notice_batch, notice_create, notice_texts


def batch(memo: dict[Any, Any] | None = None) -> AbstractContextManager[None]:
    """Notices of many appeals at once (the sweeper's batches): the officials and role holders are read
    once for the batch (or for all batches sharing ``memo``), the notices written together when it ends
    (notifications.services.notice_batch)."""
    return notice_batch(memo)


def _fmt_date(value: Any) -> str:
    if value is None:
        return "—"
    if hasattr(value, "tzinfo"):
        value = timezone.localtime(value)
    return str(value.strftime("%d.%m.%Y"))


def applicant_link(appeal: Appeal) -> str:
    """The tracking link with the applicant's secret: it goes to the applicant's own address only."""
    return f"{settings.SITE_URL}/track/{appeal.number}/?key={appeal.access_token}"


def staff_link(appeal: Appeal) -> str:
    """The appeal card in the workspace; it opens only for staff who may see the appeal."""
    return f"{settings.SITE_URL}/workspace/appeals/{appeal.pk}/"


# Kinds addressed to staff. Their texts link to the workspace, never to the tracking page: the
# applicant's secret lets whoever holds it act in the applicant's name (rate, close).
STAFF_KINDS = frozenset({"new_appeal", "reconsideration_staff", "postponement_proposed", "postponement_declined",
                         "significant", "resolution_overdue", "assigned", "rework", "approval_requested",
                         "returned_to_moderation", "approaching", "overdue", "stage_overdue", "needs_executor",
                         "applicant_comment"})


def _texts(kind: str, appeal: Appeal, reason: str = "") -> tuple[str, str]:
    """Subject and body of a notice of ``kind``; ``reason`` is the event's, where the text gives it."""
    link = staff_link(appeal) if kind in STAFF_KINDS else applicant_link(appeal)
    values = {
        "number": appeal.number,
        "due": _fmt_date(appeal.due_at),
        "until": _fmt_date(appeal.postponed_until),
        "organization": str(appeal.organization or "—"),
        "answer": appeal.answer_text,
        "intermediate": appeal.intermediate_text,
        "reason": reason,
        "proposed": _fmt_date(appeal.proposed_until),
        "resolution": _fmt_date(appeal.resolution_on),
        "link": link,
    }
    if kind == "needs_executor":
        from otklik.registry.selectors import region_settings

        values["percent"] = batch_memoised(("percent",), lambda: str(region_settings().postponed_executor_percent))
    # The region's own wording (notifications.NoticeTemplate, edited in the admin) wins over the built-in one.
    custom = notice_texts(kind, values)
    if custom is not None:
        return custom
    subject, body = _builtin_texts(get_language())[kind]
    return subject % values, body % values


@functools.cache
def _builtin_texts(language: str | None) -> dict[str, tuple[str, str]]:
    """The built-in texts in the active ``language``, translated once per process (a sweep formats
    thousands of notices; translating every text for each of them was a third of its time)."""
    templates: dict[str, tuple[str, str]] = {
        "registered": (_("Your message %(number)s is registered"),
                       _("Your message is registered under number %(number)s. The answer is due by %(due)s.\n"
                         "Follow it here: %(link)s")),
        "routed": (_("Message %(number)s sent to the organisation"),
                   _("Your message %(number)s was sent to: %(organization)s. The answer is due by %(due)s.\n%(link)s")),
        "redirected": (_("Message %(number)s forwarded"),
                       _("Your message %(number)s was forwarded by competence to: %(organization)s.\n%(link)s")),
        "rejected": (_("Message %(number)s not accepted"),
                     _("Your message %(number)s was not accepted for consideration.\n%(link)s")),
        "intermediate": (_("Intermediate answer to %(number)s"),
                         _("Intermediate answer to your message %(number)s:\n\n%(intermediate)s\n\n%(link)s")),
        "postponed": (_("Answer to %(number)s postponed"),
                      _("The answer to your message %(number)s is postponed until %(until)s.\n%(link)s")),
        "extended": (_("Term for %(number)s extended"),
                     _("The term for answering your appeal %(number)s is extended until %(due)s.\n%(link)s")),
        "answered": (_("Answer to your message %(number)s"),
                     _("Answer to your message %(number)s:\n\n%(answer)s\n\n"
                       "Please rate the answer: %(link)s")),
        "reconsideration": (_("Message %(number)s is reconsidered"),
                            _("Message %(number)s is being considered again. The new answer is due by %(due)s.\n"
                              "%(link)s")),
        "left_without_answer": (_("Appeal %(number)s left without an answer"),
                                _("Your appeal %(number)s is left without an answer on the grounds of Art. 11 of "
                                  "59-FZ: %(reason)s.\n%(link)s")),
        "transferred": (_("Appeal %(number)s forwarded"),
                        _("Your appeal %(number)s was forwarded to the competent body.\n%(link)s")),
        "new_appeal": (_("New appeal %(number)s in your organisation"),
                       _("Appeal %(number)s came to %(organization)s. The answer is due by %(due)s.\n%(link)s")),
        "reconsideration_staff": (_("Appeal %(number)s is reconsidered"),
                                  _("The applicant is not satisfied with the answer to appeal %(number)s; it is "
                                    "considered again. The new answer is due by %(due)s.\n%(link)s")),
        "postponement_proposed": (_("Postponement of %(number)s proposed"),
                                  _("The executor proposes to postpone the answer to appeal %(number)s until "
                                    "%(proposed)s. Confirm or decline it.\n%(link)s")),
        "postponement_declined": (_("Postponement of %(number)s declined"),
                                  _("The proposed postponement of appeal %(number)s was declined. The answer is due "
                                    "by %(due)s.\n%(link)s")),
        "significant": (_("Appeal %(number)s is socially significant"),
                        _("Appeal %(number)s (%(organization)s) was marked as socially significant.\n%(link)s")),
        "resolution_overdue": (_("Promised work on %(number)s is overdue"),
                               _("The answer to appeal %(number)s promised the problem solved by %(resolution)s; "
                                 "it is not recorded as solved.\n%(link)s")),
        "resolved": (_("Problem of your message %(number)s solved"),
                     _("The problem of your message %(number)s is recorded as solved.\n%(link)s")),
        "assigned": (_("New appeal %(number)s"), _("You are the executor of appeal %(number)s, due by %(due)s.")),
        "rework": (_("Answer to %(number)s returned for rework"),
                   _("The head returned your answer to appeal %(number)s for rework. What to fix: %(reason)s\n"
                     "%(link)s")),
        "approval_requested": (_("Answer to %(number)s awaits approval"),
                               _("The answer to appeal %(number)s awaits your approval.")),
        "returned_to_moderation": (_("Appeal %(number)s returned to moderation"),
                                   _("Appeal %(number)s was returned as not the organisation's competence.")),
        "approaching": (_("Deadline of %(number)s approaching"),
                        _("The answer to appeal %(number)s is due by %(due)s.")),
        "overdue": (_("Appeal %(number)s is overdue"), _("The answer to appeal %(number)s was due by %(due)s.")),
        "stage_overdue": (_("Stage of %(number)s is overdue"),
                          _("The current stage of appeal %(number)s has run past its deadline.")),
        "applicant_comment": (_("The applicant added to %(number)s"),
                              _("The applicant added to appeal %(number)s:\n\n%(reason)s\n\nThe card: %(link)s")),
        "needs_executor": (_("Postponed appeal %(number)s needs an executor"),
                           _("No more than %(percent)s %% of the postponed term of appeal %(number)s remains: "
                             "assign an executor.")),
    }
    return templates


def applicant(appeal: Appeal, event: AppealEvent, kind: str) -> None:
    email = appeal.applicant_email or (appeal.applicant.email if appeal.applicant else "")
    if not email:
        return
    subject, body = _texts(kind, appeal, event.reason)
    # Webhooks serve the region's own systems (staff side): their copy links to the workspace.
    webhook_body = body.replace(applicant_link(appeal), staff_link(appeal))
    notice_create(kind=kind, dedupe=f"event:{event.pk}:{kind}", subject=subject, body=body, appeal_id=appeal.pk,
                  email=email, webhook_body=webhook_body)


def staff(appeal: Appeal, event: AppealEvent | None, kind: str, user_ids: Iterable[int | None],
          dedupe: str | None = None) -> None:
    assert kind in STAFF_KINDS, kind
    subject, body = _texts(kind, appeal, event.reason if event else "")
    key = dedupe or f"event:{event.pk if event else 0}:{kind}"
    for user in _active_users([uid for uid in user_ids if uid]):
        notice_create(kind=kind, dedupe=key, subject=subject, body=body, appeal_id=appeal.pk, recipient=user)


def _active_users(ids: list[int]) -> list[User]:
    memo = batch_memo()
    if memo is None:
        return list(User.objects.filter(pk__in=ids, is_active=True))
    # In a batch (the sweeper's), each official is read once for all the batch's notices.
    missing = [uid for uid in dict.fromkeys(ids) if ("user", uid) not in memo]
    if missing:
        found = {user.pk: user for user in User.objects.filter(pk__in=missing, is_active=True)}
        for uid in missing:
            memo["user", uid] = found.get(uid)
    return [user for uid in dict.fromkeys(ids) if (user := memo["user", uid]) is not None]


def _role_holders(organization_id: int | None, role: str) -> list[int]:
    if organization_id is None:
        return []
    return batch_memoised(("role", organization_id, role), lambda: list(
        Membership.objects.filter(organization_id=organization_id, role=role).values_list("user_id", flat=True)
    ))


def organization_coordinators(appeal: Appeal, event: AppealEvent | None, kind: str, dedupe: str | None = None) -> None:
    staff(appeal, event, kind, _role_holders(appeal.organization_id, Role.COORDINATOR), dedupe=dedupe)


def organization_role(appeal: Appeal, event: AppealEvent | None, kind: str, role: str,
                      dedupe: str | None = None) -> None:
    staff(appeal, event, kind, _role_holders(appeal.organization_id, role), dedupe=dedupe)


def regional_coordinators(appeal: Appeal, event: AppealEvent | None, kind: str) -> None:
    ids = Membership.objects.filter(role=Role.REGIONAL_COORDINATOR).values_list("user_id", flat=True)
    staff(appeal, event, kind, list(ids))


def organization_heads(appeal: Appeal, event: AppealEvent | None, kind: str) -> None:
    staff(appeal, event, kind, _role_holders(appeal.organization_id, Role.HEAD))


def moderators(appeal: Appeal, event: AppealEvent | None, kind: str, dedupe: str | None = None) -> None:
    ids = batch_memoised(("role", None, Role.MODERATOR), lambda: list(
        Membership.objects.filter(role=Role.MODERATOR).values_list("user_id", flat=True)))
    staff(appeal, event, kind, ids, dedupe=dedupe)
