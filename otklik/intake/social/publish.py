"""Publishing answers under the original posts, once.

The record is marked "being sent" and committed before the network is called, and settled after.
A try that may have reached the network (a crash, a timeout) is followed by reading the post's
comments back for the record's marker before anything is sent again; where the network cannot be
read back (a Telegram bot), the record waits for a person instead of risking a second reply.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.utils import timezone

from otklik.intake.social import selectors, services
from otklik.intake.social.connectors import connector_for
from otklik.intake.social.fetch import spec_of
from otklik.intake.social.http import ConnectorError, RateLimited
from otklik.intake.social.models import AttemptState

log = logging.getLogger("otklik.social")
UNCERTAIN_CODES = {"unreachable", "http", "bad_answer"}


@dataclass
class PublishSummary:
    published: int = 0
    failed: int = 0


def publish_attempt(attempt_id: int, *, now: dt.datetime | None = None) -> str | None:
    """One try of one record; returns its state afterwards, or None when it was not due."""
    now = now or timezone.now()
    claim = services.attempt_claim(attempt_id=attempt_id, now=now)
    if claim is None:
        return None
    attempt = claim.attempt
    post = attempt.post
    connector = connector_for(post.network)
    spec = spec_of(post.source)
    if claim.verify_first:
        try:
            found = connector.find_reply(spec, post.thread, attempt.marker)
        except ConnectorError as problem:
            if problem.permanent:
                settled = services.attempt_settle(attempt_id=attempt.pk, now=now, unknown=True, uncertain=True,
                                                  error=problem.message)
                return settled.state
            settled = services.attempt_settle(attempt_id=attempt.pk, now=now, error=problem.message,
                                              retry_after=problem.retry_after, uncertain=True)
            return settled.state
        if found is not None:
            return services.attempt_settle(attempt_id=attempt.pk, now=now, reply=found).state
    try:
        reply = connector.reply(spec, post.thread, attempt.text)
    except RateLimited as limited:
        # The documented refusal: nothing was posted, so the next try may simply send.
        log.warning("social reply %s rate-limited: %s", attempt.pk, limited.message)
        return services.attempt_settle(attempt_id=attempt.pk, now=now, error=limited.message,
                                       retry_after=limited.retry_after).state
    except ConnectorError as problem:
        log.warning("social reply %s failed: %s", attempt.pk, problem.message)
        return services.attempt_settle(attempt_id=attempt.pk, now=now, error=problem.message,
                                       retry_after=problem.retry_after, permanent=problem.permanent,
                                       uncertain=problem.code in UNCERTAIN_CODES).state
    return services.attempt_settle(attempt_id=attempt.pk, now=now, reply=reply).state


def publish_due(*, now: dt.datetime | None = None) -> PublishSummary:
    now = now or timezone.now()
    for appeal_id in selectors.appeals_to_plan(now=now):
        services.replies_plan(appeal_id=appeal_id, now=now)
    summary = PublishSummary()
    for attempt_id in selectors.due_attempt_ids(now=now):
        state = publish_attempt(attempt_id, now=now)
        if state == AttemptState.SENT:
            summary.published += 1
        elif state is not None:
            summary.failed += 1
    return summary
