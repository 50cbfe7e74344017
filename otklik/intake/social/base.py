"""What every connector gives the pipeline, whatever its network."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from otklik.intake.social.http import ConnectorError


@dataclass
class Item:
    """One post or comment as the network gave it."""

    external_id: str
    text: str
    posted_at: dt.datetime
    raw: dict[str, Any]
    url: str = ""
    author: str = ""
    author_id: str = ""
    # Where a reply goes (owner and post, chat and message, topic): the connector reads it back.
    thread: dict[str, Any] = field(default_factory=dict)


@dataclass
class Page:
    """A page of items and the position to store once they are stored; None keeps the old one
    (newest-first paging may only move the position after its last page)."""

    items: list[Item]
    cursor: dict[str, Any] | None


@dataclass
class Reply:
    reply_id: str
    url: str = ""


@dataclass(frozen=True)
class SourceSpec:
    """The part of a source a connector needs; built from the row so connectors import no models."""

    network: str
    kind: str
    target: str
    base_url: str
    token: str


class Connector(Protocol):
    def pages(self, source: SourceSpec, cursor: dict[str, Any]) -> Iterator[Page]: ...

    def reply(self, source: SourceSpec, thread: dict[str, Any], text: str) -> Reply: ...

    def latest_post_at(self, source: SourceSpec) -> dt.datetime | None:
        """When the page last posted (official accounts' silence)."""
        ...

    def find_reply(self, source: SourceSpec, thread: dict[str, Any], marker: str) -> Reply | None:
        """The reply already under the post that carries ``marker``, or None: how an interrupted
        publication is settled without posting twice. Raises ConnectorError when it cannot tell."""
        ...


class ReadOnly(ConnectorError):
    def __init__(self) -> None:
        super().__init__("this source cannot be answered", permanent=True, code="read_only")


def from_unix(seconds: float | int | str) -> dt.datetime:
    return dt.datetime.fromtimestamp(float(seconds), tz=dt.UTC)
