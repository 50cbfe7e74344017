"""Issue 11 §12: personal data. Found in texts (names, phones, e-mails, home addresses) and masked on public
pages, the start page and Open311; shown to officials only where their work needs it and masked in lists
for others; every opening recorded and visible to the region's privacy officer; applicants made anonymous
after the region's term with statistics kept; one person's data exported on request."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging

import pytest
from django.core.management import CommandError, call_command

from otklik.accounts.models import Role
from otklik.appeals import chain
from otklik.appeals.models import Appeal, AppealEvent, PersonalDataAccess
from otklik.appeals.services import NewAppeal, appeal_comment
from otklik.core import pii
from otklik.intake.models import Attachment, PublicText
from otklik.intake.redact import public_texts
from otklik.intake.services import intake_submit
from otklik.notifications.models import Notice
from otklik.privacy.models import Anonymisation
from otklik.registry.selectors import region_settings
from tests import factories as f
from tests.intake.conftest import advance

pytestmark = pytest.mark.django_db

# Only the models find these: a third person named in the middle of a sentence, and the applicant's flat.
TEXT = ("Яма у дома 5 на улице Гагарина. Живу по адресу ул. Ленина, д. 7, кв. 12, позвоните Марии Петровне "
        "по номеру 8 912 345-67-89 или пишите maria@example.org.")


def submit(c, text=TEXT, key="pd:1", **extra):
    fields = {"applicant_name": "Пётр Сидоров", "applicant_email": "petr@example.org",
              "applicant_phone": "+79001112233", **extra}
    return intake_submit(NewAppeal(text=text, category=c.potholes, latitude=55.75, longitude=37.61,
                                   address="ул. Гагарина, 5", **fields), source="portal", intake_key=key)


# --- finding it -------------------------------------------------------------------------------------


def test_it_finds_phones_e_mails_names_and_home_addresses_but_keeps_where_the_problem_is():
    spans = pii.find_personal_data(TEXT)
    found = {(span.kind, span.text(TEXT)) for span in spans}
    assert (pii.PHONE, "8 912 345-67-89") in found and (pii.EMAIL, "maria@example.org") in found
    assert (pii.NAME, "Марии Петровне") in found
    assert any(kind == pii.ADDRESS and "кв. 12" in text for kind, text in found)
    masked = pii.mask(TEXT)
    assert "Яма у дома 5 на улице Гагарина." in masked  # the problem's place is not personal
    assert "Марии" not in masked and "912" not in masked and "maria@" not in masked and "кв. 12" not in masked
    assert "[имя скрыто]" in masked and "[телефон скрыт]" in masked and "[почта скрыта]" in masked
    assert "[адрес скрыт]" in masked


@pytest.mark.parametrize("phone", ["+7 (912) 345-67-89", "89123456789", "8-912-345-67-89", "+7 495 123 45 67",
                                   "+44 20 7946 0958"])
def test_it_finds_a_phone_in_every_usual_spelling(phone):
    assert pii.mask(f"Звоните: {phone}, вечером.", models=False) == "Звоните: [телефон скрыт], вечером."


def test_a_capitalised_word_that_is_no_name_stays_and_the_fast_pass_still_hides_what_is_known():
    assert pii.mask("Яма заделана 12 мая.") == "Яма заделана 12 мая."
    fast = pii.mask("Сидорову Петру ответили. Писал Иванов Иван Иванович.", names=["Пётр Сидоров"], models=False)
    assert "Сидоров" not in fast and "Иванов" not in fast


def test_log_lines_lose_phones_and_e_mails(caplog):
    logger = logging.getLogger("otklik.test")
    record = logger.makeRecord("otklik.test", logging.WARNING, __file__, 1, "send to %s failed, phone %s",
                               ("petr@example.org", "+7 912 345-67-89"), None)
    assert pii.MaskingFilter().filter(record)
    assert record.getMessage() == "send to [почта скрыта] failed, phone [телефон скрыт]"


# --- public pages and Open311 -----------------------------------------------------------------------


def test_public_pages_the_start_page_and_open311_show_the_text_masked(client, citizens):
    appeal = advance(submit(citizens), citizens, to="published")
    pages = {
        "start page": client.get("/").content.decode(),
        "public list": client.get("/public/").content.decode(),
        "public page": client.get(f"/public/{appeal.number}/").content.decode(),
        "open311": json.dumps(client.get(f"/open311/v2/requests/{appeal.number}.json").json(), ensure_ascii=False),
    }
    for where, body in pages.items():
        assert appeal.number in body, where
        for secret in ("Марии", "912 345", "maria@example.org", "Сидоров", "кв. 12"):
            assert secret not in body, (where, secret)
    assert "Яма у дома 5 на улице Гагарина." in pages["public page"]
    assert "[имя скрыто]" in pages["open311"]


def test_a_public_text_is_checked_once_per_version_of_it(client, citizens, monkeypatch):
    appeal = advance(submit(citizens), citizens, to="published")
    client.get(f"/public/{appeal.number}/")
    row = PublicText.objects.get(appeal=appeal, field="text")
    assert row.found["name"] >= 1 and row.found["phone"] == 1

    def no_models(*args, **kwargs):
        raise AssertionError("checked again")

    monkeypatch.setattr(pii, "find_personal_data", no_models)
    assert client.get(f"/public/{appeal.number}/").status_code == 200
    monkeypatch.undo()
    Appeal.objects.filter(pk=appeal.pk).update(text="Новая версия: звонить 8 912 000-00-00")
    assert "[телефон скрыт]" in client.get(f"/public/{appeal.number}/").content.decode()
    assert PublicText.objects.get(appeal=appeal, field="text").masked == "Новая версия: звонить [телефон скрыт]"


def test_texts_beyond_the_time_budget_get_the_fast_pass_now_and_the_models_in_the_background(citizens):
    appeals = [submit(citizens, key=f"pd:{i}", text=f"Позвоните Марии Петровне, {i}") for i in range(3)]
    texts = public_texts(appeals, ["text"], budget=0, enqueue=False)
    assert texts.get(appeals[0]) == "Позвоните [имя скрыто], 0"  # the first is always checked in full
    assert texts.late == [appeals[1].pk, appeals[2].pk]
    assert texts.get(appeals[1]) == "Позвоните Марии Петровне, 1"  # only the fast pass, not kept
    assert PublicText.objects.count() == 1
    public_texts(appeals, ["text"], budget=0)  # enqueues the rest; tests run tasks inline
    assert PublicText.objects.count() == 3
    assert public_texts(appeals, ["text"], budget=0).get(appeals[2]) == "Позвоните [имя скрыто], 2"


# --- officials: who sees it, and every opening recorded ---------------------------------------------


def test_opening_the_applicant_on_the_card_or_in_the_api_is_recorded(client, citizens):
    appeal = advance(submit(citizens), citizens, to="accept")
    client.force_login(citizens.coordinator)
    assert "petr@example.org" in client.get(f"/workspace/appeals/{appeal.pk}/").content.decode()
    assert client.get(f"/api/appeals/{appeal.pk}").json()["applicant"]["email"] == "petr@example.org"
    rows = list(PersonalDataAccess.objects.order_by("id").values_list("user__username", "appeal_id", "where",
                                                                      "role"))
    assert rows == [("coordinator", appeal.pk, "card", Role.COORDINATOR), ("coordinator", appeal.pk, "api",
                                                                            Role.COORDINATOR)]


def test_an_administrator_sees_no_applicant_and_texts_masked_in_lists_and_on_the_card(client, citizens):
    appeal = advance(submit(citizens), citizens, to="accept")
    admin = f.user("admin", (Role.ADMIN, citizens.org))
    client.force_login(admin)
    card = client.get(f"/workspace/appeals/{appeal.pk}/").content.decode()
    found = client.get("/workspace/search/", {"q": appeal.number}).content.decode()
    for body in (card, found):
        assert "petr@example.org" not in body and "912 345" not in body and "maria@example.org" not in body
    assert "Марии" not in card and "[телефон скрыт]" in found
    assert not PersonalDataAccess.objects.exists()
    client.force_login(citizens.coordinator)
    assert "8 912 345-67-89" in client.get("/workspace/search/", {"q": appeal.number}).content.decode()


def test_the_privacy_officer_reads_every_opening_and_filters_them_and_nobody_else_does(client, citizens):
    first = advance(submit(citizens), citizens, to="accept")
    second = advance(submit(citizens, key="pd:2"), citizens, to="accept")
    for user, appeal in ((citizens.coordinator, first), (citizens.moderator, second)):
        client.force_login(user)
        client.get(f"/workspace/appeals/{appeal.pk}/")
    officer = f.user("officer", (Role.PRIVACY_OFFICER, citizens.org), last_name="Защитина")
    client.force_login(officer)
    page = client.get("/workspace/privacy/").content.decode()
    assert first.number in page and second.number in page and "coordinator" in page and "moderator" in page
    assert "petr@example.org" not in page and "Марии" not in page  # the log names appeals, not applicants
    only = client.get("/workspace/privacy/", {"appeal": first.number}).content.decode()
    assert first.number in only and second.number not in only
    by_person = client.get("/workspace/privacy/", {"person": "moderator"}).content.decode()
    assert second.number in by_person and first.number not in by_person
    later = client.get("/workspace/privacy/", {"since": "2027-01-01"}).content.decode()
    assert first.number not in later
    assert "Просмотры персональных данных" in page  # in Russian, and offered in the officer's menu
    assert "/workspace/privacy/" in client.get("/workspace/").content.decode()
    # The officer sees no appeal itself, and the others do not see the log.
    assert client.get(f"/workspace/appeals/{first.pk}/").status_code == 404
    for user in (citizens.coordinator, citizens.moderator, f.user("admin", (Role.ADMIN, citizens.org))):
        client.force_login(user)
        assert client.get("/workspace/privacy/").status_code == 404
        assert "/workspace/privacy/" not in client.get("/workspace/").content.decode()


# --- retention ----------------------------------------------------------------------------------------


def test_applicants_are_made_anonymous_after_the_regions_term_and_statistics_stay(citizens, _controlled_clock):
    old = advance(submit(citizens), citizens, to="published")
    Attachment.objects.create(appeal=old, kind=Attachment.Kind.LINK, url="https://example.org/photo")
    before = {"number": old.number, "category": old.category_id, "organization": old.organization_id,
              "state": old.state, "received_at": old.received_at, "answered_at": old.answered_at,
              "events": AppealEvent.objects.filter(appeal=old).count()}
    # The applicant's own notices carry their text (a phone in it) and go to their address.
    assert Notice.objects.filter(appeal=old, email="petr@example.org").exists()
    _controlled_clock.shift(dt.timedelta(days=365 * 4))
    recent = advance(submit(citizens, key="pd:recent"), citizens, to="published")
    _controlled_clock.shift(dt.timedelta(days=365 + 30))  # the old one is past 5 years, the recent one is not

    out = io.StringIO()
    call_command("anonymise_applicants", "--dry-run", stdout=out)
    assert out.getvalue().startswith("1 appeal(s)") and not Anonymisation.objects.exists()
    call_command("anonymise_applicants", stdout=io.StringIO())

    old.refresh_from_db()
    assert (old.applicant_name, old.applicant_email, old.applicant_phone, old.applicant_address) == ("", "", "", "")
    assert "Марии" not in old.text and "912" not in old.text and "кв. 12" not in old.text
    assert old.text.startswith("Яма у дома 5 на улице Гагарина.")
    after = {"number": old.number, "category": old.category_id, "organization": old.organization_id,
             "state": old.state, "received_at": old.received_at, "answered_at": old.answered_at,
             "events": AppealEvent.objects.filter(appeal=old).count()}
    assert after == before
    assert chain.verify(old.events.order_by("at", "id"), old.last_event_hash, old.pk) == []
    assert not Attachment.objects.filter(appeal=old).exists()
    assert not Notice.objects.filter(appeal=old, email="petr@example.org").exists()
    assert not any("912 345" in body or "Сидоров" in body
                   for body in Notice.objects.filter(appeal=old).values_list("body", flat=True))
    recent.refresh_from_db()
    assert recent.applicant_email == "petr@example.org" and "Марии" in recent.text
    assert Anonymisation.objects.get().appeal_id == old.pk
    out = io.StringIO()
    call_command("anonymise_applicants", stdout=out)  # a second run finds nothing more
    assert out.getvalue().startswith("0 appeal(s)")


def test_a_region_that_keeps_data_for_good_anonymises_nothing(citizens, _controlled_clock):
    advance(submit(citizens), citizens, to="published")
    settings_row = region_settings()
    settings_row.personal_data_retention_years = 0
    settings_row.save()
    _controlled_clock.shift(dt.timedelta(days=365 * 20))
    out = io.StringIO()
    call_command("anonymise_applicants", stdout=out)
    assert "without a term" in out.getvalue() and not Anonymisation.objects.exists()


# --- one person's data on request ---------------------------------------------------------------------


def test_one_persons_data_is_exported_as_json_by_e_mail_or_account(citizens, tmp_path):
    citizen = f.user("citizen", email="petr@example.org", first_name="Пётр", last_name="Сидоров")
    mine = submit(citizens, applicant=citizen)
    by_mail = submit(citizens, key="pd:2", applicant_email="PETR@example.org")  # sent without signing in
    other = submit(citizens, key="pd:3", applicant_email="someone@example.org", applicant_name="Другой Человек")
    advance(mine, citizens, to="accept")
    appeal_comment(appeal_id=mine.pk, text="Дополняю: яма глубокая", user=citizen)
    out = io.StringIO()
    call_command("export_person", "--email", "petr@example.org", stdout=out)
    document = json.loads(out.getvalue())
    numbers = {a["number"] for a in document["appeals"]}
    assert numbers == {mine.number, by_mail.number} and other.number not in numbers
    assert document["account"]["login"] == "citizen" and document["account"]["surname"] == "Сидоров"
    first = next(a for a in document["appeals"] if a["number"] == mine.number)
    assert first["text"] == TEXT and first["applicant"]["phone"] == "+79001112233"
    assert [h["action"] for h in first["history"]][:2] == ["submit", "register"]
    assert any(h.get("details", {}).get("text") == "Дополняю: яма глубокая" for h in first["history"])
    assert not any("details" in h for h in first["history"] if h["action"] == "accept")
    target = tmp_path / "person.json"
    call_command("export_person", "--user", str(citizen.pk), "--output", str(target), stderr=io.StringIO())
    assert {a["number"] for a in json.loads(target.read_text(encoding="utf-8"))["appeals"]} == numbers


def test_one_finished_appeal_is_erased_at_once_on_the_persons_request_and_an_open_one_is_not(citizens):
    finished = advance(submit(citizens), citizens, to="published")
    still_open = advance(submit(citizens, key="pd:open"), citizens, to="accept")
    call_command("anonymise_applicants", "--appeal", finished.number, stdout=io.StringIO())
    finished.refresh_from_db()
    assert finished.applicant_email == "" and "912" not in finished.text
    with pytest.raises(CommandError):
        call_command("anonymise_applicants", "--appeal", still_open.number, stdout=io.StringIO())
    still_open.refresh_from_db()
    assert still_open.applicant_email == "petr@example.org"


def test_the_moderator_sees_what_will_be_hidden_before_the_text_is_public(client, citizens):
    appeal = submit(citizens)
    client.force_login(citizens.moderator)
    card = client.get(f"/workspace/appeals/{appeal.pk}/").content.decode()
    assert "В тексте есть персональные данные (имена: 1, телефоны: 1, адреса почты: 1, домашние адреса: 1)" in card
    assert "позвоните [имя скрыто] по номеру [телефон скрыт]" in card  # the public version, to check by eye
    # Checked and kept before publication: the first public showing finds it ready.
    assert PublicText.objects.filter(appeal=appeal, field="text", found__phone=1).exists()
    advance(appeal, citizens, to="accept")
    client.force_login(citizens.coordinator)
    assert 'id="personal-found"' not in client.get(f"/workspace/appeals/{appeal.pk}/").content.decode()


def test_downloading_an_sstu_export_opens_its_applicants_data_and_is_recorded(rworld, client,
                                                                                django_capture_on_commit_callbacks):
    import time_machine

    from tests.reports.conftest import local, make_appeal

    fz = make_appeal(rworld, at=local(2026, 3, 4), regime="fz59", channel="email", answer_after_hours=50)
    client.force_login(rworld.regional)
    with time_machine.travel(local(2026, 4, 1), tick=False), django_capture_on_commit_callbacks(execute=True):
        job = client.post("/api/reports/sstu/exports", {"day": "2026-03-01"}, content_type="application/json").json()
    export_id = client.get(f"/api/reports/jobs/{job['id']}").json()["result"]["export_id"]
    assert not PersonalDataAccess.objects.exists()
    assert client.get(f"/api/reports/sstu/exports/{export_id}/parts/1").status_code == 200
    assert client.get(f"/reports/sstu/exports/{export_id}/parts/1/").status_code == 200
    assert list(PersonalDataAccess.objects.values_list("appeal_id", "user_id", "where")) == [
        (fz.pk, rworld.regional.pk, "export")] * 2


def test_the_head_sees_what_the_public_page_will_hide_in_the_answer_before_it_is_published(client, citizens):
    from otklik.appeals import services as s

    appeal = advance(submit(citizens, text="Яма у дома 5"), citizens, to="assign")
    s.appeal_draft(appeal_id=appeal.pk, user=citizens.executor,
                   text="Уважаемый Пётр Сидоров! Яма заделана. Справки по телефону 8 912 345-67-89.")
    s.appeal_send_for_approval(appeal_id=appeal.pk, user=citizens.executor)
    client.force_login(citizens.head)
    card = client.get(f"/workspace/appeals/{appeal.pk}/").content.decode()
    assert "В ответе есть персональные данные (имена: 1, телефоны: 1)" in card
    assert "Яма заделана. Справки по телефону [телефон скрыт]." in card
    client.force_login(citizens.executor)  # the executor does not let the answer out
    assert 'id="personal-found"' not in client.get(f"/workspace/appeals/{appeal.pk}/").content.decode()
