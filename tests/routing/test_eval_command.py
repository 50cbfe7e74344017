"""``manage.py routing_eval``: the contract scripts depend on (one JSON object, no database)."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from otklik.routing.synthetic import messages

KEYS = {"accuracy", "macro_f1", "per_class", "predictions_per_second", "train_seconds"}


def _write_csv(path, items, delimiter=","):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(["текст", "категория", "орган", "район"])
        for m in items:
            writer.writerow([m.text, m.category, m.organization, m.territory])


def _write_jsonl(path, items):
    with path.open("w", encoding="utf-8") as handle:
        for m in items:
            row = {"текст": m.text, "категория": m.category, "орган": m.organization, "район": m.territory}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _eval(*args):
    out = io.StringIO()
    call_command("routing_eval", *args, stdout=out)
    return json.loads(out.getvalue())


def test_it_trains_on_a_csv_and_scores_a_jsonl_file(tmp_path):
    _write_csv(tmp_path / "train.csv", messages(400, seed=1), delimiter=";")
    _write_jsonl(tmp_path / "test.jsonl", messages(100, seed=2, confusion=0.0))
    result = _eval("--train", str(tmp_path / "train.csv"), "--test", str(tmp_path / "test.jsonl"),
                   "--text-col", "текст", "--label-col", "категория")
    assert set(result) >= KEYS
    assert result["accuracy"] > 0.95
    assert set(result["per_class"]) == {"дороги", "освещение", "мусор", "транспорт", "вода"}
    assert sum(c["support"] for c in result["per_class"].values()) == 100
    assert set(result["per_class"]["вода"]) == {"precision", "recall", "f1", "support"}
    assert result["predictions_per_second"] > 0 and result["train_seconds"] > 0


def test_k_folds_predict_every_row_once_and_the_territory_helps_the_organisation(tmp_path):
    _write_csv(tmp_path / "all.csv", messages(450, seed=3, confusion=0.0))
    common = ["--train", str(tmp_path / "all.csv"), "--text-col", "текст", "--label-col", "орган", "--folds", "3"]
    alone = _eval(*common)
    with_place = _eval(*common, "--territory-col", "район")
    assert alone["folds"] == 3 and sum(c["support"] for c in alone["per_class"].values()) == 450
    # Words cannot tell one district's administration from another's; the territory can.
    assert alone["accuracy"] < 0.75
    assert with_place["accuracy"] > 0.9


def test_the_output_is_one_json_object_on_stdout(tmp_path):
    _write_csv(tmp_path / "train.csv", messages(120, seed=4))
    out = io.StringIO()
    call_command("routing_eval", "--train", str(tmp_path / "train.csv"), "--folds", "2",
                 "--text-col", "текст", "--label-col", "категория", stdout=out)
    assert len(out.getvalue().strip().splitlines()) == 1
    assert isinstance(json.loads(out.getvalue()), dict)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--text-col", "нет", "--label-col", "категория", "--folds", "2"], "no column нет"),
        (["--text-col", "текст", "--label-col", "категория"], "--test FILE or --folds"),
        (["--text-col", "текст", "--label-col", "категория", "--folds", "1"], "at least 2"),
    ],
)
def test_bad_arguments_are_clear_errors(tmp_path, args, message):
    _write_csv(tmp_path / "train.csv", messages(30, seed=5))
    with pytest.raises(CommandError, match=message):
        call_command("routing_eval", "--train", str(tmp_path / "train.csv"), *args, stdout=io.StringIO())


def test_a_file_that_is_not_utf8_is_named_in_the_error(tmp_path):
    (tmp_path / "bad.csv").write_bytes("текст,категория\nяма,дороги\n".encode("cp1251"))
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("routing_eval", "--train", str(tmp_path / "bad.csv"), "--folds", "2",
                     "--text-col", "текст", "--label-col", "категория", stdout=io.StringIO())


def test_keywords_teach_a_label_the_history_lacks_and_are_never_scored(tmp_path):
    from otklik.routing.synthetic import VOCABULARY

    known = ("дороги", "освещение", "мусор", "транспорт")
    _write_csv(tmp_path / "train.csv", messages(300, seed=6, categories=known))
    _write_csv(tmp_path / "test.csv", messages(200, seed=7, confusion=0.0))
    with (tmp_path / "keywords.csv").open("w", encoding="utf-8") as handle:
        handle.write("слова,категория\n")
        for word in VOCABULARY["вода"]:
            handle.write(f"{word},вода\n")
    common = ["--train", str(tmp_path / "train.csv"), "--test", str(tmp_path / "test.csv"),
              "--text-col", "текст", "--label-col", "категория"]
    without = _eval(*common)
    with_words = _eval(*common, "--keywords", str(tmp_path / "keywords.csv"), "--keywords-col", "слова")
    assert without["per_class"]["вода"]["recall"] == 0
    assert with_words["per_class"]["вода"]["recall"] > 0.5
    assert sum(c["support"] for c in with_words["per_class"].values()) == 200  # keyword rows are not scored
