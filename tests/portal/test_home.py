"""The start page (issue 10, point 3): the region and its emblem, how to write, a map of recent public
messages around the region's centre, the latest answers and the public on-time ranking."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from otklik.appeals.models import Appeal, AppealEvent
from otklik.registry.selectors import region_settings
from tests.intake.conftest import advance, png_bytes
from tests.portal.test_track import new_appeal

pytestmark = pytest.mark.django_db


def test_the_start_page_names_the_region_with_its_emblem_and_says_how_to_write(client, citizens):
    region = region_settings()
    region.name, region.map_centre_lat, region.map_centre_lon, region.map_zoom = "Северная область", 63.0, 45.0, 7
    region.emblem.save("emblem.png", ContentFile(png_bytes()), save=False)
    region.save()
    page = client.get("/").content.decode()
    assert "Северная область" in page and 'class="emblem"' in page and "Герб: Северная область" in page
    assert "Как написать" in page and 'href="/submit/"' in page
    assert 'data-lat="63.000000"' in page and 'data-lon="45.000000"' in page and 'data-zoom="7"' in page
    assert 'data-url="/public/map.json?days=90"' in page and 'data-fit="0"' in page


def test_the_start_page_lists_the_latest_answers_and_ranks_organisations_by_answers_on_time(client, citizens):
    answered = advance(new_appeal(citizens), citizens, to="published")
    late = advance(new_appeal(citizens, intake_key="p:2", text="Не горит фонарь во дворе дома 5"), citizens,
                   to="answer")
    Appeal.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))  # the term has passed
    late = advance(late, citizens, frm="published", to="published")
    assert AppealEvent.objects.get(appeal=late, action="publish").payload["on_time"] is False
    page = client.get("/").content.decode()
    assert f'href="/public/{answered.number}/"' in page and "Последние ответы" in page
    assert "Кто отвечает в срок" in page and "Администрация Тестовска" in page
    assert "50 %" in page and "1 из 2 ответов" in page
    assert "Иван Петров" not in page  # no personal data on the public page


def test_a_59_fz_answer_counts_neither_in_the_list_nor_in_the_ranking(client, citizens):
    letter = advance(new_appeal(citizens, intake_key="p:3"), citizens, to="published")
    Appeal.objects.filter(pk=letter.pk).update(regime="fz59")  # a letter under 59-FZ is never public
    page = client.get("/").content.decode()
    assert letter.number not in page and "Ответов пока нет." in page


def test_the_map_data_for_the_start_page_keeps_recent_messages(client, citizens):
    recent = advance(new_appeal(citizens), citizens, to="accept")
    old = advance(new_appeal(citizens, intake_key="p:4", text="Старая яма на дороге у моста"), citizens, to="accept")
    Appeal.objects.filter(pk=old.pk).update(received_at=timezone.now() - dt.timedelta(days=200))
    numbers = {f["properties"]["number"] for f in client.get("/public/map.json?days=90").json()["features"]}
    assert recent.number in numbers and old.number not in numbers
    everything = {f["properties"]["number"] for f in client.get("/public/map.json").json()["features"]}
    assert old.number in everything
