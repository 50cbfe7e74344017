"""otklik/wsgi.py: Open311 runs a shorter middleware chain (no sessions, sign-in, forms), with the same
views, limits and headers; every other path keeps the whole chain."""

from __future__ import annotations

import io
import json
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

pytestmark = pytest.mark.django_db


@pytest.fixture
def call():
    from otklik.wsgi import application

    # The real handler closes the database connection after each request, which would end the test's
    # transaction; Django's test client detaches the same receivers.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)

    def run(method: str, path: str, form: dict[str, str] | None = None) -> tuple[str, dict[str, str], bytes]:
        body = urlencode(form or {}).encode()
        environ: dict = {"REQUEST_METHOD": method, "PATH_INFO": path, "SERVER_NAME": "testserver",
                         "HTTP_HOST": "testserver", "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
                         "CONTENT_TYPE": "application/x-www-form-urlencoded", "REMOTE_ADDR": "203.0.113.5"}
        setup_testing_defaults(environ)
        seen: dict = {}

        def start_response(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers

        chunks = application(environ, start_response)
        content = b"".join(chunks)
        getattr(chunks, "close", lambda: None)()
        headers: dict[str, str] = {}
        for name, value in seen["headers"]:
            headers.setdefault(name.lower(), value) if name.lower() != "set-cookie" else headers.update(
                {"set-cookie": headers.get("set-cookie", "") + value + "\n"})
        return seen["status"], headers, content

    yield run
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_open311_answers_with_its_headers_and_without_session_machinery(call, citizens, settings):
    from otklik.intake.services import api_key_create

    status, headers, content = call("GET", "/open311/v2/services.json")
    assert status.startswith("200") and "Срок ответа" in json.loads(content)[0]["description"]
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    # Data only: nothing may load or frame it (core/headers.py).
    assert headers["content-security-policy"].startswith("default-src 'none'; frame-ancestors 'none'")
    assert "set-cookie" not in headers and "Cookie" not in headers.get("vary", "")
    raw = api_key_create(name="Приложение")[1]
    form = {"api_key": raw, "service_code": citizens.heating.code, "lat": "55.7", "long": "37.6",
            "description": "Холодно в квартире"}
    status, _headers, content = call("POST", "/open311/v2/requests.json", form)
    assert status.startswith("200") and json.loads(content)[0]["service_request_id"]
    # The rate limit stays on the short chain.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "open311_post": "1/m"}
    assert call("POST", "/open311/v2/requests.json", form)[0].startswith("200")
    status, _headers, content = call("POST", "/open311/v2/requests.json", form)
    assert status.startswith("429") and json.loads(content)[0]["code"] == 429


def test_the_pages_keep_the_whole_chain(call, region):
    status, headers, _content = call("GET", "/submit/")
    assert status.startswith("200")
    assert "csrftoken" in headers.get("set-cookie", "")  # CSRF middleware ran
    assert "Cookie" in headers.get("vary", "")
