"""Places named in a message's text, over the region's gazetteer: pure matching, no database.

A name matches where its lemmas occur in the text's lemmas in order («в деревне Большие Угоны» finds the
settlement «Большие Угоны»; «на ул. Ленина» the street «улица Ленина»). A street name repeats across towns,
so a street counts only where it is unique in the gazetteer or lies in a settlement the text also names.
The most precise wins: a street (it has a point), then a settlement, then a district.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from otklik.routing.text import clean, lemma, quick_tokens

_TOKEN = re.compile(r"[a-zа-яё]+(?:-[a-zа-яё]+)*|\d+", re.IGNORECASE)

# Street types and their abbreviations are not part of a street's name.
STREET_TYPES = frozenset({"улица", "ул", "проспект", "пр", "пр-т", "переулок", "пер", "площадь", "пл", "бульвар",
                          "б-р", "шоссе", "ш", "проезд", "тупик", "набережная", "наб", "микрорайон", "мкр"})
SETTLEMENT_TYPES = frozenset({"город", "г", "село", "с", "деревня", "д", "поселок", "пос", "п", "хутор", "х",
                              "слобода", "станица"})
KIND_ORDER = {"street": 0, "settlement": 1, "district": 2}


def name_key(name: str, kind: str) -> str:
    drop = STREET_TYPES if kind == "street" else SETTLEMENT_TYPES if kind == "settlement" else frozenset()
    words = [lemma(w) for w in quick_tokens(clean(name).lower().replace("ё", "е"))]
    return " ".join(w for w in words if w not in drop)


@dataclass(frozen=True)
class Entry:
    id: int
    kind: str
    key: str
    territory_id: int
    latitude: float | None
    longitude: float | None
    name: str


@dataclass(frozen=True)
class Found:
    entry: Entry

    @property
    def territory_id(self) -> int:
        return self.entry.territory_id


class Gazetteer:
    def __init__(self, entries: list[Entry], parents: dict[int, int | None] | None = None) -> None:
        self.by_key: dict[str, list[Entry]] = {}
        self.longest = 1
        for entry in entries:
            if entry.key:
                self.by_key.setdefault(entry.key, []).append(entry)
                self.longest = max(self.longest, len(entry.key.split()))
        self.parents = parents or {}

    def _within(self, territory_id: int, ancestor_id: int) -> bool:
        seen: set[int] = set()
        node: int | None = territory_id
        while node is not None and node not in seen:
            if node == ancestor_id:
                return True
            seen.add(node)
            node = self.parents.get(node)
        return False

    def find(self, text: str) -> Found | None:
        tokens = _TOKEN.findall(clean(text))
        words = [lemma(t.lower().replace("ё", "е")) for t in tokens]
        matched: list[Entry] = []
        for start in range(len(words)):
            for length in range(min(self.longest, len(words) - start), 0, -1):
                entries = self.by_key.get(" ".join(words[start:start + length]))
                # One word is a name only when written as one («Мира», «ул. мира»), not a common word («мир»).
                if entries and length == 1 and not tokens[start][0].isupper() and not (
                        start and words[start - 1] in STREET_TYPES | SETTLEMENT_TYPES):
                    entries = None
                if entries:
                    matched.extend(entries)
                    break
        if not matched:
            return None
        areas = [e for e in matched if e.kind != "street"]
        streets = []
        for entry in (e for e in matched if e.kind == "street"):
            namesakes = self.by_key.get(entry.key, [])
            unique = len({e.territory_id for e in namesakes if e.kind == "street"}) == 1
            if unique or any(self._within(entry.territory_id, a.territory_id) for a in areas):
                streets.append(entry)
        candidates = streets or areas
        if not candidates:
            return None
        best = min(candidates, key=lambda e: (KIND_ORDER.get(e.kind, 9), -len(e.key)))
        return Found(best)
