"""VK API (https://dev.vk.com/ru/reference, version 5.199): newsfeed.search, wall.get,
wall.getComments and wall.createComment.

Every method is ``GET|POST <base>/<method>?v=5.199&access_token=…``; errors arrive as HTTP 200 with
``{"error": {"error_code", "error_msg"}}``. A token may call 3 methods a second (error 6 "Too many
requests per second" is answered by waiting a second and asking again; 9 "Flood control" and 29
"Rate limit reached" pause the source — the worker comes back later).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from otklik.intake.social.base import Item, Page, Reply, SourceSpec, from_unix
from otklik.intake.social.http import ConnectorError, Http, RateLimited, Retry, decode_json

VERSION = "5.199"
TOO_MANY_PER_SECOND = 6
FLOOD_CONTROL = 9
INTERNAL = 10
RATE_LIMIT = 29
PERMANENT = {5, 15, 18, 30, 100, 113, 203, 212, 213, 222}  # auth, access, deleted, private, bad params
WALL_PAGE = 100
SEARCH_PAGE = 200
COMMENTS_PAGE = 100
# How many of the page's latest posts are watched for new comments.
COMMENTED_POSTS = 20
# A first run takes at most this many pages: the position starts now, not at the page's first post.
FIRST_RUN_PAGES = 1
MAX_PAGES = 20


def _check(status: int, headers: dict[str, str], data: bytes) -> Any:
    if status >= 500:
        raise Retry(ConnectorError(f"VK answered HTTP {status}", code="http"), 1.0)
    if status != 200:
        raise ConnectorError(f"VK answered HTTP {status}", code="http")
    answer = decode_json(data)
    error = answer.get("error") if isinstance(answer, dict) else None
    if error:
        code = int(error.get("error_code", 0))
        message = f"VK error {code}: {error.get('error_msg', '')}"
        if code == TOO_MANY_PER_SECOND:
            raise Retry(RateLimited(message, retry_after=1.0, code=str(code)), 1.0)
        if code in (FLOOD_CONTROL, RATE_LIMIT):
            # Daily quotas: waiting inline cannot help; the source is paused for an hour.
            raise RateLimited(message, retry_after=3600.0, code=str(code))
        if code == INTERNAL:
            raise Retry(ConnectorError(message, code=str(code)), 2.0)
        raise ConnectorError(message, permanent=code in PERMANENT, code=str(code))
    if not isinstance(answer, dict) or "response" not in answer:
        raise ConnectorError("VK answer without response", code="bad_answer")
    return answer["response"]


class VK:
    def __init__(self, http: Http | None = None) -> None:
        self.http = http

    def _http(self, source: SourceSpec, patient: bool) -> Http:
        # A reply is never retried inline: the worker settles the record and comes back, so no
        # worker sleeps while holding a claim.
        return self.http or Http(secrets=[source.token], min_interval=0.34, max_inline_wait=5.0 if patient else 0.0)

    def call(self, source: SourceSpec, method: str, patient: bool = True, **params: Any) -> Any:
        url = source.base_url.rstrip("/") + "/" + method
        form = {key: value for key, value in params.items() if value is not None}
        form.update(v=VERSION, access_token=source.token)
        # POST keeps the token and long texts out of the URL (and of any proxy's access log).
        return self._http(source, patient).call("POST", url, form=form, check=_check)

    # --- reading -------------------------------------------------------------------------------

    def pages(self, source: SourceSpec, cursor: dict[str, Any]) -> Iterator[Page]:
        if source.kind == "search":
            yield from self._search(source, cursor)
        elif source.kind == "wall":
            yield from self._wall(source, cursor)
        elif source.kind == "comments":
            yield from self._comments(source, cursor)
        else:
            raise ConnectorError(f"VK has no source kind {source.kind}", permanent=True, code="kind")

    def _search(self, source: SourceSpec, cursor: dict[str, Any]) -> Iterator[Page]:
        since = int(cursor.get("since", 0))
        newest = since
        start_from: str | None = None
        for number in range(MAX_PAGES):
            response = self.call(source, "newsfeed.search", q=source.target, count=SEARCH_PAGE, extended=1,
                                 start_time=since or None, start_from=start_from)
            names = _names(response)
            items = [_post_item(post, names) for post in response.get("items", [])]
            newest = max([newest, *(int(item.raw.get("date", 0)) for item in items)])
            start_from = response.get("next_from") or None
            last = not start_from or not items or (not since and number + 1 >= FIRST_RUN_PAGES)
            # The newest date seen is kept only after the last page: a run cut short starts again.
            yield Page(items, {"since": newest} if last else None)
            if last:
                return

    def _wall(self, source: SourceSpec, cursor: dict[str, Any]) -> Iterator[Page]:
        seen = int(cursor.get("last_id", 0))
        newest = seen
        for number in range(MAX_PAGES):
            response = self.call(source, "wall.get", owner_id=source.target, count=WALL_PAGE,
                                 offset=number * WALL_PAGE, extended=1)
            names = _names(response)
            posts = response.get("items", [])
            fresh = [post for post in posts if int(post["id"]) > seen]
            newest = max([newest, *(int(post["id"]) for post in posts)])
            # A pinned post stands first whatever its age; only unpinned ones say we reached old ground.
            reached_old = any(int(p["id"]) <= seen and not p.get("is_pinned") for p in posts)
            last = (not posts or reached_old or (number + 1) * WALL_PAGE >= int(response.get("count", 0))
                    or (not seen and number + 1 >= FIRST_RUN_PAGES))
            yield Page([_post_item(post, names) for post in fresh], {"last_id": newest} if last else None)
            if last:
                return

    def _comments(self, source: SourceSpec, cursor: dict[str, Any]) -> Iterator[Page]:
        known: dict[str, int] = {str(k): int(v) for k, v in (cursor.get("posts") or {}).items()}
        response = self.call(source, "wall.get", owner_id=source.target, count=COMMENTED_POSTS)
        owner = int(source.target)
        watched: dict[str, int] = {}
        for post in response.get("items", []):
            post_id = str(post["id"])
            last_seen = known.get(post_id, 0)
            watched[post_id] = last_seen
            if int((post.get("comments") or {}).get("count", 0)) == 0:
                continue
            start: int | None = last_seen or None
            for _page in range(MAX_PAGES):
                got = self.call(source, "wall.getComments", owner_id=owner, post_id=post_id, sort="asc",
                                count=COMMENTS_PAGE, start_comment_id=start, extended=1)
                names = _names(got)
                comments = [c for c in got.get("items", []) if int(c["id"]) > last_seen]
                # The page's own answers are ours, not citizens' messages.
                citizens = [c for c in comments if int(c.get("from_id", 0)) != owner and c.get("text")]
                items = [_comment_item(owner, int(post_id), c, names) for c in citizens]
                if comments:
                    watched[post_id] = max(int(c["id"]) for c in comments)
                # Ascending order: every page moves the position safely.
                yield Page(items, {"posts": dict(watched)})
                if len(got.get("items", [])) < COMMENTS_PAGE or not comments:
                    break
                start = int(comments[-1]["id"])
                last_seen = start
        yield Page([], {"posts": watched})

    def latest_post_at(self, source: SourceSpec) -> dt.datetime | None:
        """The newest post of a page (a pinned post may be old: the newest date of the first two wins)."""
        response = self.call(source, "wall.get", owner_id=source.target, count=2)
        dates = [int(post.get("date", 0)) for post in response.get("items", [])]
        return from_unix(max(dates)) if dates else None

    # --- answering -----------------------------------------------------------------------------

    def reply(self, source: SourceSpec, thread: dict[str, Any], text: str) -> Reply:
        owner, post_id = int(thread["owner_id"]), int(thread["post_id"])
        response = self.call(source, "wall.createComment", patient=False, owner_id=owner, post_id=post_id, message=text,
                             reply_to_comment=thread.get("comment_id"), from_group=_group_id(owner))
        comment_id = int(response["comment_id"])
        return Reply(str(comment_id), _link(owner, post_id, comment_id))

    def find_reply(self, source: SourceSpec, thread: dict[str, Any], marker: str) -> Reply | None:
        owner, post_id = int(thread["owner_id"]), int(thread["post_id"])
        offset = 0
        for _page in range(MAX_PAGES):
            got = self.call(source, "wall.getComments", owner_id=owner, post_id=post_id, sort="desc",
                            count=COMMENTS_PAGE, offset=offset, thread_items_count=10)
            for comment in got.get("items", []):
                for found in [comment, *((comment.get("thread") or {}).get("items") or [])]:
                    if marker in (found.get("text") or ""):
                        return Reply(str(found["id"]), _link(owner, post_id, int(found["id"])))
            offset += COMMENTS_PAGE
            if offset >= int(got.get("count", 0)):
                return None
        raise ConnectorError("too many comments to read back", code="read_back")


def _group_id(owner: int) -> int | None:
    return -owner if owner < 0 else None  # a community answers in its own name


def _link(owner: int, post_id: int, comment_id: int | None = None) -> str:
    url = f"https://vk.com/wall{owner}_{post_id}"
    return f"{url}?reply={comment_id}" if comment_id else url


def _names(response: dict[str, Any]) -> dict[int, str]:
    names: dict[int, str] = {}
    for profile in response.get("profiles") or []:
        names[int(profile["id"])] = f"{profile.get('first_name', '')} {profile.get('last_name', '')}".strip()
    for group in response.get("groups") or []:
        names[-int(group["id"])] = str(group.get("name", ""))
    return names


def _post_item(post: dict[str, Any], names: dict[int, str]) -> Item:
    owner, post_id = int(post["owner_id"]), int(post["id"])
    author_id = int(post.get("from_id") or post.get("signer_id") or owner)
    return Item(
        external_id=f"{owner}_{post_id}", text=post.get("text") or "", posted_at=from_unix(post.get("date", 0)),
        raw=post, url=_link(owner, post_id), author=names.get(author_id, f"id{author_id}"),
        author_id=str(author_id), thread={"owner_id": owner, "post_id": post_id},
    )


def _comment_item(owner: int, post_id: int, comment: dict[str, Any], names: dict[int, str]) -> Item:
    comment_id, author_id = int(comment["id"]), int(comment.get("from_id", 0))
    return Item(
        external_id=f"{owner}_{post_id}_c{comment_id}", text=comment.get("text") or "",
        posted_at=from_unix(comment.get("date", 0)), raw=comment, url=_link(owner, post_id, comment_id),
        author=names.get(author_id, f"id{author_id}"), author_id=str(author_id),
        thread={"owner_id": owner, "post_id": post_id, "comment_id": comment_id},
    )
