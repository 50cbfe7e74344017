"""Issue 11 §10: rate limits on the ways in, per client; 429 with Retry-After in the shape of each surface."""

from __future__ import annotations

import pytest

from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def tight(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "submit": "3/m", "track": "5/m", "api": "4/m",
                            "open311_post": "2/m", "sign_in": "3/m"}


def test_the_submit_form_refuses_a_flood_from_one_address_with_the_russian_page(client, region, tight):
    for _ in range(3):
        assert client.post("/submit/", {"text": ""}, REMOTE_ADDR="203.0.113.9").status_code != 429
    refused = client.post("/submit/", {"text": ""}, REMOTE_ADDR="203.0.113.9")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert "Слишком много запросов" in refused.content.decode()
    # Another address is not affected; reading the form is not counted.
    assert client.post("/submit/", {"text": ""}, REMOTE_ADDR="198.51.100.1").status_code != 429
    assert client.get("/submit/", REMOTE_ADDR="203.0.113.9").status_code == 200


def test_guessing_tracking_keys_is_slowed_down(client, region, tight):
    codes = [client.get("/track/2026-000001/", {"key": f"guess{i}"}, REMOTE_ADDR="203.0.113.9").status_code
             for i in range(6)]
    assert codes[:5] == [404] * 5 and codes[5] == 429


def test_the_api_counts_each_user_apart_and_answers_in_its_error_shape(client, region, tight):
    first, second = f.user("api-one"), f.user("api-two")
    client.force_login(first)
    codes = [client.get("/api/appeals").status_code for _ in range(5)]
    assert codes[:4] == [200] * 4 and codes[4] == 429
    body = client.get("/api/appeals").json()
    assert body["code"] == "rate_limited" and body["message"].startswith("Слишком много запросов")
    client.force_login(second)
    assert client.get("/api/appeals").status_code == 200


def test_open311_posts_are_limited_per_key_with_an_open311_error_list(client, region, tight):
    for _ in range(2):
        client.post("/open311/v2/requests.json", {"api_key": "some-key", "service_code": "x"})
    refused = client.post("/open311/v2/requests.json", {"api_key": "some-key", "service_code": "x"})
    assert refused.status_code == 429 and refused.json()[0]["code"] == 429
    other = client.post("/open311/v2/requests.json", {"api_key": "another-key", "service_code": "x"})
    assert other.status_code != 429
