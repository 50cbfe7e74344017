"""Telegram Bot API (https://core.telegram.org/bots/api): getUpdates and sendMessage.

Calls are ``POST <base>/bot<token>/<method>`` with a JSON body; answers are
``{"ok": true, "result": …}`` or ``{"ok": false, "error_code", "description", "parameters"}``;
429 carries ``parameters.retry_after`` (seconds). getUpdates confirms every update below ``offset``,
so each page is stored before the next one is asked for: a crash never drops confirmed messages.
A bot cannot read a chat's history, so an interrupted reply cannot be read back: it is left for a
person to check, never sent again blindly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from otklik.intake.social.base import Item, Page, Reply, SourceSpec, from_unix
from otklik.intake.social.http import ConnectorError, Http, RateLimited, Retry, decode_json

PAGE = 100
MAX_PAGES = 20
MESSAGE_KINDS = ("message", "channel_post")


def _check(status: int, headers: dict[str, str], data: bytes) -> Any:
    if status >= 500:
        raise Retry(ConnectorError(f"Telegram answered HTTP {status}", code="http"), 1.0)
    answer = decode_json(data)
    if not isinstance(answer, dict):
        raise ConnectorError("Telegram answer is not an object", code="bad_answer")
    if answer.get("ok"):
        return answer.get("result")
    code = int(answer.get("error_code") or status)
    message = f"Telegram error {code}: {answer.get('description', '')}"
    if code == 429:
        wait = float((answer.get("parameters") or {}).get("retry_after") or 1)
        raise Retry(RateLimited(message, retry_after=wait, code="429"), wait)
    raise ConnectorError(message, permanent=code in (400, 401, 403, 404), code=str(code))


class Telegram:
    def __init__(self, http: Http | None = None) -> None:
        self.http = http

    def call(self, source: SourceSpec, method: str, body: dict[str, Any], patient: bool = True) -> Any:
        # Replies are not retried inline: the worker reschedules them after retry_after.
        http = self.http or Http(secrets=[source.token], min_interval=0.05, max_inline_wait=5.0 if patient else 0.0)
        url = f"{source.base_url.rstrip('/')}/bot{source.token}/{method}"
        return http.call("POST", url, json_body=body, check=_check)

    def pages(self, source: SourceSpec, cursor: dict[str, Any]) -> Iterator[Page]:
        if source.kind != "chat":
            raise ConnectorError(f"Telegram has no source kind {source.kind}", permanent=True, code="kind")
        offset = int(cursor.get("offset", 0))
        wanted = None if source.target.strip() in ("", "*") else source.target.strip()
        for _page in range(MAX_PAGES):
            updates = self.call(source, "getUpdates", {"offset": offset or None, "limit": PAGE, "timeout": 0,
                                                        "allowed_updates": list(MESSAGE_KINDS)}) or []
            if not updates:
                return
            items = []
            for update in updates:
                offset = max(offset, int(update["update_id"]) + 1)
                message = next((update[k] for k in MESSAGE_KINDS if k in update), None)
                if not message or not (message.get("text") or message.get("caption")):
                    continue
                chat = message.get("chat") or {}
                if wanted is not None and wanted not in (str(chat.get("id")), "@" + str(chat.get("username", ""))):
                    continue
                items.append(_item(message))
            yield Page(items, {"offset": offset})
            if len(updates) < PAGE:
                return

    def reply(self, source: SourceSpec, thread: dict[str, Any], text: str) -> Reply:
        result = self.call(source, "sendMessage", {
            "chat_id": thread["chat_id"], "text": text,
            "reply_parameters": {"message_id": thread["message_id"], "allow_sending_without_reply": False},
        }, patient=False)
        message_id = int(result["message_id"])
        return Reply(str(message_id), _link(thread.get("chat_username", ""), int(thread["chat_id"]), message_id))

    def latest_post_at(self, source: SourceSpec) -> dt.datetime | None:
        raise ConnectorError("a bot cannot read a channel's history", permanent=True, code="no_read_back")

    def find_reply(self, source: SourceSpec, thread: dict[str, Any], marker: str) -> Reply | None:
        raise ConnectorError("a bot cannot read the chat back", permanent=True, code="no_read_back")


def _link(username: str, chat_id: int, message_id: int) -> str:
    if username:
        return f"https://t.me/{username}/{message_id}"
    text = str(chat_id)
    if text.startswith("-100"):
        return f"https://t.me/c/{text[4:]}/{message_id}"  # a private supergroup: members only
    return ""


def _item(message: dict[str, Any]) -> Item:
    chat = message.get("chat") or {}
    sender = message.get("from") or message.get("sender_chat") or {}
    names = (sender.get("first_name"), sender.get("last_name"), sender.get("title"))
    author = "@" + sender["username"] if sender.get("username") else " ".join(part for part in names if part)
    chat_id, message_id = int(chat["id"]), int(message["message_id"])
    return Item(
        external_id=f"{chat_id}_{message_id}", text=message.get("text") or message.get("caption") or "",
        posted_at=from_unix(message.get("date", 0)), raw=message,
        url=_link(chat.get("username", ""), chat_id, message_id), author=author,
        author_id=str(sender.get("id", "")),
        thread={"chat_id": chat_id, "message_id": message_id, "chat_username": chat.get("username", "")},
    )
