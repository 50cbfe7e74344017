"""A local server speaking the documented protocols of VK API 5.199, the Telegram Bot API, the OK
REST API (signed fb.do) and RSS/JSON feeds: what the connectors are tested against.

Each network keeps its own state (walls, comments, updates, topics), records every request and
every reply it received, and can be told to answer the next calls with a documented error.
"""

from __future__ import annotations

import hashlib
import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

OK_APP_KEY, OK_SECRET, OK_ACCESS = "CBAFAKEAPPKEY", "fakesecretkey0123456789", "tkn.fake-ok-access-token-42"
OK_TOKEN = f"{OK_APP_KEY}:{OK_SECRET}:{OK_ACCESS}"
VK_TOKEN = "vk1.a.fake-vk-service-token-0123456789abcdef"
TG_TOKEN = "123456789:AAFakeTelegramBotTokenForTests_xyz"


@dataclass
class VKState:
    walls: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    comments: dict[tuple[int, int], list[dict[str, Any]]] = field(default_factory=dict)
    search: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[str, list[int]] = field(default_factory=dict)  # method -> error codes for the next calls
    created: list[dict[str, Any]] = field(default_factory=list)
    next_comment_id: int = 9000
    # Post the comment, then fail the answer (a reply that reached VK but whose answer was lost).
    lose_next_answer: bool = False

    def post(self, owner: int, post_id: int, text: str, date: int, from_id: int | None = None) -> dict[str, Any]:
        item = {"id": post_id, "owner_id": owner, "from_id": from_id or owner, "date": date, "text": text,
                "comments": {"count": 0}}
        self.walls.setdefault(owner, []).insert(0, item)
        self.walls[owner].sort(key=lambda p: -p["id"])
        return item

    def comment(self, owner: int, post_id: int, comment_id: int, text: str, date: int, from_id: int) -> None:
        self.comments.setdefault((owner, post_id), []).append(
            {"id": comment_id, "from_id": from_id, "post_id": post_id, "owner_id": owner, "date": date, "text": text})
        for post in self.walls.get(owner, []):
            if post["id"] == post_id:
                post["comments"]["count"] = len(self.comments[(owner, post_id)])


@dataclass
class TelegramState:
    updates: list[dict[str, Any]] = field(default_factory=list)
    confirmed: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)
    retry_after: list[int] = field(default_factory=list)  # 429 for the next sendMessage calls
    next_update_id: int = 500
    next_message_id: int = 70

    def message(self, chat_id: int, text: str, date: int, username: str = "", user: str = "ivan") -> int:
        self.next_update_id += 1
        self.next_message_id += 1
        self.updates.append({"update_id": self.next_update_id, "message": {
            "message_id": self.next_message_id, "date": date, "text": text,
            "from": {"id": 42, "is_bot": False, "first_name": "Иван", "username": user},
            "chat": {"id": chat_id, "type": "supergroup", "title": "Город", **({"username": username} if username
                                                                                 else {})}}})
        return self.next_message_id


@dataclass
class OKState:
    topics: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    comments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    errors: dict[str, list[int]] = field(default_factory=dict)
    created: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0
    next_comment_id: int = 3000

    def topic(self, gid: str, topic_id: str, text: str, created_ms: int, author: str = "5551") -> None:
        self.topics.setdefault(gid, []).insert(0, {"id": topic_id, "created_ms": created_ms,
                                                   "media": [{"type": "text", "text": text}],
                                                   "author_ref": f"user:{author}"})
        self.topics[gid].sort(key=lambda t: -t["created_ms"])


@dataclass
class FeedState:
    xml: str = ""
    json_feed: dict[str, Any] | None = None
    etag: str = '"v1"'
    status: list[int] = field(default_factory=list)


class FakeNetworks:
    def __init__(self) -> None:
        self.vk = VKState()
        self.telegram = TelegramState()
        self.ok = OKState()
        self.feed = FeedState()
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self.lock = threading.Lock()
        networks = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _send(self, status: int, body: Any, content_type: str = "application/json",
                      headers: dict[str, str] | None = None) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                with networks.lock:
                    networks._feed(self)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with networks.lock:
                    if self.path.startswith("/vk/method/"):
                        form = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
                        networks._vk(self, self.path[len("/vk/method/"):], form)
                    elif self.path.startswith("/tg/bot"):
                        token, _, method = self.path[len("/tg/bot"):].partition("/")
                        networks._telegram(self, token, method, json.loads(raw or b"{}"))
                    elif self.path.startswith("/ok/fb.do"):
                        form = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
                        networks._ok(self, form)
                    else:
                        self._send(404, {"error": "no such path"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeNetworks:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def calls(self, network: str, method: str | None = None) -> list[dict[str, Any]]:
        return [params for net, name, params in self.requests if net == network and method in (None, name)]

    # --- VK ----------------------------------------------------------------------------------------

    def _vk(self, handler: Any, method: str, form: dict[str, str]) -> None:
        self.requests.append(("vk", method, form))
        state = self.vk
        if form.get("v") != "5.199":
            return handler._send(200, {"error": {"error_code": 8, "error_msg": "Invalid request: v is required"}})
        if form.get("access_token") != VK_TOKEN:
            return handler._send(200, {"error": {"error_code": 5, "error_msg": "User authorization failed"}})
        queued = state.errors.get(method) or []
        if queued:
            code = queued.pop(0)
            text = {6: "Too many requests per second", 29: "Rate limit reached", 10: "Internal server error"}
            return handler._send(200, {"error": {"error_code": code, "error_msg": text.get(code, "error"),
                                                 "request_params": [{"key": "method", "value": method}]}})
        if method == "wall.get":
            owner = int(form["owner_id"])
            posts = state.walls.get(owner, [])
            offset, count = int(form.get("offset", 0)), min(int(form.get("count", 20)), 100)
            return handler._send(200, {"response": {"count": len(posts), "items": posts[offset:offset + count],
                                                    "profiles": [{"id": 1001, "first_name": "Мария",
                                                                  "last_name": "Петрова"}], "groups": []}})
        if method == "newsfeed.search":
            since = int(form.get("start_time", 0))
            found = sorted((p for p in state.search if p["date"] >= since), key=lambda p: -p["date"])
            start = int(form.get("start_from") or 0)
            count = min(int(form.get("count", 30)), 200)
            page = found[start:start + count]
            answer: dict[str, Any] = {"items": page, "count": len(page), "total_count": len(found)}
            if start + count < len(found):
                answer["next_from"] = str(start + count)
            return handler._send(200, {"response": answer})
        if method == "wall.getComments":
            owner, post_id = int(form["owner_id"]), int(form["post_id"])
            comments = sorted(state.comments.get((owner, post_id), []), key=lambda c: c["id"],
                              reverse=form.get("sort") == "desc")
            if form.get("start_comment_id"):
                start = int(form["start_comment_id"])
                comments = [c for c in comments if c["id"] >= start]
            offset, count = int(form.get("offset", 0)), min(int(form.get("count", 10)), 100)
            return handler._send(200, {"response": {"count": len(state.comments.get((owner, post_id), [])),
                                                    "items": comments[offset:offset + count],
                                                    "current_level_count": len(comments), "can_post": 1}})
        if method == "wall.createComment":
            owner, post_id = int(form["owner_id"]), int(form["post_id"])
            state.next_comment_id += 1
            record = {"id": state.next_comment_id, "from_id": -int(form.get("from_group") or 0) or 1, "date": 0,
                      "text": form["message"], "post_id": post_id, "owner_id": owner,
                      "reply_to_comment": form.get("reply_to_comment")}
            state.created.append(record)
            state.comments.setdefault((owner, post_id), []).append(record)
            if state.lose_next_answer:
                state.lose_next_answer = False
                return handler._send(502, b"Bad gateway", "text/plain")
            return handler._send(200, {"response": {"comment_id": state.next_comment_id, "parents_stack": []}})
        return handler._send(200, {"error": {"error_code": 3, "error_msg": "Unknown method passed"}})

    # --- Telegram ----------------------------------------------------------------------------------

    def _telegram(self, handler: Any, token: str, method: str, body: dict[str, Any]) -> None:
        self.requests.append(("telegram", method, body))
        state = self.telegram
        if token != TG_TOKEN:
            return handler._send(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        if method == "getUpdates":
            offset = int(body.get("offset") or 0)
            if offset:
                # Documented: an update is confirmed once getUpdates is called with a higher offset.
                state.confirmed = max(state.confirmed, offset)
                state.updates = [u for u in state.updates if u["update_id"] >= offset]
            limit = min(int(body.get("limit") or 100), 100)
            return handler._send(200, {"ok": True, "result": state.updates[:limit]})
        if method == "sendMessage":
            if state.retry_after:
                wait = state.retry_after.pop(0)
                return handler._send(429, {"ok": False, "error_code": 429,
                                           "description": f"Too Many Requests: retry after {wait}",
                                           "parameters": {"retry_after": wait}})
            if not (body.get("reply_parameters") or {}).get("message_id"):
                return handler._send(400, {"ok": False, "error_code": 400, "description": "Bad Request: no reply"})
            state.next_message_id += 1
            state.sent.append(body)
            return handler._send(200, {"ok": True, "result": {"message_id": state.next_message_id, "date": 0,
                                                              "chat": {"id": body["chat_id"]}, "text": body["text"]}})
        return handler._send(404, {"ok": False, "error_code": 404, "description": "Not Found"})

    # --- OK ----------------------------------------------------------------------------------------

    def _ok(self, handler: Any, form: dict[str, str]) -> None:
        method = form.get("method", "")
        self.requests.append(("ok", method, form))
        state = self.ok
        secret = hashlib.md5((form.get("access_token", "") + OK_SECRET).encode()).hexdigest()
        signed = "".join(f"{k}={form[k]}" for k in sorted(form) if k not in ("sig", "access_token", "session_key"))
        if form.get("application_key") != OK_APP_KEY or form.get("sig") != hashlib.md5(
                (signed + secret).encode()).hexdigest():
            state.bad_signatures += 1
            return handler._send(200, {"error_code": 104, "error_msg": "PARAM_SIGNATURE : Invalid signature",
                                       "error_data": None})
        queued = state.errors.get(method) or []
        if queued:
            code = queued.pop(0)
            return handler._send(200, {"error_code": code, "error_msg": {8: "FLOOD_BLOCKED"}.get(code, "SERVICE"),
                                       "error_data": None})
        if method == "mediatopic.getTopics":
            topics = state.topics.get(form["gid"], [])
            start = int(form.get("anchor") or 0)
            count = int(form.get("count", 20))
            page = topics[start:start + count]
            return handler._send(200, {"media_topics": page, "anchor": str(start + len(page)),
                                       "has_more": start + count < len(topics),
                                       "entities": {"users": [{"uid": "5551", "name": "Ольга Смирнова"}]}})
        if method == "discussions.getComments":
            comments = state.comments.get(form["discussionId"], [])
            start = int(form.get("anchor") or 0)
            count = int(form.get("count", 20))
            page = comments[start:start + count]
            return handler._send(200, {"comments": page, "anchor": str(start + len(page)),
                                       "has_more": start + count < len(comments)})
        if method == "discussions.comment":
            state.next_comment_id += 1
            record = {"id": str(state.next_comment_id), "text": form["text"], "author_type": "GROUP",
                      "date": "2026-12-02 10:00:00", "reply_to_comment_id": form.get("reply_to_comment_id")}
            state.created.append(record)
            state.comments.setdefault(form["discussionId"], []).append(record)
            return handler._send(200, {"id": record["id"]})
        return handler._send(200, {"error_code": 3, "error_msg": "METHOD : Method not found", "error_data": None})

    # --- feeds -------------------------------------------------------------------------------------

    def _feed(self, handler: Any) -> None:
        self.requests.append(("feed", handler.path, dict(handler.headers.items())))
        state = self.feed
        if state.status:
            status = state.status.pop(0)
            return handler._send(status, {"error": "busy"}, headers={"Retry-After": "1"})
        if handler.headers.get("If-None-Match") == state.etag:
            handler.send_response(304)
            handler.end_headers()
            return None
        if handler.path == "/feed.xml":
            return handler._send(200, state.xml.encode(), "application/rss+xml; charset=utf-8",
                                 {"ETag": state.etag})
        if handler.path == "/feed.json":
            return handler._send(200, state.json_feed or {}, "application/feed+json", {"ETag": state.etag})
        return handler._send(404, {"error": "not found"})
