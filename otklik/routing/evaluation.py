"""Measuring a classifier on labelled files: the engine of ``manage.py routing_eval`` (no database).

Files are CSV (comma, semicolon or tab, detected) or JSON Lines, UTF-8 with a header row; a BOM is allowed.
Predictions are timed one message at a time on one core, as a moderator's queue asks for them.
"""

from __future__ import annotations

import csv
import json
import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sklearn.metrics import precision_recall_fscore_support
from threadpoolctl import threadpool_limits

from otklik.routing.classifier import TextClassifier

Row = dict[str, str]


class TableError(ValueError):
    """A file that cannot be read as the labelled table asked for (the message says why)."""


def read_table(path: Path) -> list[Row]:
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise TableError(f"{path}: not UTF-8 ({error})") from error
    except OSError as error:
        raise TableError(f"{path}: {error.strerror}") from error
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        rows = []
        for number, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as error:
                raise TableError(f"{path}:{number}: not JSON ({error.msg})") from error
            if not isinstance(value, dict):
                raise TableError(f"{path}:{number}: a line must be a JSON object")
            rows.append({str(k): "" if v is None else str(v) for k, v in value.items()})
        return rows
    try:
        dialect = csv.Sniffer().sniff(raw[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(raw.splitlines(True), dialect=dialect)
    return [{k: v or "" for k, v in row.items() if k is not None} for row in reader]


def labelled(rows: list[Row], text_col: str, label_col: str, territory_col: str | None, name: str) -> list[Row]:
    """The rows that have a text and a label; a missing column is an error naming the columns there are."""
    columns = [text_col, label_col] + ([territory_col] if territory_col else [])
    if rows:
        missing = [c for c in columns if c not in rows[0]]
        if missing:
            raise TableError(f"{name}: no column {', '.join(missing)} (columns: {', '.join(rows[0])})")
    kept = [r for r in rows if r.get(text_col, "").strip() and r.get(label_col, "").strip()]
    if not kept:
        raise TableError(f"{name}: no rows with both {text_col} and {label_col}")
    return kept


def _territories(rows: Sequence[Row], column: str | None) -> list[str | None] | None:
    if not column:
        return None
    return [r.get(column, "").strip() or None for r in rows]


def evaluate(
    train: Sequence[Row], test: Sequence[Row], *, text_col: str, label_col: str, territory_col: str | None = None,
    make: Callable[[], TextClassifier] = TextClassifier, extra: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """Train on ``train`` (and the ``extra`` (text, label) pairs: the labels' own words), predict every
    ``test`` row alone; the figures of one split plus the predictions."""
    with threadpool_limits(limits=1):
        model = make()
        started = time.perf_counter()
        places_train = _territories(train, territory_col)
        model.fit(
            [r[text_col] for r in train] + [text for text, _label in extra],
            [r[label_col].strip() for r in train] + [label for _text, label in extra],
            None if places_train is None else places_train + [None] * len(extra),
        )
        train_seconds = time.perf_counter() - started
        texts = [r[text_col] for r in test]
        places = _territories(test, territory_col) or [None] * len(texts)
        # First pass: word forms never seen are lemmatised and cut into n-grams now (a fresh process).
        started = time.perf_counter()
        predicted = [model.predict(text, place) for text, place in zip(texts, places, strict=True)]
        cold = time.perf_counter() - started
        # Second pass: the steady state of a running process, whose caches hold the region's word forms.
        started = time.perf_counter()
        for text, place in zip(texts, places, strict=True):
            model.predict(text, place)
        warm = time.perf_counter() - started
    return {
        "truth": [r[label_col].strip() for r in test],
        "predicted": predicted,
        "train_seconds": train_seconds,
        "cold_seconds": cold,
        "warm_seconds": warm,
    }


def cross_validate(
    rows: Sequence[Row], *, folds: int, text_col: str, label_col: str, territory_col: str | None = None,
    seed: int = 0, make: Callable[[], TextClassifier] = TextClassifier, extra: Sequence[tuple[str, str]] = (),
) -> list[dict[str, Any]]:
    """Stratified K folds (each label dealt round-robin after a seeded shuffle), one ``evaluate`` per fold."""
    if folds < 2:
        raise TableError("--folds must be at least 2")
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_label[row[label_col].strip()].append(i)
    rng = random.Random(seed)
    fold_of = [0] * len(rows)
    position = 0
    for label in sorted(by_label):
        members = by_label[label]
        rng.shuffle(members)
        for i in members:
            fold_of[i] = position % folds
            position += 1
    results = []
    for k in range(folds):
        train = [r for i, r in enumerate(rows) if fold_of[i] != k]
        test = [r for i, r in enumerate(rows) if fold_of[i] == k]
        results.append(
            evaluate(train, test, text_col=text_col, label_col=label_col, territory_col=territory_col, make=make,
                     extra=extra)
        )
    return results


def report(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The contract's JSON: pooled over the folds (every row predicted once, by a model that never saw it)."""
    truth = [t for r in results for t in r["truth"]]
    predicted = [p for r in results for p in r["predicted"]]
    labels = sorted(set(truth) | set(predicted))
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=labels, zero_division=0
    )
    in_truth = [i for i, label in enumerate(labels) if support[i] > 0]
    n = len(truth)
    warm = sum(r["warm_seconds"] for r in results)
    cold = sum(r["cold_seconds"] for r in results)
    return {
        "accuracy": round(sum(t == p for t, p in zip(truth, predicted, strict=True)) / n, 4),
        # Macro over the labels that occur in the truth (a label only ever predicted wrongly is still
        # counted in its true labels' recall and in precision of nothing else).
        "macro_f1": round(float(sum(f1[i] for i in in_truth) / len(in_truth)), 4),
        "per_class": {
            labels[i]: {
                "precision": round(float(precision[i]), 4),
                "recall": round(float(recall[i]), 4),
                "f1": round(float(f1[i]), 4),
                "support": int(support[i]),
            }
            for i in in_truth
        },
        "predictions_per_second": round(n / warm, 1) if warm else None,
        "predictions_per_second_cold": round(n / cold, 1) if cold else None,
        "train_seconds": round(sum(r["train_seconds"] for r in results) / len(results), 3),
        "rows": n,
        "folds": len(results),
    }
