"""``manage.py routing_eval --train FILE [--test FILE | --folds K] --text-col C --label-col L [--territory-col T]``

Trains the routing classifier on one labelled file and predicts another, or cross-validates one file in K
stratified folds, and prints one JSON object: ``accuracy``, ``macro_f1``, ``per_class`` (precision, recall,
f1, support), ``predictions_per_second`` (single messages, one core, a running process),
``predictions_per_second_cold`` (the first pass, word forms not yet cached) and ``train_seconds`` (per
fold). ``--keywords FILE [--keywords-col C]`` adds the labels' own words (category names, keywords, topic
names: a row per phrase with its label) to every training set, as ``routing_train`` adds the categories'
names and keywords to the history; they are never predicted. Scripts depend on this output; it needs no
database.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.routing.evaluation import TableError, cross_validate, evaluate, labelled, read_table, report


class Command(BaseCommand):
    help = "Measure routing on labelled CSV/JSONL files and print one JSON object (no database needed)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--train", type=Path, required=True, help="labelled file to train on")
        parser.add_argument("--test", type=Path, default=None, help="labelled file to predict")
        parser.add_argument("--text-col", required=True)
        parser.add_argument("--label-col", required=True)
        parser.add_argument("--territory-col", default=None, help="a column naming the place, used as a feature")
        parser.add_argument("--folds", type=int, default=None, help="cross-validate --train in K folds")
        parser.add_argument("--seed", type=int, default=0, help="shuffle of the folds")
        parser.add_argument("--keywords", type=Path, default=None,
                            help="the labels' own words (names, keywords, topics): more training rows, never tested")
        parser.add_argument("--keywords-col", default=None, help="text column of --keywords (default: --text-col)")

    def handle(self, *args: Any, **options: Any) -> None:
        columns = {
            "text_col": options["text_col"],
            "label_col": options["label_col"],
            "territory_col": options["territory_col"],
        }
        try:
            train = labelled(read_table(options["train"]), name=str(options["train"]), **columns)
            extra: list[tuple[str, str]] = []
            if options["keywords"] is not None:
                column = options["keywords_col"] or options["text_col"]
                rows = labelled(read_table(options["keywords"]), column, options["label_col"], None,
                                str(options["keywords"]))
                extra = [(r[column], r[options["label_col"]].strip()) for r in rows]
            if options["test"] is not None:
                if options["folds"]:
                    raise CommandError("give either --test or --folds, not both")
                test = labelled(read_table(options["test"]), name=str(options["test"]), **columns)
                results = [evaluate(train, test, extra=extra, **columns)]
            elif options["folds"]:
                results = cross_validate(train, folds=options["folds"], seed=options["seed"], extra=extra, **columns)
            else:
                raise CommandError("give --test FILE or --folds K")
        except TableError as error:
            raise CommandError(str(error)) from error
        except ValueError as error:  # e.g. a single label in the training file
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(report(results), ensure_ascii=False))
