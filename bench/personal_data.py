"""Benchmark: finding personal data in appeals' texts (core/pii.py), on one core, no database.

    .venv/bin/python bench/personal_data.py [--count 300]
    .venv/bin/python bench/personal_data.py --file ../shared/data/kursk-appeals-2022/train_dataset_train.csv \
        --text-col "Текст Сообщения" --count 300

Generated messages (routing's synthetic vocabulary) get, each with its own chance, a third person's name in
a sentence, a phone in one of the usual spellings, an e-mail, a home address with a flat number, and always
the place of the problem («у дома N на улице …»), which must stay. Recall is the share of planted items
whose text disappears from the masked message; «problem place kept» is the share of messages whose place
survives; «placeholders beyond planted» counts hidden spans that were not planted (over-masking). Rates
are texts per second after the models are loaded (load time reported apart). Prints one JSON object; the
figures are in bench/README.md. With ``--file`` (real appeals, HTML stripped) there is no truth to count
recall against: it reports how many texts have something hidden, by kind, and the rate on real lengths.
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import os
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")
os.environ.setdefault("OTKLIK_DEV", "1")

import django  # noqa: E402

django.setup()

from otklik.core import pii  # noqa: E402
from otklik.routing.synthetic import messages  # noqa: E402

PEOPLE = [("Марии Петровне", "Мария Петровна"), ("Ивану Сергеевичу", "Иван Сергеевич"),
          ("Ольге Николаевне Смирновой", "Ольга Николаевна Смирнова"), ("Петру Кузнецову", "Пётр Кузнецов"),
          ("Анне Викторовне", "Анна Викторовна"), ("Дмитрию Орлову", "Дмитрий Орлов")]
STREETS = ["Ленина", "Гагарина", "Мира", "Садовой", "Советской", "Пушкина"]
PHONES = ["8 912 {a}-{b}-{c}", "+7 (495) {a}-{b}-{c}", "89{a}{b}{c}45", "+7-921-{a}-{b}-{c}"]


def planted(rng: random.Random, base: str) -> tuple[str, dict[str, str], str]:
    place = f"у дома {rng.randint(1, 90)} на улице {rng.choice(STREETS)}"
    items: dict[str, str] = {}
    parts = [f"{base} {place}."]
    if rng.random() < 0.6:
        dative, _nominative = rng.choice(PEOPLE)
        items["name"] = dative
        parts.append(f"Прошу передать {dative}, что ждём ответа.")
    if rng.random() < 0.6:
        phone = rng.choice(PHONES).format(a=rng.randint(100, 999), b=rng.randint(10, 99), c=rng.randint(10, 99))
        items["phone"] = phone
        parts.append(f"Мой телефон {phone}.")
    if rng.random() < 0.4:
        email = f"user{rng.randint(1, 999)}@example.org"
        items["email"] = email
        parts.append(f"Пишите на {email}.")
    if rng.random() < 0.4:
        flat = f"ул. {rng.choice(STREETS)}, д. {rng.randint(1, 90)}, кв. {rng.randint(1, 200)}"
        items["address"] = flat
        parts.append(f"Живу по адресу {flat}.")
    return " ".join(parts), items, place


def rate(function, texts: list[str]) -> float:
    started = time.perf_counter()
    for text in texts:
        function(text)
    return len(texts) / (time.perf_counter() - started)


def real(path: Path, column: str, count: int) -> None:
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    random.Random(0).shuffle(rows)
    texts = [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", r[column]))).strip() for r in rows[:count]]
    started = time.perf_counter()
    pii.load_models()
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    found = [pii.find_personal_data(text) for text in texts]
    seconds = time.perf_counter() - started
    texts_with = Counter(kind for spans in found for kind in {s.kind for s in spans})
    print(json.dumps({
        "messages": len(texts), "mean_chars": round(sum(map(len, texts)) / len(texts)),
        "models_load_seconds": round(load_seconds, 1),
        "texts_with_personal_data": sum(1 for spans in found if spans),
        "texts_with_kind": dict(sorted(texts_with.items())),
        "full_per_second": round(len(texts) / seconds, 1),
    }, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--file", type=Path)
    parser.add_argument("--text-col", default="text")
    args = parser.parse_args()
    if args.file:
        real(args.file, args.text_col, args.count)
        return
    rng = random.Random(0)
    cases = [planted(rng, m.text) for m in messages(args.count, seed=1)]
    started = time.perf_counter()
    pii.load_models()
    load_seconds = time.perf_counter() - started
    masked = [pii.mask(text) for text, _items, _place in cases]
    recall: dict[str, list[bool]] = {}
    for (_text, items, _place), result in zip(cases, masked, strict=True):
        for kind, value in items.items():
            recall.setdefault(kind, []).append(value not in result)
    marks = ("[имя скрыто]", "[телефон скрыт]", "[почта скрыта]", "[адрес скрыт]")
    extra = sum(max(0, sum(result.count(m) for m in marks) - len(items))
                for (_t, items, _p), result in zip(cases, masked, strict=True))
    kept = sum(place in result for (_t, _i, place), result in zip(cases, masked, strict=True)) / len(cases)
    texts = [text for text, _items, _place in cases]
    print(json.dumps({
        "messages": len(cases),
        "mean_chars": round(sum(map(len, texts)) / len(texts)),
        "models_load_seconds": round(load_seconds, 1),
        "recall": {kind: round(sum(hits) / len(hits), 3) for kind, hits in sorted(recall.items())},
        "planted": {kind: len(hits) for kind, hits in sorted(recall.items())},
        "problem_place_kept": round(kept, 3),
        "placeholders_beyond_planted": extra,
        "full_per_second": round(rate(pii.mask, texts), 1),
        "fast_pass_per_second": round(rate(lambda t: pii.mask(t, models=False), texts)),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
