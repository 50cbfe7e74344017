"""``manage.py escalations_replay FILE [--from DATE]``: the contract scripts depend on."""

import csv
import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from otklik.escalations.synthetic import Burst, stream

TZ = ZoneInfo("Europe/Moscow")
KEYS = {"opened_at", "kind", "territory", "category", "appeals", "first_appeal_at"}


def _replay(path, *args):
    out = io.StringIO()
    call_command("escalations_replay", str(path), *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def _write_csv(path, items, local=False):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["created", "text", "category", "district", "lat", "lon"])
        for item in items:
            created = item.created.astimezone(TZ)
            writer.writerow([created.replace(tzinfo=None).isoformat() if local else created.isoformat(),
                             item.text, item.category or "", item.territory or "", "", ""])


@pytest.mark.django_db
def test_a_csv_with_a_burst_prints_one_spike_then_the_totals(tmp_path):
    burst = Burst(start=dt.datetime(2025, 3, 1, 22, 0, tzinfo=TZ), hours=5, count=45, category="ЖКХ",
                  district="Заречный")
    items = stream(start=dt.date(2025, 1, 1), days=70, daily=200, seed=7, bursts=(burst,))
    path = tmp_path / "rows.csv"
    _write_csv(path, items, local=True)  # local region time, no offset
    lines = _replay(path)
    assert lines[-1] == {"escalations": 1, "rows": len(items)}
    (esc,) = lines[:-1]
    assert set(esc) == KEYS
    assert (esc["kind"], esc["territory"], esc["category"]) == ("spike", "Заречный", "ЖКХ")
    opened = dt.datetime.fromisoformat(esc["opened_at"])
    assert burst.start <= opened <= burst.start + dt.timedelta(hours=5)
    assert dt.datetime.fromisoformat(esc["first_appeal_at"]) <= opened
    assert esc["appeals"] >= 45


@pytest.mark.django_db
def test_jsonl_with_a_lexicon_hit_and_a_negated_phrase(tmp_path):
    rows = [
        {"created": "2025-02-01T08:00:00+03:00", "text": "Свет дали, спасибо", "district": "Южный"},
        {"created": "2025-02-01T09:00:00+03:00", "text": "Свет уже есть", "district": "Южный"},
        {"created": "2025-02-01T10:00:00+03:00", "text": "Нет света в доме 4 с утра", "district": "Южный",
         "reason": "Электроснабжение"},
        {"created": "2025-02-01T07:30:00Z", "text": "И у нас нет света", "district": "Южный",
         "reason": "Электроснабжение"},
    ]
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    lines = _replay(path)
    assert lines[-1] == {"escalations": 1, "rows": 4}
    assert lines[0] == {"opened_at": "2025-02-01T10:00:00+03:00", "kind": "significant", "territory": "Южный",
                        "category": "Электроснабжение", "appeals": 2, "first_appeal_at": "2025-02-01T10:00:00+03:00"}


@pytest.mark.django_db
def test_rows_before_from_only_build_the_history(tmp_path):
    rows = [{"created": "2025-02-01T10:00:00+03:00", "text": "Пожар в подъезде", "district": "А"},
            {"created": "2025-02-05T10:00:00+03:00", "text": "Пожар на складе", "district": "Б"}]
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    lines = _replay(path, "--from", "2025-02-03")
    assert [line.get("territory") for line in lines[:-1]] == ["Б"]
    assert lines[-1] == {"escalations": 1, "rows": 2}


def test_the_replay_needs_no_database(tmp_path):
    # No django_db mark: any query would fail; detection still runs on the built-in lexicon.
    path = tmp_path / "rows.csv"
    path.write_text("created,text\n2025-02-01T10:00:00+03:00,Запах газа в подъезде\n", encoding="utf-8")
    lines = _replay(path)
    assert lines[-1] == {"escalations": 1, "rows": 1} and lines[0]["kind"] == "significant"


@pytest.mark.django_db
def test_a_bad_time_names_its_row(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("created,text\n2025-02-01T10:00:00+03:00,ok\nвчера,плохо\n", encoding="utf-8")
    with pytest.raises(CommandError, match="3"):
        _replay(path)


@pytest.mark.django_db
def test_a_file_without_created_is_refused(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("when,text\n2025-02-01,x\n", encoding="utf-8")
    with pytest.raises(CommandError):
        _replay(path)
