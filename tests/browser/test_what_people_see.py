"""What citizens and officials see, in real Chromium (issue 10): the submit form's map on the region
(point 4) and the warning on a long text (5), the answer as a letter with its PDF (1), the applicant's
photos and the map on the card (9), the queue on one line with keys (10), and the error pages (15).

Every test also writes screenshots at 1280, 1920 and 390 px to var/screenshots/ for people to look at."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from otklik.appeals import services as s
from otklik.appeals.services import NewAppeal
from otklik.intake.models import Attachment
from otklik.intake.services import intake_submit
from otklik.registry.selectors import region_settings
from tests.browser_fixtures import login
from tests.intake.conftest import _fast_passwords, citizens  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WIDTHS = (1280, 1920, 390)
ANSWER = ("Уважаемая Анна Сергеевна!\n\nЯма у дома 12 будет заделана до **20 декабря**. График работ — на "
          "[сайте](https://example.org/plan).\n\n- засыпать щебнем;\n- уложить асфальт.\n\nС уважением.")


def shots(page, name: str) -> None:
    """var/screenshots/<name>-<width>.png at each width, the whole page; the viewport goes back to 1280."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(250)
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.fixture(autouse=True)
def _local_tiles(settings, tmp_path):
    # No network here: the tile layer points at a local picture, so the maps load and can be clicked.
    settings.PORTAL_MAP_TILE_URL = "/static/leaflet/images/layers.png?{z}/{x}/{y}"
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _photo(color=(40, 120, 200)) -> bytes:
    image = Image.new("RGB", (800, 600), color)
    for x in range(0, 800, 40):
        for y in range(300, 600):
            image.putpixel((x, y), (240, 240, 240))
    out = io.BytesIO()
    image.save(out, format="JPEG")
    return out.getvalue()


def _appeal(c, text="Глубокая яма на проезжей части у дома 12, вчера пробил колесо.", key="b1", **extra):
    fields = {"text": text, "category": c.potholes, "applicant_name": "Анна Смирнова",
              "applicant_email": "anna@example.org", "latitude": 55.5, "longitude": 37.5,
              "address": "ул. Садовая, 12", "territory": c.territory}
    fields.update(extra)
    return intake_submit(NewAppeal(**fields), source="portal", intake_key=key)


def test_the_form_opens_on_the_region_finds_the_municipality_and_refuses_a_point_outside(page, citizens):  # noqa: F811
    row = region_settings()
    row.map_centre_lat, row.map_centre_lon, row.map_zoom = 55.5, 37.5, 9
    row.save()
    neighbour = _appeal(citizens, text="Яма у остановки «Садовая», уже неделю.", key="n1", latitude=55.5005,
                        longitude=37.5005)
    s.appeal_accept(appeal_id=neighbour.pk, user=citizens.moderator)

    page.goto(f"/submit/?category={citizens.potholes.pk}")
    box = page.locator("#map").bounding_box()
    # The middle of the map is the region's centre: a click there is a point in the region.
    page.locator("#map").click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    assert abs(float(page.input_value("#id_latitude")) - 55.5) < 0.05
    assert abs(float(page.input_value("#id_longitude")) - 37.5) < 0.05
    page.wait_for_selector("#nearby li")
    assert neighbour.number in page.inner_text("#nearby") and "Рядом уже сообщили" in page.inner_text("#nearby")
    page.wait_for_function("() => document.getElementById('territory-hint').textContent.length > 0")
    assert page.inner_text("#territory-hint") == "Муниципальное образование по точке: Город Тестовск"
    assert page.input_value("#id_territory") == str(citizens.territory.pk)

    # The left edge of the map lies outside the region: the point is refused in words, the map still works.
    page.locator("#map").click(position={"x": 8, "y": box["height"] / 2})
    page.wait_for_selector("#point-error:not([hidden])")
    assert page.inner_text("#point-error").startswith("Эта точка за пределами территории «Тестовая область»")
    assert page.input_value("#id_latitude") == "" and not page.locator("#point-status").is_visible()
    page.locator("#map").click(position={"x": box["width"] / 2 + 20, "y": box["height"] / 2})
    page.wait_for_selector("#point-error", state="hidden")
    assert page.input_value("#id_latitude") != ""

    # A pasted text over the limit is kept whole and the person is told before sending.
    page.fill("#id_text", "Длинное описание. " * 300)
    counter = page.inner_text("#text-counter")
    assert re.match(r"^5400 из 4000 символов: на 1400 больше\.", counter), counter
    assert len(page.input_value("#id_text")) == 5400  # nothing cut
    shots(page, "submit-form")


def test_the_tracking_page_shows_the_answer_as_a_letter_with_a_pdf(page, citizens):  # noqa: F811
    c = citizens
    c.head.first_name, c.head.patronymic, c.head.last_name, c.head.position = "Пётр", "Ильич", "Сидоров", "Глава"
    c.head.save()
    appeal = _appeal(c)
    s.appeal_accept(appeal_id=appeal.pk, user=c.moderator)
    s.appeal_assign(appeal_id=appeal.pk, user=c.coordinator, executor_id=c.executor.pk)
    s.appeal_draft(appeal_id=appeal.pk, user=c.executor, text=ANSWER)
    s.appeal_send_for_approval(appeal_id=appeal.pk, user=c.executor)
    s.appeal_approve(appeal_id=appeal.pk, user=c.head)
    appeal = s.appeal_publish(appeal_id=appeal.pk, user=c.head)

    page.goto(f"/track/{appeal.number}/?key={appeal.access_token}")
    letter = page.locator("#answer-document")
    assert letter.locator("strong").inner_text() == "20 декабря"
    assert letter.locator("a", has_text="сайте").get_attribute("href") == "https://example.org/plan"
    assert letter.locator("li").all_inner_texts() == ["засыпать щебнем;", "уложить асфальт."]
    text = letter.inner_text()
    assert "**" not in text and "](" not in text
    # The date of the letter is the region's (Moscow) day: after 21:00 UTC it is already the next one.
    assert f"№ {appeal.number}/1 от {timezone.localtime(appeal.answered_at):%d.%m.%Y}" in page.inner_text("#answer-ref")
    assert "Администрация Тестовска" in text and "Адресат: Анна Смирнова" in text
    assert "Глава" in page.inner_text("#answer-signatory") and "П. И. Сидоров" in page.inner_text("#answer-signatory")
    with page.expect_download() as download:
        page.click("#answer-pdf")
    assert download.value.suggested_filename == f"answer-{appeal.number}.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    shots(page, "tracking-answer")

    page.goto(f"/public/{appeal.number}/")
    assert page.locator("#answer-document strong").inner_text() == "20 декабря"
    assert "Анна Смирнова" not in page.inner_text("main")


def test_staff_see_the_photos_the_files_and_the_map_on_the_card(page, citizens):  # noqa: F811
    appeal = _appeal(citizens)
    s.appeal_accept(appeal_id=appeal.pk, user=citizens.moderator)
    for number, color in enumerate([(40, 120, 200), (200, 80, 40)], start=1):
        photo = Attachment(appeal=appeal, kind="image", content_type="image/jpeg", original_name=f"яма-{number}.jpg",
                           size=50_000)
        photo.file.save(f"p{number}.jpg", ContentFile(_photo(color)), save=True)
    document = Attachment(appeal=appeal, kind="document", content_type="application/pdf",
                          original_name="акт осмотра.pdf", size=12)
    document.file.save("d.pdf", ContentFile(b"%PDF-1.4 demo"), save=True)

    login(page, "coordinator")
    page.goto(f"/workspace/appeals/{appeal.pk}/")
    gallery = page.locator("#files .gallery img")
    assert gallery.count() == 2
    # A function, not an expression: Playwright polls an expression with eval, which the CSP refuses.
    page.wait_for_function("() => [...document.querySelectorAll('#files .gallery img')]"
                           ".every(i => i.naturalWidth > 0)")
    assert page.evaluate("document.querySelector('#files .gallery img').naturalWidth") == 320  # a thumbnail
    assert "акт осмотра.pdf" in page.inner_text("#files")
    page.wait_for_selector("#point-map.leaflet-container .leaflet-marker-icon")
    shots(page, "card")

    gallery.first.click()
    viewer = page.locator("#photo-viewer")
    viewer.wait_for(state="visible")
    page.wait_for_function("() => document.querySelector('#photo-viewer img').naturalWidth === 800")  # full size
    assert viewer.locator(".viewer-name").inner_text() == "яма-1.jpg"
    page.keyboard.press("Escape")
    viewer.wait_for(state="hidden")
    with page.expect_download() as download:
        page.locator("#files .documents a").first.click()
    assert download.value.suggested_filename == "акт осмотра.pdf"


def test_the_queue_fits_the_screen_one_line_a_row_with_keys(page, citizens):  # noqa: F811
    long = ("Во дворе дома по улице Садовой уже третью неделю не вывозят мусор, контейнеры переполнены, "
            "пакеты лежат на земле, бродячие собаки растаскивают отходы по всей детской площадке. ") * 4
    appeals = []
    for number in range(8):
        appeal = _appeal(citizens, text=f"{number + 1}. {long}", key=f"q{number}",
                         address=f"ул. Садовая, {number + 10}")
        appeals.append(s.appeal_accept(appeal_id=appeal.pk, user=citizens.moderator))

    login(page, "coordinator")
    page.goto("/workspace/queues/distribute/")
    table = page.locator("table.queue")
    table.wait_for()
    for width in (1280, 1920):
        page.set_viewport_size({"width": width, "height": 900})
        # Nothing runs off the screen: the table fits its column and the page does not scroll sideways.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert table.evaluate("t => t.getBoundingClientRect().right <= window.innerWidth")
        heights = page.eval_on_selector_all("table.queue tbody tr", "rows => rows.map(r => r.offsetHeight)")
        assert max(heights) < 70, heights
    page.set_viewport_size({"width": 1280, "height": 900})
    first = page.locator("table.queue tbody tr").first
    assert "Город Тестовск, ул. Садовая" in first.locator("td.excerpt .meta").inner_text()
    assert "мин" in first.locator("td.age").inner_text()

    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.dataset.appeal") == first.get_attribute("data-appeal")
    page.keyboard.press("j")
    second = page.locator("table.queue tbody tr").nth(1)
    assert "current" in second.get_attribute("class")
    page.keyboard.press("k")
    assert "current" in first.get_attribute("class")
    closed = first.evaluate("r => r.offsetHeight")
    page.keyboard.press("o")  # the whole text opens in place
    assert first.locator("details").evaluate("d => d.open")
    assert first.evaluate("r => r.offsetHeight") > closed * 2
    page.keyboard.press("o")
    shots(page, "queue")
    page.keyboard.press("j")
    page.keyboard.press("k")
    number = first.get_attribute("data-appeal")
    page.keyboard.press("Enter")  # opens the card of the current row
    page.wait_for_url(re.compile(r".*/workspace/appeals/\d+/$"))
    assert page.inner_text("h1") == f"Обращение № {number}"
    assert number in {a.number for a in appeals}


def test_error_pages_are_russian_with_a_way_back(page, citizens):  # noqa: F811
    response = page.goto("/no-such-page/")
    assert response.status == 404
    assert page.inner_text("h1") == "Страница не найдена"
    assert "DEBUG" not in page.content()
    shots(page, "error-404")
    page.click("#way-back >> text=На главную страницу")
    page.wait_for_url(re.compile(r".*/$"))

    # A form whose protection cookie is gone (a long pause, cookies cleared) gets a Russian page.
    page.goto("/accounts/login/")
    page.context.clear_cookies()
    page.fill("#id_username", "coordinator")
    page.fill("#id_password", "secret-pass-1")
    page.click("button[type=submit]")
    assert page.inner_text("h1") == "Форма устарела"
    assert "DEBUG" not in page.content() and page.locator("#way-back a").count() >= 2


def test_the_start_page(page, citizens):  # noqa: F811
    c = citizens
    region = region_settings()
    region.name, region.map_centre_lat, region.map_centre_lon, region.map_zoom = "Северная область", 55.5, 37.5, 11
    region.emblem.save("emblem.png", ContentFile(_photo((180, 30, 30))), save=False)
    region.save()
    appeal = _appeal(c)
    s.appeal_accept(appeal_id=appeal.pk, user=c.moderator)
    s.appeal_assign(appeal_id=appeal.pk, user=c.coordinator, executor_id=c.executor.pk)
    s.appeal_draft(appeal_id=appeal.pk, user=c.executor, text=ANSWER)
    s.appeal_send_for_approval(appeal_id=appeal.pk, user=c.executor)
    s.appeal_approve(appeal_id=appeal.pk, user=c.head)
    s.appeal_publish(appeal_id=appeal.pk, user=c.head)
    lamp = _appeal(c, text="Не горит фонарь во дворе дома 5, темно уже неделю.", key="b2", latitude=55.51,
                   longitude=37.52)
    s.appeal_accept(appeal_id=lamp.pk, user=c.moderator)
    page.goto("/")
    assert page.locator("a[href='/submit/']").count() >= 1
    assert page.inner_text("#region-title") == "Северная область" and page.locator("img.emblem").is_visible()
    assert "Как написать" in page.inner_text("#how-to-write")
    page.wait_for_selector("#public-map path.leaflet-interactive")
    assert page.locator("#public-map path.leaflet-interactive").count() == 2
    assert page.locator("#latest-answers a", has_text="Ямы на дороге").count() == 1
    assert "Администрация Тестовска" in page.inner_text("#on-time-ranking")
    shots(page, "start")


def test_the_receipt_and_the_tracking_page_explain_how_the_deadline_is_counted(page, citizens):  # noqa: F811
    from otklik.registry.selectors import region_calendar

    appeal = _appeal(citizens)
    steps = region_calendar().explain_calendar_days(appeal.term_started_at, 30)
    expected = f"зарегистрировано {steps.start:%d.%m.%Y}; 30 календарных дней → {steps.raw:%d.%m.%Y}"
    if steps.moved:
        expected += f", это выходной по производственному календарю → {steps.due:%d.%m.%Y}"
    for url in (f"/receipt/{appeal.number}/?key={appeal.access_token}",
                f"/track/{appeal.number}/?key={appeal.access_token}"):
        page.goto(url)
        box = page.locator("#deadlines-explained")
        assert box.is_visible() and "Как посчитаны сроки" in box.inner_text()
        assert expected in box.inner_text()
        assert f"{steps.due:%d.%m.%Y}" in page.inner_text("#receipt-due, #due")
    shots(page, "tracking-deadlines")


def test_the_applicant_adds_a_comment_and_a_photo_and_the_executor_sees_it(page, citizens, tmp_path):  # noqa: F811
    c = citizens
    appeal = _appeal(c, key="b3")
    s.appeal_accept(appeal_id=appeal.pk, user=c.moderator)
    s.appeal_assign(appeal_id=appeal.pk, user=c.coordinator, executor_id=c.executor.pk)
    photo = tmp_path / "yama.jpg"
    photo.write_bytes(_photo((90, 90, 90)))
    page.goto(f"/track/{appeal.number}/?key={appeal.access_token}")
    page.fill("#id_update_text", "Яма стала глубже, рядом провалился бордюр.")
    page.set_input_files("#id_update_files", str(photo))
    shots(page, "tracking-add-comment")
    page.click("#comment-button")
    history = page.inner_text("#history")
    assert "Вы дополнили сообщение" in history and "Яма стала глубже" in history and "1 файл" in history
    login(page, "executor")
    page.goto(f"/workspace/appeals/{appeal.pk}/")
    card = page.inner_text("main")
    assert "Заявитель добавил комментарий" in card and "Яма стала глубже" in card
    assert page.locator("img[src*='size=thumb']").count() >= 1
    shots(page, "card-applicant-comment")
