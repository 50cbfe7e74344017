"""The significance lexicon: signal phrases matched on lemmas, with negation handled.

A phrase is a few words («нет света», «пожар», «дети в опасности»); it matches when all its lemmas occur
in one clause of the text (clauses end at punctuation and at «но», «а», «однако», «зато»), in any
order, close together. Negators («не», «нет», «без», «ни») are one word for matching, so «нет света»,
«света не было» and «без света» are the same signal.

Negation works both ways:
- an *absence* phrase (one that contains a negator or a word of loss such as «отключить») is cancelled
  by a word of restoration in the same clause that is not itself negated: «свет дали», «воду уже
  включили» are not «нет света»; «свет не дали» still is;
- any other phrase is cancelled by a negator or a word of resolution in its clause: «пожара нет»,
  «аварии не было», «аварию устранили» are not «авария».
«Свет уже есть» contains no negator at all, so it never matches «нет света».

Pure Python, no database: the replay and the live detector share it; the region edits the phrases in
the admin (models.SignalPhrase), and the built-in ones below seed that table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import razdel

from otklik.routing.text import clean, lemma

NEGATION = "НЕ"
_NEGATORS = frozenset({"не", "нет", "без", "ни", "отсутствовать", "отсутствие"})
# Words that make a phrase an absence («отключили свет» is an absence like «нет света»).
_LOSS = frozenset({NEGATION, "отключить", "отключение", "пропасть", "перебой", "перебои"})
_RESTORED = frozenset({"дать", "включить", "восстановить", "появиться", "вернуть", "подать", "дали", "возобновить",
                       "наладить", "починить", "устранить", "есть"})
_RESOLVED = frozenset({"устранить", "ликвидировать", "локализовать"})
_CLAUSE_WORDS = frozenset({"но", "а", "однако", "зато"})
_CLAUSE_PUNCT = re.compile(r"^[.,;:!?…()\[\]«»\"—–-]+$")
_WORD = re.compile(r"[а-яёa-z0-9]", re.IGNORECASE)
# How far apart the words of one phrase may stand (extra words between them).
_SLACK = 3

# (phrase, signal group): the built-in lexicon, seeded into SignalPhrase for the region to edit.
DEFAULT_PHRASES: tuple[tuple[str, str], ...] = (
    ("нет воды", "water"), ("отключили воду", "water"), ("нет холодной воды", "water"),
    ("нет горячей воды", "water"), ("прорыв трубы", "water"), ("прорыв водопровода", "water"),
    ("нет света", "power"), ("нет электричества", "power"), ("отключили свет", "power"),
    ("нет электроэнергии", "power"), ("отключение электроэнергии", "power"),
    ("нет отопления", "heating"), ("нет тепла", "heating"), ("холодные батареи", "heating"),
    ("отключили отопление", "heating"),
    ("нет газа", "gas"), ("запах газа", "gas"), ("утечка газа", "gas"),
    ("авария", "accident"), ("взрыв", "accident"), ("затопило", "flood"), ("подтопление", "flood"),
    ("пожар", "fire"), ("горит дом", "fire"), ("горит здание", "fire"), ("горит лес", "fire"), ("возгорание", "fire"),
    ("обрушение", "collapse"), ("обрушился", "collapse"), ("рухнул", "collapse"),
    ("дети в опасности", "children"), ("угроза жизни детей", "children"), ("угроза жизни", "danger"),
    ("канализация затопила", "sewage"),
)

GROUP_LABELS = {
    "water": "вода", "power": "электроснабжение", "heating": "отопление", "gas": "газ", "accident": "авария",
    "flood": "подтопление", "fire": "пожар", "collapse": "обрушение", "children": "дети в опасности",
    "danger": "угроза жизни", "sewage": "канализация",
}


def _norm(word: str) -> str:
    value = lemma(word)
    return NEGATION if value in _NEGATORS else value


def clauses(text: str) -> list[list[str]]:
    """Normalised lemmas of the text, one list per clause."""
    result: list[list[str]] = [[]]
    for token in razdel.tokenize(clean(text).lower()):
        word = token.text
        if _CLAUSE_PUNCT.match(word) or word in _CLAUSE_WORDS:
            if result[-1]:
                result.append([])
            continue
        if _WORD.search(word):
            result[-1].append(_norm(word))
    return [clause for clause in result if clause]


_STOP = frozenset({"в", "на", "у", "с", "к", "по", "и", "для", "из", "от", "о", "об", "за"})


@dataclass(frozen=True)
class Phrase:
    text: str
    group: str
    words: tuple[str, ...]  # normalised lemmas, prepositions dropped

    @property
    def absence(self) -> bool:
        return any(word in _LOSS for word in self.words)


def compile_phrase(text: str, group: str = "") -> Phrase:
    words = tuple(dict.fromkeys(w for clause in clauses(text) for w in clause if w not in _STOP))
    return Phrase(text=text, group=group or text, words=words)


@dataclass(frozen=True)
class Hit:
    phrase: Phrase
    clause: str


class Lexicon:
    """Compiled phrases, indexed by their rarest-looking word (the last one) for a quick first test."""

    def __init__(self, phrases: Iterable[tuple[str, str]]) -> None:
        self.phrases = [compile_phrase(text, group) for text, group in phrases]
        self.phrases = [phrase for phrase in self.phrases if phrase.words]
        self._by_word: dict[str, list[Phrase]] = {}
        for phrase in self.phrases:
            anchor = next((w for w in phrase.words if w not in _LOSS), phrase.words[0])
            self._by_word.setdefault(anchor, []).append(phrase)

    def match(self, text: str) -> Hit | None:
        """The first phrase that the text states and does not negate, or None."""
        if not self._by_word or not text:
            return None
        for clause in clauses(text):
            for position, word in enumerate(clause):
                for phrase in self._by_word.get(word, ()):
                    if _holds(phrase, clause, position):
                        return Hit(phrase=phrase, clause=" ".join(clause))
        return None


def _holds(phrase: Phrase, clause: list[str], anchor: int) -> bool:
    span = len(phrase.words) + _SLACK
    low, high = max(0, anchor - span), min(len(clause), anchor + span + 1)
    used: set[int] = {anchor}
    anchor_word = clause[anchor]
    for word in phrase.words:
        if word == anchor_word:
            continue
        found = next((i for i in range(low, high) if clause[i] == word and i not in used), None)
        if found is None:
            return False
        used.add(found)
    others = [(i, w) for i, w in enumerate(clause) if i not in used]
    if phrase.absence:
        # «свет дали» restores; «свет не дали» does not (the restoration is itself negated).
        return not any(w in _RESTORED and not (i > 0 and clause[i - 1] == NEGATION) for i, w in others)
    return not any(w == NEGATION or w in _RESOLVED for _i, w in others)


_DEFAULT: Lexicon | None = None


def default_lexicon() -> Lexicon:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Lexicon(DEFAULT_PHRASES)
    return _DEFAULT
