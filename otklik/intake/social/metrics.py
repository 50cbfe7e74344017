"""Figures of the social intake for dashboards and the quarterly report (seed 003 §1.1, domain.md §3.2):
posts found, accepted, rejected; time to the first reply and to the final answer; share answered and share
answered on time — by network, organisation, category or territory, over posts found in a period."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

from otklik.appeals.lifecycle import Action
from otklik.appeals.models import AppealEvent
from otklik.intake.social.models import AnswerKind, AttemptState, Post, PostState, PublishAttempt

GROUPINGS = ("network", "organization", "category", "territory")


@dataclass
class Figures:
    key: str
    found: int = 0
    accepted: int = 0
    rejected: int = 0
    answered: int = 0
    on_time: int = 0
    first_reply_hours: list[float] = field(default_factory=list)
    final_answer_hours: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        def median(values: list[float]) -> float | None:
            return round(statistics.median(values), 2) if values else None

        return {"key": self.key, "found": self.found, "accepted": self.accepted, "rejected": self.rejected,
                "answered": self.answered,
                "share_answered": round(self.answered / self.accepted, 3) if self.accepted else None,
                "share_on_time": round(self.on_time / self.answered, 3) if self.answered else None,
                "median_hours_to_first_reply": median(self.first_reply_hours),
                "median_hours_to_final_answer": median(self.final_answer_hours)}


def _key(post: Post, by: str) -> str:
    appeal = post.appeal
    if by == "network":
        return post.network
    if by == "organization":
        org = appeal.organization if appeal else post.suggested_organization
        return org.name if org else ""
    if by == "category":
        category = appeal.category if appeal else post.suggested_category
        return category.name if category else ""
    territory = appeal.territory if appeal else post.suggested_territory
    return territory.name if territory else ""


def social_metrics(*, start: dt.datetime, end: dt.datetime, by: str = "network") -> list[dict[str, object]]:
    if by not in GROUPINGS:
        raise ValueError(by)
    posts = list(Post.objects.filter(fetched_at__gte=start, fetched_at__lt=end)
                 .exclude(state=PostState.DUPLICATE)
                 .select_related("appeal__organization", "appeal__category", "appeal__territory",
                                 "suggested_organization", "suggested_category", "suggested_territory"))
    appeal_ids = [p.appeal_id for p in posts if p.appeal_id]
    replies: dict[int, list[PublishAttempt]] = {}
    for attempt in PublishAttempt.objects.filter(appeal_id__in=appeal_ids, state=AttemptState.SENT).order_by(
            "sent_at"):
        replies.setdefault(attempt.appeal_id, []).append(attempt)
    on_time: dict[int, bool] = {}
    for appeal_id, payload in AppealEvent.objects.filter(appeal_id__in=appeal_ids, action=Action.PUBLISH).order_by(
            "at").values_list("appeal_id", "payload"):
        on_time[appeal_id] = bool((payload or {}).get("on_time"))
    groups: dict[str, Figures] = {}
    for post in posts:
        figures = groups.setdefault(_key(post, by), Figures(key=_key(post, by)))
        figures.found += 1
        figures.rejected += post.state == PostState.REJECTED
        if post.appeal is None:
            continue
        figures.accepted += 1
        sent = replies.get(post.appeal.pk, [])
        if sent and sent[0].sent_at:
            figures.first_reply_hours.append((sent[0].sent_at - post.fetched_at).total_seconds() / 3600)
        if post.appeal.answered_at is not None:
            figures.answered += 1
            figures.on_time += on_time.get(post.appeal.pk, False)
            final = next((a for a in sent if a.answer == AnswerKind.FINAL and a.sent_at), None)
            moment = final.sent_at if final and final.sent_at else post.appeal.answered_at
            figures.final_answer_hours.append((moment - post.fetched_at).total_seconds() / 3600)
    return [groups[key].as_dict() for key in sorted(groups)]
