"""The submit form's map opens on the region, a point finds its municipality, a point outside the region
is refused in Russian, and a text over the limit is refused rather than cut (points 4 and 5 of issue 10)."""

import uuid

import pytest

from otklik.appeals.models import Appeal
from otklik.portal.forms import TEXT_MAX
from otklik.registry.selectors import region_settings

pytestmark = pytest.mark.django_db


def form(c, **extra):
    data = {"category": c.potholes.pk, "text": "Глубокая яма у остановки, опасно.", "name": "Анна",
            "email": "anna@example.org", "consent": "on", "intake_key": uuid.uuid4().hex}
    data.update(extra)
    return data


def test_the_map_opens_on_the_region_centre_from_its_settings(client, citizens):
    row = region_settings()
    row.map_centre_lat, row.map_centre_lon, row.map_zoom = 55.5, 37.5, 9
    row.save()
    page = client.get("/submit/").content.decode()
    assert 'data-lat="55.500000" data-lon="37.500000" data-zoom="9"' in page
    assert 'data-lat="55.500000"' in client.get("/public/map/").content.decode()


def test_a_point_finds_its_municipality(client, citizens):
    response = client.post("/submit/", form(citizens, latitude="55.5", longitude="37.5"))
    assert response.status_code == 302
    assert Appeal.objects.get().territory == citizens.territory
    data = client.get("/submit/nearby.json", {"lat": "55.5", "lon": "37.5"}).json()
    assert data["inside"] is True and data["territory"]["id"] == citizens.territory.pk


@pytest.mark.parametrize("lat, lon", [("63.0", "45.0"), ("95", "37.5"), ("abc", "37.5"), ("55.5", "")])
def test_a_point_outside_the_region_or_broken_is_refused_in_russian(client, citizens, lat, lon):
    response = client.post("/submit/", form(citizens, latitude=lat, longitude=lon))
    page = response.content.decode()
    assert response.status_code == 400 and not Appeal.objects.exists()
    assert 'id="point-error" role="alert">Точка на карте' in page
    assert '<a href="#place">Точка на карте' in page
    # The map starts again from the region: the wrong point is not sent back to it.
    assert 'name="latitude" value=""' in page and 'name="longitude" value=""' in page
    assert "Глубокая яма у остановки" in page  # nothing else is lost


def test_the_point_check_answers_outside_in_russian(client, citizens):
    region = region_settings()
    data = client.get("/submit/nearby.json", {"lat": "63.0", "lon": "45.0", "category": citizens.potholes.pk}).json()
    assert data == {"items": [], "inside": False, "message": data["message"]}
    assert data["message"].startswith(f"Эта точка за пределами территории «{region.name}»")
    assert client.get("/submit/nearby.json", {"lat": "nan", "lon": "1"}).json()["inside"] is False


def test_a_long_text_is_refused_not_cut(client, citizens):
    page = client.get("/submit/").content.decode()
    assert " maxlength=" not in page.split('id="id_text"')[1].split(">")[0]
    long_text = "Очень длинный текст. " * 2400  # about 50,000 characters
    response = client.post("/submit/", form(citizens, text=long_text))
    assert response.status_code == 400 and not Appeal.objects.exists()
    assert f"Текст слишком длинный: {len(long_text.strip())} символов, можно не больше {TEXT_MAX}." in \
        response.content.decode()
