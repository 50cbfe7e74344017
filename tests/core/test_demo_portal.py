"""The demo region works on the portal and in the answer editor: its map opens on the region, every
territory is found from a point, a point outside is refused, and answer templates exist per category
(points 4 and 11 of issue 10)."""

from io import StringIO

import pytest
from django.core.management import call_command

from otklik.demo import region as demo
from otklik.intake.selectors import point_in_region, territory_at
from otklik.registry.models import Category, Territory
from otklik.registry.selectors import region_settings
from otklik.workspace.models import AnswerTemplate

pytestmark = pytest.mark.django_db


def test_the_demo_region_has_a_map_outlines_and_answer_templates(settings, client, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path)
    call_command("load_demo", appeals=6, stdout=StringIO())
    row = region_settings()
    assert row.emblem and row.emblem.read().startswith(b"\x89PNG")  # the start page shows it
    home = client.get("/").content.decode()
    assert 'class="emblem"' in home and "Северная область" in home
    assert (row.map_centre_lat, row.map_centre_lon, row.map_zoom) == demo.REGION_MAP
    assert 'data-lat="63.000000" data-lon="45.300000" data-zoom="7"' in client.get("/submit/").content.decode()

    for territory in Territory.objects.all():
        # The centre of a district is its town: the point finds the territory or a settlement in it.
        found = territory_at(territory.centre_lat, territory.centre_lon)
        assert found is not None and territory in found.ancestors_and_self(), territory.name
    assert point_in_region(63.0, 45.0) and not point_in_region(55.75, 37.62)  # Moscow is not in the region

    roads = Category.objects.get(code="roads")
    titles = set(AnswerTemplate.objects.filter(category=roads).values_list("title", flat=True))
    assert "Дороги: ремонт выполнен" in titles
    assert AnswerTemplate.objects.filter(category=None, is_intermediate=True).exists()
    assert AnswerTemplate.objects.filter(category__isnull=False).values("category").distinct().count() >= 8
