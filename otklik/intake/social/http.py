"""The one HTTP client of the connectors (urllib: no new dependency).

It spaces requests to one host by the network's documented rate, retries transient failures with
growing pauses, obeys "wait this long" answers up to a bound (longer waits are raised for the worker to
reschedule), and scrubs every secret it was given out of every error text it raises.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

USER_AGENT = "Otklik/1 (+regional appeals platform)"


class ConnectorError(Exception):
    """A call that did not work. ``retry_after`` is set when the network asked us to wait (seconds);
    ``permanent`` when retrying cannot help (a bad token, a removed post)."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False,
                 code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.permanent = permanent
        self.code = code


class RateLimited(ConnectorError):
    """The network's documented "too many requests" answer, with the wait it asked for."""


class Retry(Exception):
    """Raised by a response checker: the answer is a documented transient error, ask again after ``wait``."""

    def __init__(self, error: ConnectorError, wait: float) -> None:
        super().__init__(error.message)
        self.error = error
        self.wait = wait


_last_call: dict[str, float] = {}
_lock = threading.Lock()


class Http:
    def __init__(
        self,
        *,
        secrets: Iterable[str] = (),
        min_interval: float = 0.0,
        timeout: float = 20.0,
        attempts: int = 4,
        max_inline_wait: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.secrets = [s for s in secrets if s]
        self.min_interval = min_interval
        self.timeout = timeout
        self.attempts = attempts
        self.max_inline_wait = max_inline_wait
        self.sleep = sleep
        self.requests = 0

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***").replace(urllib.parse.quote(secret, safe=""), "***")
        return text

    def _space(self, host: str) -> None:
        if self.min_interval <= 0:
            return
        with _lock:
            wait = _last_call.get(host, 0.0) + self.min_interval - time.monotonic()
            _last_call[host] = max(time.monotonic(), _last_call.get(host, 0.0) + self.min_interval)
        if wait > 0:
            self.sleep(wait)

    def _once(self, method: str, url: str, params: dict[str, Any] | None, body: bytes | None,
              headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        full = url
        if params:
            full = url + ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        request = urllib.request.Request(full, data=body, method=method,
                                         headers={"User-Agent": USER_AGENT, **headers})
        self._space(urllib.parse.urlsplit(url).netloc)
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, dict(response.headers.items()), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers.items()) if error.headers else {}, error.read() or b""

    def call(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        form: dict[str, Any] | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        check: Callable[[int, dict[str, str], bytes], Any],
    ) -> Any:
        """Send, then let ``check`` read the answer: it returns the result, raises Retry for a
        documented transient error, or raises ConnectorError."""
        if not url.startswith(("http://", "https://")):
            raise ConnectorError("only http(s) addresses are allowed", permanent=True, code="bad_url")
        body = None
        sent_headers = dict(headers or {})
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            sent_headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False).encode()
            sent_headers["Content-Type"] = "application/json"
        pause = 1.0
        last: ConnectorError | None = None
        for attempt in range(self.attempts):
            try:
                status, got_headers, data = self._once(method, url, params, body, sent_headers)
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as problem:
                last = ConnectorError(self.scrub(f"network unreachable: {getattr(problem, 'reason', problem)}"),
                                      code="unreachable")
                wait = pause
            else:
                try:
                    return check(status, got_headers, data)
                except Retry as retry:
                    last = ConnectorError(self.scrub(retry.error.message), retry_after=retry.error.retry_after,
                                          permanent=retry.error.permanent, code=retry.error.code)
                    if isinstance(retry.error, RateLimited):
                        last = RateLimited(last.message, retry_after=last.retry_after, code=last.code)
                    wait = retry.wait
                except ConnectorError as error:
                    error.message = self.scrub(error.message)
                    error.args = (error.message,)
                    raise
            if attempt == self.attempts - 1 or wait > self.max_inline_wait:
                break
            self.sleep(wait)
            pause = min(pause * 2, self.max_inline_wait)
        assert last is not None
        raise last


def decode_json(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as problem:
        raise ConnectorError(f"the answer is not JSON: {problem}", code="bad_answer") from None


def retry_after_header(headers: dict[str, str]) -> float | None:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return float(value)
            except ValueError:
                return None
    return None
