"""Detection of socially significant messages and spikes, as pure Python fed items in time order.

The clock is the items' own time, never the wall clock, so the replay of a year of messages and the
live path (one appeal at a time, state kept in the database) decide the same way.

Counting. Every item falls under one key: (problem, place). The problem is the category, else the
reason (the finer topic), else nothing; the place is the territory, else a map cell of the coordinates,
else the whole region. A key keeps a compact rolling state: daily counts of the last ``history_days``
days and the times of its items of the last 24 hours. Per item the work is constant: the key's state
is rolled forward to the item's day, the 24-hour count is compared with a threshold that is computed
once per key and day from the key's own history.

Baseline. From the past days (at most ``history_days``, only days the detector has seen), after
clipping outliers at median + 3·MAD (so an earlier incident does not raise the bar for ever):
the level is the larger of the last 28 days' and the last 7 days' mean (a rising season is followed
within a week), times a day-of-week factor (the same weekday's mean against all days, shrunk towards 1).
The overdispersion φ is the clipped variance over the level (at least 1). A 24-hour count ``c`` is a
spike when ``c ≥ min_count``, ``c ≥ min_ratio · expected`` and the Poisson tail P(X ≥ c) with mean
expected·√φ is below ``alpha``. So 3 messages where 1 is usual are not a spike; 12 where 1 is usual are.

One escalation per event. Until ``window_hours`` have passed since the event was last going on (the
place's 24-hour count still at least half the spike threshold, or another signal message), every item
of its problem at one of its places joins it instead of being tested. A spike of the same problem
in another place on the same local day joins the open escalation (its place is added) rather than
opening a duplicate; with coordinates only, the neighbouring cells are the same place.

Significance. An item that the staff marked, whose category the region marked significant, or whose
text states a lexicon signal (negation handled, see lexicon.py) opens a ``significant`` escalation at
once, unless an open escalation of its problem and place absorbs it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from otklik.escalations.lexicon import Lexicon, default_lexicon

SIGNIFICANT = "significant"
SPIKE = "spike"


@dataclass(frozen=True)
class Item:
    created: dt.datetime  # aware
    text: str = ""
    category: str | None = None
    reason: str | None = None
    territory: str | None = None
    lat: float | None = None
    lon: float | None = None
    ref: Any = None  # the caller's id of the item (an appeal's pk, a row number)
    significant: bool = False  # staff flag or a significant category, decided by the caller


@dataclass(frozen=True)
class Params:
    min_count: int = 5
    min_ratio: float = 2.5
    alpha: float = 1e-5
    floor: float = 0.25  # expected messages a day of a key never seen
    warmup_days: int = 14
    history_days: int = 56
    window_hours: int = 24
    cell_degrees: float = 0.02  # about 2 km
    # A burst of a few hours at night is diluted in a 24-hour count; a short window finds it the same
    # night. Its expectation is the day's share of those hours at the busiest time (peak × hours / 24).
    short_hours: int = 3
    short_peak: float = 3.0

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> Params:
        known = {name: values[name] for name in cls.__dataclass_fields__ if name in values}
        return cls(**known)


@dataclass
class Escalation:
    """What the detector knows of one event; the live path mirrors it in models.Escalation."""

    kind: str
    problem: str
    place: str
    category: str | None
    territory: str | None
    opened_at: dt.datetime
    first_item_at: dt.datetime
    last_item_at: dt.datetime
    hot_at: dt.datetime | None = None  # the last moment the event was still going on
    refs: list[Any] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    territories: list[str] = field(default_factory=list)
    signal: str = ""
    count: int = 0
    expected: float = 0.0
    id: Any = None  # the live path's primary key

    @property
    def items(self) -> int:
        return len(self.refs)

    def as_json(self, tz: dt.tzinfo) -> dict[str, Any]:
        return {
            "opened_at": self.opened_at.astimezone(tz).isoformat(),
            "kind": self.kind,
            "territory": self.territory,
            "category": self.category,
            "appeals": self.items,
            "first_appeal_at": self.first_item_at.astimezone(tz).isoformat(),
        }


@dataclass
class Decision:
    escalation: Escalation | None = None
    opened: bool = False
    joined_place: bool = False  # the item's place was added to an open escalation


class KeyState:
    """Rolling state of one (problem, place): daily counts and the last 24 hours' items."""

    __slots__ = ("base_day", "day", "expected", "hist", "recent", "short", "short_threshold", "threshold")

    def __init__(self, size: int) -> None:
        self.day = -1
        self.hist = [0] * size  # hist[-1] is the count of ``day``
        self.recent: deque[tuple[float, Any]] = deque()
        self.base_day = -1
        self.threshold = 0  # 0: not enough history for a spike
        self.short: deque[float] = deque()  # times of the items of the last ``short_hours``
        self.short_threshold = 0
        self.expected = 0.0

    def roll(self, day: int) -> None:
        if day == self.day:
            return
        gap = day - self.day if self.day >= 0 else len(self.hist)
        size = len(self.hist)
        self.hist = self.hist[gap:] + [0] * min(gap, size) if gap < size else [0] * size
        self.day = day

    def to_json(self) -> dict[str, Any]:
        return {"day": self.day, "hist": self.hist, "recent": [list(pair) for pair in self.recent],
                "base_day": self.base_day, "threshold": self.threshold, "expected": self.expected,
                "short": list(self.short), "short_threshold": self.short_threshold}

    @classmethod
    def from_json(cls, data: dict[str, Any], size: int) -> KeyState:
        state = cls(size)
        state.day = int(data.get("day", -1))
        hist = [int(x) for x in data.get("hist", [])][-size:]
        state.hist = [0] * (size - len(hist)) + hist
        state.recent = deque((float(at), ref) for at, ref in data.get("recent", []))
        state.base_day = int(data.get("base_day", -1))
        state.threshold = int(data.get("threshold", 0))
        state.expected = float(data.get("expected", 0.0))
        state.short = deque(float(at) for at in data.get("short", []))
        state.short_threshold = int(data.get("short_threshold", 0))
        return state


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def poisson_tail(count: int, mean: float) -> float:
    """P(X ≥ count) for X ~ Poisson(mean)."""
    if count <= 0:
        return 1.0
    if mean > 200:  # normal approximation with continuity correction; exact sums underflow here
        z = (count - 0.5 - mean) / math.sqrt(mean)
        return 0.5 * math.erfc(z / math.sqrt(2))
    term = math.exp(-mean)
    below = term
    for k in range(1, count):
        term *= mean / k
        below += term
    return max(0.0, 1.0 - below)


def baseline(past: list[int], weekday_offsets: tuple[int, int], params: Params) -> tuple[float, float]:
    """(expected count in 24 hours, overdispersion) from the past days, oldest first, ending yesterday.

    ``weekday_offsets``: how many days back from tomorrow lie today's and yesterday's weekdays in
    ``past`` (1 and 2): the 24-hour window spans both, so the larger weekday factor is used.
    """
    med = _median([float(x) for x in past])
    mad = _median([abs(x - med) for x in past])
    cap = med + 3 * max(mad, 1.0)
    clipped = [min(float(x), cap) for x in past]
    recent = clipped[-28:]
    level = max(sum(recent) / len(recent), sum(clipped[-7:]) / len(clipped[-7:]))
    overall = sum(clipped) / len(clipped)
    weekday = [1.0] * 7  # weekday[k]: the factor of the days k back from tomorrow, modulo 7
    if overall > 0:
        for k in range(7):
            same = [clipped[-i] for i in range(k or 7, len(clipped) + 1, 7)]
            weekday[k] = min(max((sum(same) + 2 * overall) / (len(same) + 2) / overall, 0.5), 3.0)
    factor = max(weekday[offset % 7] for offset in weekday_offsets)
    expected = max(level * factor, params.floor)
    # Overdispersion of the days around their own weekday's expectation (the rhythm is not noise).
    n = len(recent)
    adjusted = [x / weekday[(n - i) % 7] for i, x in enumerate(recent)]
    variance = sum((x - level) ** 2 for x in adjusted) / n
    phi = max(1.0, variance / max(level, params.floor))
    return expected, phi


def threshold(expected: float, phi: float, params: Params) -> int:
    """The smallest 24-hour count that is a spike for this baseline."""
    count = max(params.min_count, math.ceil(params.min_ratio * expected - 1e-9))
    mean = expected * math.sqrt(phi)
    while poisson_tail(count, mean) >= params.alpha:
        count += 1
    return count


class Detector:
    """Feed items in time order with :meth:`feed`; read ``escalations`` (all opened so far)."""

    def __init__(self, params: Params | None = None, *, lexicon: Lexicon | None = None,
                 tz: dt.tzinfo | str = "Europe/Moscow", start_day: int | None = None,
                 neighbours: Callable[[str, str], bool] | None = None) -> None:
        self.params = params or Params()
        self.lexicon = lexicon if lexicon is not None else default_lexicon()
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        self.start_day = start_day  # the first local day seen: history before it is unknown, not zero
        self.keys: dict[tuple[str, str], KeyState] = {}
        self.open: dict[str, list[Escalation]] = {}  # by problem: escalations still absorbing
        self.escalations: list[Escalation] = []
        self.neighbours = neighbours or self._cells_touch
        self.last_at: dt.datetime | None = None
        self.items = 0

    # --- keys -------------------------------------------------------------------------------
    def place_of(self, item: Item) -> str:
        if item.territory:
            return f"t:{item.territory}"
        if item.lat is not None and item.lon is not None:
            size = self.params.cell_degrees
            return f"c:{math.floor(item.lat / size)}:{math.floor(item.lon / size)}"
        return ""

    @staticmethod
    def problem_of(item: Item) -> str:
        return item.category or item.reason or ""

    @staticmethod
    def _cells_touch(a: str, b: str) -> bool:
        """Different territories on the same day join; cells join when they touch."""
        if a.startswith("c:") and b.startswith("c:"):
            _, ya, xa = a.split(":")
            _, yb, xb = b.split(":")
            return abs(int(ya) - int(yb)) <= 1 and abs(int(xa) - int(xb)) <= 1
        return True

    def state(self, key: tuple[str, str]) -> KeyState:
        state = self.keys.get(key)
        if state is None:
            state = self.keys[key] = KeyState(self.params.history_days)
        return state

    # --- feeding ----------------------------------------------------------------------------
    def feed(self, item: Item) -> Decision:
        if self.last_at is not None and item.created < self.last_at:
            raise ValueError("items must come in time order")
        self.last_at = item.created
        self.items += 1
        local = item.created.astimezone(self.tz)
        day = local.date().toordinal()
        if self.start_day is None:
            self.start_day = day
        problem, place = self.problem_of(item), self.place_of(item)
        at = item.created.timestamp()

        state = self.state((problem, place))
        state.roll(day)
        state.hist[-1] += 1
        window = 86400.0
        while state.recent and state.recent[0][0] <= at - window:
            state.recent.popleft()
        state.recent.append((at, item.ref))
        short_window = self.params.short_hours * 3600.0
        while state.short and state.short[0] <= at - short_window:
            state.short.popleft()
        state.short.append(at)

        hit = None if item.significant else self.lexicon.match(item.text)
        if item.significant or hit is not None:
            signal = hit.phrase.group if hit else (problem or "staff")
            for key in (problem, "!" + signal):
                absorbing = self._absorbing(key, place, item.created, same_place=True)
                if absorbing is not None:
                    self._absorb(absorbing, item, place, hot=True)
                    return Decision(escalation=absorbing)
            escalation = self._open(SIGNIFICANT, item, "!" + signal, place, [item.ref], item.created,
                                    signal=hit.phrase.text if hit else "")
            return Decision(escalation=escalation, opened=True)

        absorbing = self._absorbing(problem, place, item.created, same_place=True)
        if absorbing is not None:
            hot = bool(state.threshold) and len(state.recent) * 2 >= state.threshold
            self._absorb(absorbing, item, place, hot=hot)
            return Decision(escalation=absorbing)

        if state.base_day != day:
            self._rebase(state, day)
        count = len(state.recent)
        if state.threshold and (count >= state.threshold or len(state.short) >= state.short_threshold):
            joined = self._absorbing(problem, place, item.created, same_place=False, same_day=day)
            refs = [ref for _at, ref in state.recent]
            first = dt.datetime.fromtimestamp(state.recent[0][0], tz=dt.UTC)
            if joined is not None:
                self._absorb(joined, item, place, extra=refs[:-1], hot=True)
                return Decision(escalation=joined, joined_place=True)
            escalation = self._open(SPIKE, item, problem, place, refs, first)
            escalation.count, escalation.expected = count, state.expected
            return Decision(escalation=escalation, opened=True)
        return Decision()

    def feed_all(self, items: Iterable[Item]) -> list[Escalation]:
        for item in items:
            self.feed(item)
        return self.escalations

    # --- internals --------------------------------------------------------------------------
    def _rebase(self, state: KeyState, day: int) -> None:
        state.base_day = day
        known = min(len(state.hist) - 1, day - (self.start_day if self.start_day is not None else day))
        if known < self.params.warmup_days:
            state.threshold = state.short_threshold = 0
            return
        past = state.hist[-1 - known:-1]
        expected, phi = baseline(past, (7, 1), self.params)
        state.expected = expected
        state.threshold = threshold(expected, phi, self.params)
        short = expected * self.params.short_peak * self.params.short_hours / 24
        state.short_threshold = threshold(short, phi, self.params)

    def _absorbing(self, problem: str, place: str, at: dt.datetime, *, same_place: bool,
                   same_day: int | None = None) -> Escalation | None:
        candidates = self.open.get(problem)
        if not candidates:
            return None
        limit = dt.timedelta(hours=self.params.window_hours)
        alive = [esc for esc in candidates if at - (esc.hot_at or esc.opened_at) < limit]
        if len(alive) != len(candidates):
            self.open[problem] = alive
        for esc in reversed(alive):
            if same_place:
                if place in esc.places:
                    return esc
                continue
            opened_day = esc.opened_at.astimezone(self.tz).date().toordinal()
            if opened_day == same_day and any(self.neighbours(place, other) for other in esc.places):
                return esc
        return None

    def _absorb(self, esc: Escalation, item: Item, place: str, *, hot: bool, extra: list[Any] | None = None) -> None:
        if extra:
            known = set(esc.refs)
            esc.refs.extend(ref for ref in extra if ref not in known)
        esc.refs.append(item.ref)
        esc.last_item_at = item.created
        if hot:
            esc.hot_at = item.created
        if place not in esc.places:
            esc.places.append(place)
            if item.territory and item.territory not in esc.territories:
                esc.territories.append(item.territory)

    def _open(self, kind: str, item: Item, problem: str, place: str, refs: list[Any], first: dt.datetime,
              signal: str = "") -> Escalation:
        escalation = Escalation(
            kind=kind, problem=problem, place=place, category=item.category or item.reason,
            territory=item.territory, opened_at=item.created, first_item_at=first, last_item_at=item.created,
            hot_at=item.created, refs=list(refs), places=[place],
            territories=[item.territory] if item.territory else [], signal=signal,
        )
        self.open.setdefault(problem, []).append(escalation)
        self.escalations.append(escalation)
        return escalation
