"""The demo's fake social network: a local server that speaks VK API 5.199 (wall.get, wall.getComments,
wall.createComment) for one community whose posts are clearly marked as a demo, so that a newcomer sees
posts arrive in the moderators' queue and the answers go back under them. Nothing leaves the machine.

A new post appears every ``interval`` seconds from a list; every reply the platform publishes is kept and
shown at ``/replies`` (JSON) and in var/log/social-demo.log.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEMO_OWNER = -100500
DEMO_TOKEN = "demo-only-token-not-a-secret"
MARK = "[ДЕМО] "
POSTS = [
    "В Северодольске на улице Ленина у дома 12 огромная яма на дороге, машины бьют колёса",
    "Не горят фонари во дворе дома 7 на Садовой в Северодольске, вечером темно и опасно",
    "Мусорные контейнеры у дома 3 на Заводской в Северодольске не вывозят третий день",
    "Поздравляем всех с праздником! Хороших выходных",
    "В Северодольске в доме 21 на улице Мира холодные батареи, дети мёрзнут",
    "Сосульки над входом в поликлинику в Северодольске, опасно ходить",
]


class DemoNetwork:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 8025, interval: float = 60.0) -> None:
        self.posts: list[dict[str, Any]] = []
        self.replies: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.interval = interval
        self.next_comment = 1000
        network = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _send(self, body: Any) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                with network.lock:
                    self._send({"posts": network.posts, "replies": network.replies})

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                form = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
                with network.lock:
                    self._send(network.answer(self.path.rsplit("/", 1)[-1], form))

        self.server = ThreadingHTTPServer((host, port), Handler)

    def answer(self, method: str, form: dict[str, str]) -> dict[str, Any]:
        if form.get("access_token") != DEMO_TOKEN:
            return {"error": {"error_code": 5, "error_msg": "User authorization failed"}}
        if method == "wall.get":
            items = sorted(self.posts, key=lambda p: -p["id"])
            offset, count = int(form.get("offset", 0)), int(form.get("count", 20))
            return {"response": {"count": len(items), "items": items[offset:offset + count]}}
        if method == "wall.getComments":
            post_id = int(form["post_id"])
            items = [r for r in self.replies if r["post_id"] == post_id]
            return {"response": {"count": len(items), "items": items}}
        if method == "wall.createComment":
            self.next_comment += 1
            reply: dict[str, Any] = {"id": self.next_comment, "post_id": int(form["post_id"]), "from_id": DEMO_OWNER,
                     "date": int(time.time()), "text": form.get("message", "")}
            self.replies.append(reply)
            print(f"reply under post {reply['post_id']}: {reply['text'][:200]}", flush=True)
            return {"response": {"comment_id": self.next_comment}}
        return {"error": {"error_code": 3, "error_msg": "Unknown method passed"}}

    def publish_next(self) -> None:
        with self.lock:
            n = len(self.posts)
            self.posts.append({"id": n + 1, "owner_id": DEMO_OWNER, "from_id": 1001 + n, "date": int(time.time()),
                               "text": MARK + POSTS[n % len(POSTS)], "comments": {"count": 0}})
        print(f"new demo post {n + 1}", flush=True)

    def serve(self) -> None:
        def feed() -> None:
            while True:
                self.publish_next()
                time.sleep(self.interval)

        threading.Thread(target=feed, daemon=True).start()
        self.server.serve_forever()
