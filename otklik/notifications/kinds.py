"""Kinds of notices in people's words: the admin lists and the notice-template form show these, not
the codes (appeals/notify.py and portal/services.py use the codes)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

KIND_LABELS = {
    "registered": _("to the applicant: message registered"),
    "routed": _("to the applicant: sent to the organisation"),
    "redirected": _("to the applicant: redirected to another organisation"),
    "rejected": _("to the applicant: not accepted for consideration"),
    "intermediate": _("to the applicant: intermediate answer"),
    "postponed": _("to the applicant: answer postponed"),
    "extended": _("to the applicant: term extended"),
    "answered": _("to the applicant: the answer"),
    "reconsideration": _("to the applicant: considered again"),
    "left_without_answer": _("to the applicant: left without an answer"),
    "transferred": _("to the applicant: forwarded to the competent body"),
    "resolved": _("to the applicant: the problem is solved"),
    "duplicate_answered": _("to the applicant of a merged duplicate: the answer to the main message"),
    "signup_confirm": _("to a citizen: confirm the sign-up"),
    "new_appeal": _("to the organisation: a new appeal"),
    "reconsideration_staff": _("to the organisation: the applicant is not satisfied"),
    "postponement_proposed": _("to the coordinator: a postponement is proposed"),
    "postponement_declined": _("to the executor: the postponement is declined"),
    "significant": _("to the head: a socially significant appeal"),
    "resolution_overdue": _("to the organisation: the promised solution is late"),
    "assigned": _("to the executor: an appeal is assigned"),
    "rework": _("to the executor: the answer is returned for rework"),
    "approval_requested": _("to the head: an answer awaits approval"),
    "returned_to_moderation": _("to the moderator: returned as not our competence"),
    "approaching": _("to staff: the deadline is near"),
    "overdue": _("to staff: the deadline has passed"),
    "stage_overdue": _("to staff: a stage is late"),
    "needs_executor": _("to the coordinator: a postponed appeal needs an executor"),
    "applicant_comment": _("to the executor: the applicant added a comment or a photo"),
    "participation_new": _("to citizens of the territory: a new discussion, vote or poll"),
    "participation_results": _("to participants: the results are published"),
    "participation_late": _("to the authorised person: a discussion, vote or poll is late"),
    "escalation": _("to the regional coordinator and the named roles: an escalation and its report"),
}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def kind_choices() -> list[tuple[str, str]]:
    return sorted(((code, str(label)) for code, label in KIND_LABELS.items()), key=lambda item: item[1])
