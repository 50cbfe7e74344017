"""A citizen in Chromium: submit with a photo and a map point → receipt → tracking page through every
later stage (driven by the services, as staff would) → rating → reconsideration. Also the widget."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from otklik.appeals import services as s
from otklik.appeals.lifecycle import State
from otklik.appeals.models import Appeal
from otklik.intake.models import Attachment
from tests.intake.conftest import _fast_passwords, citizens, jpeg_with_gps  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _local_tiles(settings, tmp_path):
    # No network here: the tile layer points at a local picture, so the map loads and can be clicked.
    settings.PORTAL_MAP_TILE_URL = "/static/leaflet/images/layers.png?{z}/{x}/{y}"
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_it_takes_a_citizen_from_the_form_to_reconsideration(page, screenshot, citizens, tmp_path):  # noqa: F811
    photo = tmp_path / "IMG_2031.jpg"
    photo.write_bytes(jpeg_with_gps())

    page.goto("/submit/")
    page.fill("#category-search", "выбоина")
    assert page.input_value("#id_category") == str(citizens.potholes.pk)
    assert page.inner_text("#deadline-hint") == "ответ в течение 30 дней"
    page.fill("#id_text", "Глубокая яма на проезжей части у дома 12, вчера пробил колесо.")
    assert page.inner_text("#text-counter") == "62 из 4000 символов"
    page.fill("#id_address", "ул. Садовая, 12")
    page.locator("#map").click(position={"x": 200, "y": 150})
    assert page.input_value("#id_latitude") and page.input_value("#id_longitude")
    assert page.locator("#point-status").is_visible()
    page.set_input_files("#id_files", str(photo))
    page.fill("#id_name", "Анна Смирнова")
    page.fill("#id_email", "anna@example.org")
    page.check("#id_consent")
    screenshot(page, "form-filled")
    page.click("#submit-button")

    page.wait_for_url(re.compile(r".*/receipt/.*"))
    appeal = Appeal.objects.get()
    assert page.inner_text("#receipt-number") == appeal.number
    assert page.inner_text("#receipt-due") == timezone.localtime(appeal.due_at).strftime("%d.%m.%Y")
    assert appeal.latitude is not None and Attachment.objects.filter(appeal=appeal, kind="image").count() == 1
    assert page.evaluate("localStorage.getItem('otklik-draft')") is None  # the draft is cleared
    screenshot(page, "receipt")

    page.click("#track-link")
    page.wait_for_url(re.compile(rf".*/track/{appeal.number}/\?key=.*"))
    assert page.inner_text("#status") == "Проверяется модератором"
    assert page.locator(".attachments img").count() == 1
    track_url = page.url

    def stage(expected_status):
        page.goto(track_url)
        assert page.inner_text("#status") == expected_status
        return page

    s.appeal_accept(appeal_id=appeal.pk, user=citizens.moderator)
    assert "Администрация Тестовска" in stage("Передано в организацию").inner_text("#organization")
    s.appeal_assign(appeal_id=appeal.pk, user=citizens.coordinator, executor_id=citizens.executor.pk)
    stage("Организация работает над сообщением")

    until = timezone.localdate() + dt.timedelta(days=50)
    s.appeal_postpone(appeal_id=appeal.pk, user=citizens.coordinator, until=until, reason="Нужен подрядчик")
    s.appeal_intermediate(appeal_id=appeal.pk, user=citizens.executor, text="Ремонт включён в план на июнь.")
    stage(f"Ответ отложен до {until:%d.%m.%Y}")
    assert page.inner_text("#due") == f"{until:%d.%m.%Y}"
    assert "Ремонт включён в план на июнь." in page.inner_text("#intermediate")
    assert f"Новая дата: {until:%d.%m.%Y}" in page.inner_text("#history")
    screenshot(page, "postponed")

    s.appeal_draft(appeal_id=appeal.pk, user=citizens.executor, text="Яма заделана 3 июня.")
    s.appeal_send_for_approval(appeal_id=appeal.pk, user=citizens.executor)
    s.appeal_approve(appeal_id=appeal.pk, user=citizens.head)
    stage("Ответ готовится")
    s.appeal_publish(appeal_id=appeal.pk, user=citizens.head)
    stage("Дан ответ: оцените его, пожалуйста")
    assert "Яма заделана 3 июня." in page.inner_text("#answer")
    screenshot(page, "answered")

    # An unsatisfactory rating without a comment is refused next to the field; the choice is kept.
    page.check("input[name=rating][value='1']")
    page.click("#rate-button")
    assert page.inner_text("#id_comment-error") == "Укажите, чем вас не устроил ответ."
    assert page.is_checked("input[name=rating][value='1']")
    screenshot(page, "rating-error")
    page.fill("#id_comment", "Яму засыпали песком, через день она снова появилась.")
    page.click("#rate-button")
    page.wait_for_url(re.compile(rf".*/track/{appeal.number}/.*"))
    assert page.inner_text("#status") == "Рассматривается повторно после вашей оценки"
    history = page.inner_text("#history")
    assert "Вы оценили ответ" in history and "Оценка: 1 из 5" in history and "Повторное рассмотрение" in history
    screenshot(page, "reconsideration")
    appeal.refresh_from_db()
    assert appeal.state == State.EXECUTION and appeal.reconsideration_count == 1


def test_it_keeps_what_was_typed_when_the_form_comes_back_with_errors(page, screenshot, citizens):  # noqa: F811
    page.goto("/submit/")
    page.select_option("#id_category", str(citizens.heating.pk))
    page.fill("#id_text", "Холодно")
    page.fill("#id_email", "не почта")
    page.click("#submit-button")
    page.wait_for_selector("#error-summary")
    assert page.inner_text("#id_text-error") == "Опишите проблему чуть подробнее (не меньше 10 символов)."
    assert page.inner_text("#id_email-error") == "Введите правильный e-mail, например name@example.ru."
    assert page.inner_text("#id_consent-error").startswith("Без согласия")
    assert page.input_value("#id_text") == "Холодно" and page.input_value("#id_category") == str(citizens.heating.pk)
    assert page.evaluate("document.activeElement.id") == "error-summary"
    screenshot(page, "errors")
    # A reload (or a crash of the browser tab) does not lose what was typed either.
    page.goto("/submit/")
    assert page.input_value("#id_text") == "Холодно"


def test_it_offers_to_join_an_open_message_nearby(page, citizens):  # noqa: F811
    from otklik.appeals.services import NewAppeal
    from otklik.intake.services import intake_submit

    first = intake_submit(NewAppeal(text="Яма у остановки", category=citizens.potholes, latitude=55.751,
                                    longitude=37.618, address="ул. Тверская, 1"), source="portal", intake_key="x1")
    s.appeal_accept(appeal_id=first.pk, user=citizens.moderator)
    page.goto(f"/submit/?category={citizens.potholes.pk}")
    page.evaluate("""() => { document.getElementById('id_latitude').value = '55.7512';
                            document.getElementById('id_longitude').value = '37.6181';
                            document.getElementById('id_category').dispatchEvent(new Event('change')); }""")
    page.wait_for_selector("#nearby li")
    assert first.number in page.inner_text("#nearby") and "Яма у остановки" in page.inner_text("#nearby")
    page.goto(f"/public/{first.number}/")
    page.fill("#id_email", "neighbour@example.org")
    page.click("#follow button[type=submit]")
    assert "Вы присоединились" in page.inner_text(".messages")
    assert first.followers.get().email == "neighbour@example.org"


@pytest.fixture
def other_site():
    """A page of another site (its own server on the loopback) that holds the widget's script tag."""
    import http.server
    import threading

    pages = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], pages
    server.shutdown()
    server.server_close()


def test_it_opens_the_form_from_the_widget_on_another_site(browser, live_server, citizens, screenshot, other_site):  # noqa: F811
    port, pages = other_site
    pages["/"] = (f'<html><body><h1>Сайт администрации</h1><script src="{live_server.url}/widget.js" '
                  f'data-org="{citizens.org.pk}"></script></body></html>')
    context = browser.new_context(locale="ru-RU")
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    tab.goto(f"http://127.0.0.1:{port}/")
    tab.click(".otklik-widget-button")
    frame = tab.frame_locator("iframe")
    frame.locator(".org-badge").wait_for()
    assert "Администрация Тестовска" in frame.locator(".org-badge").inner_text()
    frame.locator("#id_category").select_option(str(citizens.heating.pk))
    frame.locator("#id_text").fill("В квартире холодно, батареи еле тёплые.")
    frame.locator("#id_name").fill("Олег")
    frame.locator("#id_email").fill("oleg@example.org")
    frame.locator("#id_consent").check()
    frame.locator("#submit-button").click()
    frame.locator("#receipt-number").wait_for()
    screenshot(tab, "widget-receipt")
    appeal = Appeal.objects.get()
    assert frame.locator("#receipt-number").inner_text() == appeal.number
    assert appeal.channel == "widget" and appeal.submission.organization == citizens.org
    context.close()
