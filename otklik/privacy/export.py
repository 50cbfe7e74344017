"""Everything the platform holds about one citizen, as JSON, for a request of the person (152-FZ art. 14):
their account, appeals (with texts, answers, files and what happened to them), the appeals they joined,
the notices sent to them, and their part in discussions, votes and polls (never how they voted: ballots
carry no person). Found by the account and by the e-mail address, so that appeals sent without an
account count too."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from otklik.accounts.models import User
from otklik.appeals.lifecycle import APPLICANT
from otklik.appeals.models import Appeal, PersonalDataAccess
from otklik.intake.models import Attachment, Follower
from otklik.notifications.models import Notice
from otklik.participation.models import CitizenProfile, Comment, Participation
from otklik.portal.models import CitizenIdentity

FORMAT_VERSION = 1


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else value


def _appeal(appeal: Appeal) -> dict[str, Any]:
    return {
        "number": appeal.number, "regime": appeal.regime, "channel": appeal.channel, "state": appeal.state,
        "received_at": _iso(appeal.received_at), "answered_at": _iso(appeal.answered_at),
        "closed_at": _iso(appeal.closed_at), "category": str(appeal.category) if appeal.category_id else None,
        "organization": str(appeal.organization) if appeal.organization_id else None,
        "applicant": {"name": appeal.applicant_name, "email": appeal.applicant_email,
                      "phone": appeal.applicant_phone, "postal_address": appeal.applicant_address},
        "text": appeal.text, "address": appeal.address, "latitude": appeal.latitude,
        "longitude": appeal.longitude, "answer": appeal.answer_text,
        "intermediate_answer": appeal.intermediate_text, "rating": appeal.rating,
        "rating_comment": appeal.rating_comment,
        "files": [{"name": a.original_name, "kind": a.kind, "size": a.size, "url": a.url or None}
                  for a in Attachment.objects.filter(appeal=appeal).order_by("id")],
        # What the person did carries what they wrote (a comment, a rating's comment); officials' steps only
        # say what happened and when.
        "history": [{"at": _iso(e.at), "action": e.action, "state": e.to_state,
                     **({"details": e.payload} if e.role == APPLICANT else {})}
                    for e in appeal.events.order_by("at", "id")],
        # Who of the officials opened the person's data: the person has the right to know (art. 14 §7).
        "opened_by": [{"at": _iso(a.at), "organisation_role": a.role, "where": a.where}
                      for a in PersonalDataAccess.objects.filter(appeal=appeal).order_by("at", "id")],
    }


def person_data(*, email: str = "", user_id: int | None = None) -> dict[str, Any]:
    """The JSON document about one person (by the account, the e-mail, or both)."""
    user = User.objects.filter(pk=user_id).first() if user_id else None
    if user is None and email:
        user = User.objects.filter(email__iexact=email).order_by("id").first()
    emails = {e.lower() for e in (email, user.email if user else "") if e}
    if user is None and not emails:
        raise ValueError("an e-mail address or an account is needed")
    mine = Q(pk__in=[])
    for address in sorted(emails):
        mine |= Q(applicant_email__iexact=address)
    if user is not None:
        mine |= Q(applicant=user)
    appeals = Appeal.objects.filter(mine).select_related("category", "organization").order_by("received_at", "id")
    followed = Q(email__in=sorted(emails)) | (Q(user=user) if user else Q(pk__in=[]))
    noticed = Q(email__in=sorted(emails)) | (Q(recipient=user) if user else Q(pk__in=[]))
    document: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "query": {"email": email or None, "user_id": user_id},
        "account": None,
        "appeals": [_appeal(a) for a in appeals],
        "followed_appeals": [{"number": f.appeal.number, "email": f.email, "since": _iso(f.created_at)}
                             for f in Follower.objects.filter(followed).select_related("appeal").order_by("id")],
        "notices": [{"at": _iso(n.created_at), "kind": n.kind, "channel": n.channel, "subject": n.subject,
                     "email": n.email, "appeal": n.appeal.number if n.appeal_id and n.appeal else None}
                    for n in Notice.objects.filter(noticed).select_related("appeal").order_by("id")],
        "participation": {},
    }
    if user is not None:
        profile = CitizenProfile.objects.filter(person=user).first()
        document["account"] = {
            "id": user.pk, "login": user.username, "surname": user.last_name, "name": user.first_name,
            "patronymic": user.patronymic, "email": user.email, "phone": user.phone,
            "joined": _iso(user.date_joined), "last_sign_in": _iso(user.last_login), "active": user.is_active,
            "identities": [{"provider": i.issuer, "subject": i.subject}
                           for i in CitizenIdentity.objects.filter(user=user).order_by("id")],
        }
        document["participation"] = {
            "profile": {"territory": str(profile.territory) if profile and profile.territory_id else None,
                        "birth_year": profile.birth_year if profile else None},
            "comments": [{"at": _iso(c.created_at), "text": c.text, "status": c.status, "answer": c.answer}
                         for c in Comment.objects.filter(author=user).order_by("id")],
            # That the person took part, and on which day; how they voted is not tied to them.
            "took_part": [{"event": str(p.event), "on": _iso(p.on)}
                          for p in Participation.objects.filter(person=user).select_related("event")],
        }
    return document
