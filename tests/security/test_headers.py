"""Issue 11 §10: a Content-Security-Policy without inline scripts, frames only for the widget."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_pages_allow_scripts_only_from_our_own_files_and_no_frames(client, region):
    response = client.get("/")
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and response["X-Frame-Options"] == "DENY"
    assert policy["object-src"] == ["'none'"]


def test_only_the_widget_pages_may_be_framed_by_other_sites(client, region):
    framed = client.get("/submit/?embed=1")
    assert _policy(framed)["frame-ancestors"] == ["*"] and "X-Frame-Options" not in framed
    plain = client.get("/submit/")
    assert _policy(plain)["frame-ancestors"] == ["'none'"] and plain["X-Frame-Options"] == "DENY"


def test_no_template_carries_an_inline_script():
    inline = []
    for template in ROOT.glob("otklik/**/templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag:
                inline.append(f"{template.relative_to(ROOT)}: {tag}")
        if re.search(r"\son(click|load|change|submit|input)=", text):
            inline.append(f"{template.relative_to(ROOT)}: an inline event handler")
    assert inline == []
