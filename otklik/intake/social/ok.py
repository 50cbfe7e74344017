"""Odnoklassniki REST API (https://apiok.ru/dev/methods/rest/): group topics, their comments, a reply.

Every call is one signed request to ``fb.do`` with ``method``, ``application_key``, ``format=json`` and
``access_token``: ``sig = md5(sorted "key=value" pairs without access_token + md5(access_token +
application_secret_key))``, lower-case hex. A source's token holds
``application_key:application_secret_key:access_token``. Errors are ``{"error_code", "error_msg"}``;
8 (FLOOD_BLOCKED) and 11 (LIMIT_REACHED) pause the source, 2 (SERVICE) is asked again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from typing import Any

from django.utils import timezone

from otklik.intake.social.base import Item, Page, Reply, SourceSpec, from_unix
from otklik.intake.social.http import ConnectorError, Http, RateLimited, Retry, decode_json

SERVICE = 2
FLOOD_BLOCKED = 8
LIMIT_REACHED = 11
PERMANENT = {3, 10, 100, 102, 103, 104, 300}
PAGE = 50
COMMENTED_TOPICS = 20
MAX_PAGES = 20
# The method that adds a comment to a discussion; named once so a region can follow an API change.
REPLY_METHOD = "discussions.comment"


def credentials(token: str) -> tuple[str, str, str]:
    parts = token.split(":", 2)
    if len(parts) != 3 or not all(parts):
        raise ConnectorError("an OK token is application_key:application_secret_key:access_token",
                             permanent=True, code="token")
    return parts[0], parts[1], parts[2]


def signature(params: dict[str, str], access_token: str, secret_key: str) -> str:
    session_secret = hashlib.md5((access_token + secret_key).encode()).hexdigest()
    signed = "".join(f"{key}={params[key]}" for key in sorted(params) if key not in ("access_token", "session_key"))
    return hashlib.md5((signed + session_secret).encode()).hexdigest()


def _check(status: int, headers: dict[str, str], data: bytes) -> Any:
    if status >= 500:
        raise Retry(ConnectorError(f"OK answered HTTP {status}", code="http"), 1.0)
    if status != 200:
        raise ConnectorError(f"OK answered HTTP {status}", code="http")
    answer = decode_json(data)
    if isinstance(answer, dict) and "error_code" in answer:
        code = int(answer["error_code"])
        message = f"OK error {code}: {answer.get('error_msg', '')}"
        if code in (FLOOD_BLOCKED, LIMIT_REACHED):
            raise RateLimited(message, retry_after=600.0, code=str(code))
        if code == SERVICE:
            raise Retry(ConnectorError(message, code=str(code)), 2.0)
        raise ConnectorError(message, permanent=code in PERMANENT, code=str(code))
    return answer


class OK:
    def __init__(self, http: Http | None = None) -> None:
        self.http = http

    def call(self, source: SourceSpec, method: str, patient: bool = True, **params: Any) -> Any:
        app_key, secret_key, access_token = credentials(source.token)
        signed = {key: str(value) for key, value in params.items() if value is not None}
        signed.update(method=method, application_key=app_key, format="json")
        signed["sig"] = signature(signed, access_token, secret_key)
        signed["access_token"] = access_token
        http = self.http or Http(secrets=[access_token, secret_key, source.token], min_interval=0.2,
                                 max_inline_wait=5.0 if patient else 0.0)
        return http.call("POST", source.base_url, form=signed, check=_check)

    def pages(self, source: SourceSpec, cursor: dict[str, Any]) -> Iterator[Page]:
        if source.kind == "wall":
            yield from self._topics(source, cursor)
        elif source.kind == "comments":
            yield from self._comments(source, cursor)
        else:
            raise ConnectorError(f"OK has no source kind {source.kind}", permanent=True, code="kind")

    def _topics(self, source: SourceSpec, cursor: dict[str, Any]) -> Iterator[Page]:
        since = int(cursor.get("since_ms", 0))
        newest = since
        anchor: str | None = None
        for number in range(MAX_PAGES):
            got = self.call(source, "mediatopic.getTopics", gid=source.target, count=PAGE, anchor=anchor,
                            direction="FORWARD", fields="media_topic.*,user.name,group.name")
            topics = got.get("media_topics") or []
            names = _names(got)
            fresh = [t for t in topics if int(t.get("created_ms", 0)) > since]
            newest = max([newest, *(int(t.get("created_ms", 0)) for t in topics)])
            anchor = got.get("anchor")
            last = (not got.get("has_more") or not anchor or len(fresh) < len(topics)
                    or (not since and number == 0))
            yield Page([_topic_item(source.target, t, names) for t in fresh], {"since_ms": newest} if last else None)
            if last:
                return

    def _comments(self, source: SourceSpec, cursor: dict[str, Any]) -> Iterator[Page]:
        anchors: dict[str, str] = dict(cursor.get("anchors") or {})
        got = self.call(source, "mediatopic.getTopics", gid=source.target, count=COMMENTED_TOPICS)
        for topic in got.get("media_topics") or []:
            topic_id = str(topic["id"])
            for _page in range(MAX_PAGES):
                page = self.call(source, "discussions.getComments", discussionId=topic_id,
                                 discussionType="GROUP_TOPIC", count=PAGE, direction="FORWARD",
                                 anchor=anchors.get(topic_id))
                comments = page.get("comments") or []
                items = [_comment_item(source.target, topic_id, c) for c in comments
                         if c.get("text") and str(c.get("author_type", "")) != "GROUP"]
                if page.get("anchor"):
                    anchors[topic_id] = str(page["anchor"])
                yield Page(items, {"anchors": dict(anchors)})
                if not page.get("has_more") or not comments:
                    break

    def latest_post_at(self, source: SourceSpec) -> dt.datetime | None:
        got = self.call(source, "mediatopic.getTopics", gid=source.target, count=1)
        topics = got.get("media_topics") or []
        return from_unix(int(topics[0].get("created_ms", 0)) / 1000) if topics else None

    def reply(self, source: SourceSpec, thread: dict[str, Any], text: str) -> Reply:
        got = self.call(source, REPLY_METHOD, patient=False, discussionId=thread["topic_id"],
                        discussionType="GROUP_TOPIC", text=text,
                        reply_to_comment_id=thread.get("comment_id"), as_admin="true")
        comment_id = str(got.get("id") or got.get("comment_id") or got)
        return Reply(comment_id, _link(thread["group_id"], thread["topic_id"]))

    def find_reply(self, source: SourceSpec, thread: dict[str, Any], marker: str) -> Reply | None:
        anchor: str | None = None
        for _page in range(MAX_PAGES):
            page = self.call(source, "discussions.getComments", discussionId=thread["topic_id"],
                             discussionType="GROUP_TOPIC", count=PAGE, direction="FORWARD", anchor=anchor)
            for comment in page.get("comments") or []:
                if marker in (comment.get("text") or ""):
                    return Reply(str(comment["id"]), _link(thread["group_id"], thread["topic_id"]))
            anchor = page.get("anchor")
            if not page.get("has_more") or not anchor:
                return None
        raise ConnectorError("too many comments to read back", code="read_back")


def _link(group_id: str, topic_id: str) -> str:
    return f"https://ok.ru/group/{group_id}/topic/{topic_id}"


def _names(got: dict[str, Any]) -> dict[str, str]:
    entities = got.get("entities") or {}
    names = {str(u.get("uid") or u.get("id")): str(u.get("name", "")) for u in entities.get("users") or []}
    names.update({str(g.get("uid") or g.get("id")): str(g.get("name", "")) for g in entities.get("groups") or []})
    return names


def _topic_text(topic: dict[str, Any]) -> str:
    parts = [m.get("text", "") for m in topic.get("media") or [] if m.get("type") == "text"]
    return "\n".join(p for p in parts if p) or str(topic.get("text") or "")


def _topic_item(group_id: str, topic: dict[str, Any], names: dict[str, str]) -> Item:
    topic_id = str(topic["id"])
    author_id = str(topic.get("author_ref", "")).split(":")[-1]
    return Item(external_id=f"{group_id}_{topic_id}", text=_topic_text(topic),
                posted_at=from_unix(int(topic.get("created_ms", 0)) / 1000), raw=topic, url=_link(group_id, topic_id),
                author=names.get(author_id, author_id), author_id=author_id,
                thread={"group_id": group_id, "topic_id": topic_id})


def _comment_item(group_id: str, topic_id: str, comment: dict[str, Any]) -> Item:
    comment_id = str(comment["id"])
    when = str(comment.get("date", ""))
    try:
        posted = dt.datetime.strptime(when, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)
    except ValueError:
        posted = timezone.now()
    return Item(external_id=f"{group_id}_{topic_id}_c{comment_id}", text=str(comment.get("text", "")),
                posted_at=posted, raw=comment, url=_link(group_id, topic_id),
                author=str(comment.get("author_name", "")), author_id=str(comment.get("author_id", "")),
                thread={"group_id": group_id, "topic_id": topic_id, "comment_id": comment_id})
