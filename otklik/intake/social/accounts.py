"""Official accounts: when each last posted, and which are silent longer than the region allows."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.utils import timezone

from otklik.intake.social import services
from otklik.intake.social.base import SourceSpec
from otklik.intake.social.connectors import connector_for
from otklik.intake.social.http import ConnectorError
from otklik.intake.social.models import OfficialAccount

log = logging.getLogger("otklik.social")


@dataclass
class CheckSummary:
    checked: int = 0
    errors: int = 0


def check_accounts(*, now: dt.datetime | None = None) -> CheckSummary:
    now = now or timezone.now()
    summary = CheckSummary()
    for account in OfficialAccount.objects.filter(is_active=True).order_by("pk"):
        spec = SourceSpec(network=account.network, kind="wall", target=account.target, base_url=account.base_url,
                          token=account.token)
        try:
            latest = connector_for(account.network).latest_post_at(spec)
        except ConnectorError as problem:
            summary.errors += 1
            log.warning("official account %s not checked: %s", account.pk, problem.message)
            services.account_checked(account=account, now=now, error=problem.message)
            continue
        summary.checked += 1
        services.account_checked(account=account, now=now, latest=latest)
    return summary
