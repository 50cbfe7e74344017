"""Adds a territory column to the Kursk appeals for ``routing_eval --territory-col`` (bench/README.md).

    .venv/bin/python bench/kursk_territory.py ../shared/data/kursk-appeals-2022/train_dataset_train.csv \
        /tmp/kursk-with-territory.csv

The Kursk files name no place, so the territory is read from the text, as routing does when a citizen gives
no point: the first lemma that names one of the region's districts or towns (the public list of the Kursk
region's 28 districts and 5 towns of regional significance), else «Курск» when the city's streets or
districts are named, else empty. The output goes wherever it is asked (never into the repository).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from otklik.routing.text import lemmas

_DISTRICT_NAMES = (
    "беловский большесолдатский глушковский горшеченский дмитриевский железногорский золотухинский касторенский "
    "конышевский кореневский курский курчатовский льговский мантуровский медвенский обоянский октябрьский "
    "поныровский пристенский рыльский советский солнцевский суджанский тимский фатежский хомутовский "
    "черемисиновский щигровский"
)
DISTRICTS = set(_DISTRICT_NAMES.split())
TOWNS = {"курск": "Курск", "железногорск": "Железногорск", "курчатов": "Курчатов", "льгов": "Льгов",
         "щигры": "Щигры"}
CITY_OF_KURSK = {"сеймский", "железнодорожный", "центральный"}  # the city's three okrugs


def territory(text: str) -> str:
    words = lemmas(text)
    for i, word in enumerate(words):
        if word in DISTRICTS and i + 1 < len(words) and words[i + 1] == "район":
            return word.capitalize() + " район"
        if word in TOWNS:
            return TOWNS[word]
        if word == "курский" and i + 1 < len(words) and words[i + 1] == "область":
            continue
    for i, word in enumerate(words):
        if word in CITY_OF_KURSK and i + 1 < len(words) and words[i + 1] == "округ":
            return "Курск"
    return ""


def main() -> None:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    with source.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    found = 0
    for row in rows:
        row["Территория"] = territory(row["Текст Сообщения"])
        found += bool(row["Территория"])
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"{found} of {len(rows)} rows got a territory", file=sys.stderr)


if __name__ == "__main__":
    main()
