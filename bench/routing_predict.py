"""Benchmark: single-message routing predictions per second on one core (no database).

    .venv/bin/python bench/routing_predict.py                       # generated messages
    .venv/bin/python bench/routing_predict.py --file ../shared/data/kursk-appeals-2022/train_dataset_train.csv \
        --text-col "Текст Сообщения" --label-col "Категория"

Trains the classifier on the first 80 % of the rows, then asks for one message at a time (as the workspace
and automatic routing do): ``predict`` and the card's ``suggest`` (top three with reasons). The first pass
meets word forms not yet cached (a fresh process); the following passes are the steady state. Prints one
JSON object; the figures are in bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

# One core, as the target says: numeric libraries must not spread over the machine.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from otklik.routing.classifier import TextClassifier  # noqa: E402
from otklik.routing.evaluation import labelled, read_table  # noqa: E402
from otklik.routing.synthetic import messages  # noqa: E402


def _rate(function, texts: list[str]) -> float:
    started = time.perf_counter()
    for text in texts:
        function(text)
    return len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", type=Path)
    parser.add_argument("--text-col", default="text")
    parser.add_argument("--label-col", default="label")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.file:
        rows = labelled(read_table(args.file), args.text_col, args.label_col, None, str(args.file))
        texts = [r[args.text_col] for r in rows]
        labels = [r[args.label_col] for r in rows]
    else:
        generated = messages(5000, seed=0)
        texts, labels = [m.text for m in generated], [m.category for m in generated]
    cut = len(texts) * 4 // 5
    model = TextClassifier().fit(texts[:cut], labels[:cut])
    unseen = texts[cut:]
    cold = _rate(model.predict, unseen)
    warm = [_rate(model.predict, unseen) for _ in range(args.repeats)]
    suggest = [_rate(model.suggest, unseen) for _ in range(args.repeats)]
    print(json.dumps({
        "messages": len(unseen),
        "mean_chars": round(statistics.mean(len(t) for t in unseen)),
        "labels": len(model.labels),
        "features": len(model._word_vocab) + len(model._char_vocab),
        "predict_per_second_first_pass": round(cold),
        "predict_per_second_median": round(statistics.median(warm)),
        "suggest_top3_per_second_median": round(statistics.median(suggest)),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
