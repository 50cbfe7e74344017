"""A news site's RSS 2.0, Atom or JSON Feed (https://www.jsonfeed.org/version/1.1/), read-only.

The position is the feed's validators (ETag, Last-Modified: a 304 answer costs nothing) and the
ids of entries seen are kept by the posts themselves (each is stored once).
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
from collections.abc import Iterator
from typing import Any

import feedparser
from django.utils import timezone

from otklik.intake.social.base import Item, Page, ReadOnly, Reply, SourceSpec
from otklik.intake.social.http import ConnectorError, Http, RateLimited, Retry, decode_json, retry_after_header


def _check(status: int, headers: dict[str, str], data: bytes) -> Any:
    if status == 304:
        return status, headers, b""
    if status == 429 or status == 503:
        wait = retry_after_header(headers) or 60.0
        raise Retry(RateLimited(f"the feed answered HTTP {status}", retry_after=wait, code=str(status)), wait)
    if status >= 500:
        raise Retry(ConnectorError(f"the feed answered HTTP {status}", code="http"), 1.0)
    if status != 200:
        raise ConnectorError(f"the feed answered HTTP {status}", permanent=status in (404, 410), code="http")
    return status, headers, data


class Feed:
    def __init__(self, http: Http | None = None) -> None:
        self.http = http

    def pages(self, source: SourceSpec, cursor: dict[str, Any]) -> Iterator[Page]:
        url = source.target if source.target.startswith(("http://", "https://")) else source.base_url
        headers = {"Accept": "application/feed+json, application/atom+xml, application/rss+xml, */*"}
        if cursor.get("etag"):
            headers["If-None-Match"] = str(cursor["etag"])
        if cursor.get("modified"):
            headers["If-Modified-Since"] = str(cursor["modified"])
        http = self.http or Http(secrets=[source.token], min_interval=1.0)
        status, got, data = http.call("GET", url, headers=headers, check=_check)
        if status == 304:
            return
        lowered = {k.lower(): v for k, v in got.items()}
        position = {key: lowered[h] for key, h in (("etag", "etag"), ("modified", "last-modified")) if h in lowered}
        kind = lowered.get("content-type", "")
        if "json" in kind or data.lstrip()[:1] == b"{":
            items = _json_items(decode_json(data), url)
        else:
            items = _xml_items(data, url)
        yield Page(items, position)

    def latest_post_at(self, source: SourceSpec) -> dt.datetime | None:
        items = [item for page in self.pages(source, {}) for item in page.items]
        return max((item.posted_at for item in items), default=None)

    def reply(self, source: SourceSpec, thread: dict[str, Any], text: str) -> Reply:
        raise ReadOnly()

    def find_reply(self, source: SourceSpec, thread: dict[str, Any], marker: str) -> Reply | None:
        raise ReadOnly()


def _entry_id(feed_url: str, entry_id: str, link: str, text: str) -> str:
    key = entry_id or link or text
    return hashlib.sha256(f"{feed_url}\n{key}".encode()).hexdigest()[:40]


def _xml_items(data: bytes, url: str) -> list[Item]:
    parsed = feedparser.parse(data)
    if parsed.get("bozo") and not parsed.get("entries"):
        raise ConnectorError(f"the feed cannot be read: {parsed.get('bozo_exception')}", code="bad_answer")
    items = []
    for entry in parsed.entries:
        text = "\n".join(part for part in (entry.get("title", ""), entry.get("summary", "")) if part)
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        posted = dt.datetime.fromtimestamp(calendar.timegm(stamp), tz=dt.UTC) if stamp else timezone.now()
        link = entry.get("link", "")
        raw = {key: entry.get(key) for key in ("id", "title", "link", "summary", "published", "updated", "author")}
        items.append(Item(external_id=_entry_id(url, entry.get("id", ""), link, text), text=text, posted_at=posted,
                          raw=raw, url=link, author=entry.get("author", ""), thread={}))
    return items


def _json_items(feed: Any, url: str) -> list[Item]:
    if not isinstance(feed, dict) or not str(feed.get("version", "")).startswith("https://jsonfeed.org/version/"):
        raise ConnectorError("not a JSON Feed", code="bad_answer")
    items = []
    for entry in feed.get("items") or []:
        body = entry.get("content_text") or entry.get("summary", "")
        text = "\n".join(p for p in (entry.get("title", ""), body) if p)
        if not text and entry.get("content_html"):
            text = str(entry["content_html"])
        when = entry.get("date_published") or entry.get("date_modified")
        try:
            posted = dt.datetime.fromisoformat(when) if when else timezone.now()
        except ValueError:
            posted = timezone.now()
        authors = entry.get("authors") or ([entry["author"]] if entry.get("author") else [])
        author = str((authors[0] or {}).get("name", "")) if authors else ""
        link = str(entry.get("url", ""))
        items.append(Item(external_id=_entry_id(url, str(entry.get("id", "")), link, text), text=text,
                          posted_at=posted, raw=entry, url=link, author=author, thread={}))
    return items
