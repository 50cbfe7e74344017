"""One fetch of a source: its connector's pages, each stored with the position it reached."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass

from django.utils import timezone

from otklik.intake.social import selectors, services
from otklik.intake.social.base import SourceSpec
from otklik.intake.social.connectors import connector_for
from otklik.intake.social.http import ConnectorError, RateLimited
from otklik.intake.social.models import Source
from otklik.intake.social.pipeline import Pipeline, Recent

log = logging.getLogger("otklik.social")


@dataclass
class FetchSummary:
    sources: int = 0
    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    errors: int = 0

    def add(self, other: FetchSummary) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)


def spec_of(source: Source) -> SourceSpec:
    return SourceSpec(network=source.network, kind=source.kind, target=source.target, base_url=source.base_url,
                      token=source.token)


def fetch_source(source: Source, *, pipeline: Pipeline | None = None, recent: Recent | None = None,
                 now: dt.datetime | None = None) -> FetchSummary:
    now = now or timezone.now()
    pipeline = pipeline or Pipeline()
    recent = recent if recent is not None else selectors.recent_fingerprints(now=now)
    if not services.source_claim(source=source, now=now):
        log.info("social source %s is being fetched by another worker", source.pk)
        return FetchSummary()
    summary = FetchSummary(sources=1)
    connector = connector_for(source.network)
    try:
        for page in connector.pages(spec_of(source), dict(source.cursor or {})):
            stored = services.posts_store(source=source, items=page.items, cursor=page.cursor, pipeline=pipeline,
                                          recent=recent, now=now)
            summary.fetched += len(page.items)
            summary.new += stored.new
            summary.duplicates += stored.duplicates
    except RateLimited as limited:
        summary.errors += 1
        pause = dt.timedelta(seconds=limited.retry_after or 60)
        log.warning("social source %s rate-limited for %ss: %s", source.pk, int(pause.total_seconds()),
                    limited.message)
        services.source_record_run(source=source, now=now, error=limited.message, paused_until=now + pause)
        return summary
    except ConnectorError as problem:
        summary.errors += 1
        log.warning("social source %s failed: %s", source.pk, problem.message)
        services.source_record_run(source=source, now=now, error=problem.message)
        return summary
    except Exception:
        services.source_record_run(source=source, now=now, error="internal error")  # frees the lease
        raise
    services.source_record_run(source=source, now=now)
    return summary


def fetch_all(*, now: dt.datetime | None = None, only_due: bool = False) -> FetchSummary:
    now = now or timezone.now()
    total = FetchSummary()
    pipeline = Pipeline()
    recent = selectors.recent_fingerprints(now=now)
    for source in selectors.active_sources(now=now, only_due=only_due):
        total.add(fetch_source(source, pipeline=pipeline, recent=recent, now=now))
    return total
