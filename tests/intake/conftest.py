from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from PIL import Image

from otklik.accounts.models import Role, User
from otklik.registry.models import Category, Organization, Territory
from tests import factories as f


@dataclass
class Citizens:
    org: Organization
    territory: Territory
    roads: Category
    potholes: Category
    heating: Category
    private: Category
    moderator: User
    coordinator: User
    executor: User
    head: User


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def _fast_passwords(settings):
    # Staff users are made for every test; the production hasher costs ~1 s each on a shared CPU.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def citizens(region, _fast_passwords) -> Citizens:
    terr = f.territory("Город Тестовск", kind="city_district")
    terr.boundary = {"type": "Polygon", "coordinates": [[[37.0, 55.0], [38.0, 55.0], [38.0, 56.0], [37.0, 56.0],
                                                          [37.0, 55.0]]]}
    terr.save()
    org = f.organization("Администрация Тестовска", territory=terr)
    roads = f.category("Дороги", days=30)
    potholes = f.category("Ямы на дороге", days=30, parent=roads, keywords="яма, выбоина, асфальт")
    heating = f.category("Нет отопления", days=10, procedure="accelerated", keywords="батареи, холодно")
    private = f.category("Личный приём", days=30, is_public=False)
    for cat in (roads, heating, private):
        f.route(cat, org)
    return Citizens(
        org=org, territory=terr, roads=roads, potholes=potholes, heating=heating, private=private,
        moderator=f.user("moderator", (Role.MODERATOR, org)),
        coordinator=f.user("coordinator", (Role.COORDINATOR, org)),
        executor=f.user("executor", (Role.EXECUTOR, org)),
        head=f.user("head", (Role.HEAD, org)),
    )


def jpeg_with_gps(size=(40, 30)) -> bytes:
    """A JPEG whose EXIF carries a GPS position and a camera model, as phone photos do."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x0110] = "Secret Phone 12"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90° when shown
    gps = {1: "N", 2: (55.0, 45.0, 30.0), 3: "E", 4: (37.0, 37.0, 0.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 0, 255)).save(out, format="PNG")
    return out.getvalue()


def advance(appeal, c: Citizens, *, to: str, frm: str = "accept"):
    """Drive an appeal through staff actions with the services, from one named point to another."""
    from otklik.appeals import services as s

    steps = ["accept", "assign", "postpone", "intermediate", "answer", "published"]
    result = appeal
    for step in steps[steps.index(frm): steps.index(to) + 1]:
        if step == "accept":
            result = s.appeal_accept(appeal_id=appeal.pk, user=c.moderator)
        elif step == "assign":
            result = s.appeal_assign(appeal_id=appeal.pk, user=c.coordinator, executor_id=c.executor.pk)
        elif step == "postpone":
            import datetime as dt

            from django.utils import timezone

            until = timezone.localdate() + dt.timedelta(days=45)
            result = s.appeal_postpone(appeal_id=appeal.pk, user=c.coordinator, until=until,
                                       reason="Нужны работы подрядчика")
        elif step == "intermediate":
            result = s.appeal_intermediate(appeal_id=appeal.pk, user=c.executor,
                                           text="Работы включены в план ремонта.")
        elif step == "answer":
            s.appeal_draft(appeal_id=appeal.pk, user=c.executor, text="Яма заделана 12 мая.")
            s.appeal_send_for_approval(appeal_id=appeal.pk, user=c.executor)
            result = s.appeal_approve(appeal_id=appeal.pk, user=c.head)
        elif step == "published":
            result = s.appeal_publish(appeal_id=appeal.pk, user=c.head)
    return result
