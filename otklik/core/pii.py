"""Finding personal data (152-FZ) in free text: people's names, phone numbers, e-mail addresses and home
addresses, so that texts shown publicly, written to logs or kept past their term can be masked.

Phones are found by ``phonenumbers`` (Google's libphonenumber: every Russian spelling, and foreign numbers
written with their country code), e-mails by a pattern, names and addresses by ``natasha`` (a named-entity
tagger for Russian and its address grammar). The models load once per process, on first use (about three
seconds); ``models=False`` gives the fast pass without them (phones, e-mails, names the caller knows, and
full names written as surname, name and patronymic or with initials), which never misses what the caller
already knows about the applicant.

Not every address is personal: «яма у дома 5 на улице Ленина» is where the problem is, and hiding it would
make a public report useless. An address is masked when it points to a dwelling (a flat or a room number,
a postal index) or when it is the applicant's own postal address.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import phonenumbers
from django.utils.translation import gettext as _

NAME, PHONE, EMAIL, ADDRESS = "name", "phone", "email", "address"
KINDS = (NAME, PHONE, EMAIL, ADDRESS)

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Russian numbers in their usual spellings, whether or not libphonenumber knows the range as assigned
# (a typo'd or a new range is still someone's phone): +7 (912) 345-67-89, 8 912 3456789, 89123456789.
RU_PHONE_RE = re.compile(r"(?<!\d)(?:\+7|8)[\s(-]*\d{3}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}(?!\d)")
# Full names without the tagger: «Иванов Пётр Сергеевич» (a patronymic ends the name) and «Иванов П. С.».
_WORD = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?"
FULL_NAME_RE = re.compile(
    rf"(?<!\w){_WORD}\s+{_WORD}\s+[А-ЯЁ][а-яё]+(?:вич|вна|ична|инична)(?:а|у|ем|е|ой|ы)?(?!\w)"
    rf"|(?<!\w){_WORD}\s+[А-ЯЁ]\.\s?[А-ЯЁ]\.(?!\w)|(?<!\w)[А-ЯЁ]\.\s?[А-ЯЁ]\.\s?{_WORD}(?!\w)"
)
# Only texts with a sign of a dwelling go through the (slower) address grammar.
DWELLING_RE = re.compile(r"(?i)(?<!\w)(?:кв|квартир\w*|комн\w*|ком|офис)\.?\s*№?\s*\d|(?<!\d)\d{6}(?!\d)")
DWELLING_PARTS = frozenset({"квартира", "комната", "офис", "индекс"})
# Parts of one address stand side by side, separated by commas and spaces at most.
_ADDRESS_GAP = re.compile(r"[\s,]{0,3}")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Span:
    start: int
    stop: int
    kind: str

    def text(self, source: str) -> str:
        return source[self.start:self.stop]


def placeholder(kind: str) -> str:
    return {NAME: _("[name hidden]"), PHONE: _("[phone hidden]"), EMAIL: _("[e-mail hidden]"),
            ADDRESS: _("[address hidden]")}[kind]


class _Models:
    """natasha's tagger and address grammar and a morphological dictionary, loaded once per process and
    shared by its threads."""

    _lock = threading.Lock()
    _loaded: tuple[Any, Any, Any, Any] | None = None

    @classmethod
    def get(cls) -> tuple[Any, Any, Any, Any]:
        if cls._loaded is None:
            with cls._lock:
                if cls._loaded is None:
                    import pymorphy3
                    from natasha import AddrExtractor, MorphVocab, NewsEmbedding, NewsNERTagger, Segmenter

                    cls._loaded = (Segmenter(), NewsNERTagger(NewsEmbedding()), AddrExtractor(MorphVocab()),
                                   pymorphy3.MorphAnalyzer())
        return cls._loaded


def load_models() -> bool:
    """Load the models now rather than in the middle of timed work; False when they cannot be loaded."""
    try:
        _Models.get()
    except Exception:
        log.exception("personal data models cannot be loaded")
        return False
    return True


def _phones(text: str) -> Iterable[Span]:
    for match in phonenumbers.PhoneNumberMatcher(text, "RU", leniency=phonenumbers.Leniency.VALID):
        yield Span(match.start, match.end, PHONE)
    for found in RU_PHONE_RE.finditer(text):
        yield Span(found.start(), found.end(), PHONE)


def _emails(text: str) -> Iterable[Span]:
    for match in EMAIL_RE.finditer(text):
        yield Span(match.start(), match.end(), EMAIL)


def _known_names(text: str, names: Iterable[str]) -> Iterable[Span]:
    """Every word of a known name, in any case ending (Иванов, Иванову, Ивановым)."""
    parts = {p for name in names for p in re.split(r"[\s.,]+", name or "") if len(p) >= 3}
    for part in parts:
        for match in re.finditer(rf"(?<!\w){re.escape(part)}\w*", text, flags=re.IGNORECASE):
            yield Span(match.start(), match.end(), NAME)


def _full_names(text: str) -> Iterable[Span]:
    for match in FULL_NAME_RE.finditer(text):
        yield Span(match.start(), match.end(), NAME)


def _known_addresses(text: str, addresses: Iterable[str]) -> Iterable[Span]:
    """The applicant's own postal address where the text repeats it (spaces and case may differ)."""
    for address in addresses:
        words = [w for w in re.split(r"[\s,]+", address or "") if w]
        if len(words) < 2:
            continue
        pattern = r"[\s,]+".join(re.escape(w) for w in words)
        for match in re.finditer(pattern, text, flags=re.IGNORECASE):
            yield Span(match.start(), match.end(), ADDRESS)


NAME_GRAMMEMES = frozenset({"Name", "Surn", "Patr"})
# Streets are named after people («ул. Масалова», «проспекту А. Дериглазова»): there the name is the place.
STREET_BEFORE_RE = re.compile(
    r"(?i)(?<!\w)(?:ул|улиц\w*|просп\w*|пр-т|пр|переул\w*|пер|площад\w*|пл|бульвар\w*|б-р|шоссе|проезд\w*"
    r"|набережн\w*|наб|мкр|микрорайон\w*|им|имени)\.?\s*$"
)


def _tagged_names(text: str) -> Iterable[Span]:
    """Persons of the tagger, from the first to the last word the dictionary knows as a first name,
    surname or patronymic: the tagger alone takes a capitalised first word («Яма заделана») for a person."""
    from natasha import Doc

    segmenter, tagger, _addresses, morph = _Models.get()
    doc = Doc(text)
    doc.segment(segmenter)
    doc.tag_ner(tagger)
    for span in doc.spans:
        if span.type != "PER":
            continue
        words = [t for t in span.tokens if any(NAME_GRAMMEMES & set(p.tag.grammemes) for p in morph.parse(t.text))]
        if words and not STREET_BEFORE_RE.search(text[max(0, span.start - 20):span.start]):
            yield Span(words[0].start, words[-1].stop, NAME)


def _dwellings(text: str) -> Iterable[Span]:
    """Addresses of the address grammar, adjacent parts joined into one, kept when one part is a dwelling."""
    if not DWELLING_RE.search(text):
        return
    _segmenter, _tagger, extractor, _morph = _Models.get()
    parts = [(m.start, m.stop, m.fact.type) for m in extractor(text) if m.fact.type]
    group: list[tuple[int, int, str]] = []
    for part in [*parts, None]:
        if part is not None and group and _ADDRESS_GAP.fullmatch(text[group[-1][1]:part[0]]):
            group.append(part)
            continue
        if group and any(kind in DWELLING_PARTS for _s, _e, kind in group):
            yield Span(group[0][0], group[-1][1], ADDRESS)
        group = [part] if part is not None else []


def _merge(spans: Iterable[Span]) -> list[Span]:
    """Overlapping finds become one span (the first kind by position wins; an address swallows a name in it)."""
    result: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.stop)):
        if result and span.start < result[-1].stop:
            last = result[-1]
            if span.stop > last.stop:
                result[-1] = Span(last.start, span.stop, ADDRESS if ADDRESS in (last.kind, span.kind) else last.kind)
            continue
        result.append(span)
    return result


def find_personal_data(text: str, *, names: Sequence[str] = (), addresses: Sequence[str] = (),
                       models: bool = True) -> list[Span]:
    """Spans of personal data in ``text``, in order, not overlapping.

    ``names`` and ``addresses`` are what is known of the person (the applicant's name and postal address):
    they are found in every form whatever the models say."""
    if not text:
        return []
    spans: list[Span] = [*_emails(text), *_phones(text), *_known_names(text, names), *_full_names(text),
                         *_known_addresses(text, addresses)]
    if models:
        try:
            spans += [*_tagged_names(text), *_dwellings(text)]
        except Exception:  # a broken model must not take a public page down; the fast pass still applies
            log.exception("personal data models failed")
    # An e-mail's local part often looks like a name or a number; keep the e-mail whole.
    return _merge(spans)


def mask_spans(text: str, spans: Iterable[Span]) -> str:
    """``text`` with each of ``spans`` (ordered, not overlapping) replaced by its placeholder in words."""
    pieces, position = [], 0
    for span in spans:
        pieces += [text[position:span.start], placeholder(span.kind)]
        position = span.stop
    pieces.append(text[position:])
    return "".join(pieces)


def mask(text: str, *, names: Sequence[str] = (), addresses: Sequence[str] = (), models: bool = True) -> str:
    """``text`` with every span of personal data replaced by a placeholder in words («[телефон скрыт]»)."""
    if not text:
        return text
    return mask_spans(text, find_personal_data(text, names=names, addresses=addresses, models=models))


class MaskingFilter(logging.Filter):
    """Log records lose phones and e-mails (the fast pass: a log line must cost nothing extra); the
    code logs ids, never names, and this catches what slips through (an exception's message, a URL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
            masked = mask(message, models=False)
        except Exception:  # a record that cannot be formatted is logging's own business
            return True
        if masked != message:
            record.msg, record.args = masked, None
        return True
