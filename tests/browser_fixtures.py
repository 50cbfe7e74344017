"""Fixtures for browser tests, loaded for the whole suite by tests/conftest.py so one Chromium serves all:
real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against a
live Django server. Screenshots go to test-output/screenshots/."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-output" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run must install chromium")
        pytest.skip(f"{CHROMIUM} is not installed")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="ru-RU", base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    # Every browser test also proves the pages keep the Content-Security-Policy: Chromium reports each
    # blocked inline script, style or foreign source on the console.
    refused: list[str] = []
    tab.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text
           else None)
    yield tab
    context.close()
    assert not refused, refused


@pytest.fixture
def screenshot(request):
    """screenshot(page, "step-name") saves test-output/screenshots/<test>/<nn>-<step-name>.png."""
    folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 1000))

    def take(tab, name: str) -> Path:
        path = folder / f"{next(counter):02d}-{name}.png"
        tab.screenshot(path=str(path), full_page=True)
        return path

    return take


def login(tab, username: str, password: str = "secret-pass-1") -> None:
    tab.goto("/accounts/login/")
    tab.fill("#id_username", username)
    tab.fill("#id_password", password)
    tab.click("button[type=submit]")
    tab.wait_for_url(re.compile(r".*/workspace/.*"))
