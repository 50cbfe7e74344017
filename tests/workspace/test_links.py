"""No link on a workspace page leads to a page the user may not open (point 12 of issue 10)."""

import re

import pytest

pytestmark = pytest.mark.django_db

HREF = re.compile(r'<a [^>]*href="(/[^"#]*)"')


@pytest.mark.parametrize("who", ["moderator", "regional", "coordinator_a", "executor_a", "head_a"])
def test_every_link_of_the_home_page_and_the_menu_opens(client, two_orgs, who):
    w = two_orgs
    w.routed("Яма у школы")
    client.force_login(getattr(w, who))
    home = client.get("/workspace/").content.decode()
    links = sorted({url.replace("&amp;", "&") for url in HREF.findall(home)} - {"/accounts/logout/"})
    assert links
    for url in links:
        response = client.get(url)
        assert response.status_code not in (403, 404), f"{who}: {url} → {response.status_code}"


def test_the_moderator_is_not_offered_the_overdue_by_organisation_page(client, two_orgs):
    client.force_login(two_orgs.moderator)
    assert "/workspace/overdue-by-organisation/" not in client.get("/workspace/").content.decode()
    client.force_login(two_orgs.regional)
    assert "/workspace/overdue-by-organisation/" in client.get("/workspace/").content.decode()
