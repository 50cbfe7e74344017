"""The detector on generated streams, the clock being the items' own time."""

import datetime as dt
from zoneinfo import ZoneInfo

from otklik.escalations.detector import SIGNIFICANT, SPIKE, Detector, Item, Params, baseline, threshold
from otklik.escalations.synthetic import Burst, stream

TZ = ZoneInfo("Europe/Moscow")
START = dt.date(2025, 1, 1)


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(START + dt.timedelta(days=day), dt.time(hour, minute), TZ)


def test_daily_weekly_and_seasonal_variation_opens_no_escalation():
    # A year of a busy region: Poisson noise per day, Mondays 2.6 times Sundays, winter 2.3 times summer.
    items = stream(start=START, days=365, daily=250, seed=11, season=0.4)
    detector = Detector()
    assert detector.feed_all(items) == []
    assert detector.items == len(items) > 80_000


def test_a_burst_in_one_district_opens_exactly_one_escalation_that_absorbs_later_appeals():
    burst = Burst(start=_at(70, 21), hours=6, count=40, category="Экология", district="Северный")
    items = stream(start=START, days=90, daily=250, seed=3, bursts=(burst,))
    detector = Detector()
    found = detector.feed_all(items)
    assert len(found) == 1
    esc = found[0]
    assert (esc.kind, esc.category, esc.territory) == (SPIKE, "Экология", "Северный")
    assert burst.start <= esc.opened_at <= burst.start + dt.timedelta(hours=6)
    burst_refs = {i.ref for i in items if i.created >= burst.start and "ржавая" in i.text}
    # The appeals of the burst after the opening joined it; none opened another.
    assert {ref for ref in burst_refs if ref in esc.refs} == burst_refs - {
        i.ref for i in items if i.ref in burst_refs and i.created < esc.first_item_at}
    assert esc.items >= esc.count >= detector.params.min_count


def test_a_short_night_burst_on_a_busy_key_is_found_the_same_night():
    # About 17 a day usual for this key: 25 in three hours at night are diluted in a 24-hour count.
    burst = Burst(start=_at(80, 23), hours=3, count=25, category="Экология", district="Промышленный")
    items = stream(start=START, days=90, daily=330, seed=5, bursts=(burst,))
    (esc,) = Detector().feed_all(items)
    assert (esc.category, esc.territory) == ("Экология", "Промышленный")
    assert esc.opened_at <= burst.start + dt.timedelta(hours=3)


def test_three_messages_where_one_is_usual_are_not_a_spike():
    expected, phi = baseline([1] * 28, (7, 1), Params())
    assert threshold(expected, phi, Params()) > 3
    history = [Item(created=_at(d, 12), category="ЖКХ", territory="Лесной", ref=d) for d in range(30)]
    burst = [Item(created=_at(30, 12, m), category="ЖКХ", territory="Лесной", ref=100 + m) for m in range(3)]
    assert Detector().feed_all(history + burst) == []


def test_twelve_where_one_is_usual_are_a_spike():
    history = [Item(created=_at(d, 12), category="ЖКХ", territory="Лесной", ref=d) for d in range(30)]
    burst = [Item(created=_at(30, 12, m), category="ЖКХ", territory="Лесной", ref=100 + m) for m in range(12)]
    found = Detector().feed_all(history + burst)
    assert [e.kind for e in found] == [SPIKE]


def test_no_spike_before_the_history_is_long_enough():
    burst = [Item(created=_at(3, 12, m), category="ЖКХ", territory="Лесной", ref=m) for m in range(40)]
    assert Detector(Params(warmup_days=14)).feed_all(burst) == []


def test_a_lexicon_hit_opens_a_significant_escalation_at_once_and_a_negated_one_does_not():
    items = [Item(created=_at(0, 9), text="Свет дали, всё в порядке", territory="Южный", ref=1),
             Item(created=_at(0, 10), text="Свет уже есть", territory="Южный", ref=2),
             Item(created=_at(0, 11), text="Третий час нет света во всём доме", territory="Южный", ref=3),
             Item(created=_at(0, 12), text="У нас тоже нет света", territory="Южный", ref=4)]
    detector = Detector()
    decisions = [detector.feed(item) for item in items]
    assert [d.opened for d in decisions] == [False, False, True, False]
    (esc,) = detector.escalations
    assert esc.kind == SIGNIFICANT and esc.opened_at == items[2].created and esc.refs == [3, 4]
    assert esc.signal == "нет света"


def test_a_staff_or_category_flag_opens_a_significant_escalation():
    detector = Detector()
    decision = detector.feed(Item(created=_at(0, 9), text="Просьба разобраться", category="ЧС", significant=True))
    assert decision.opened and decision.escalation.kind == SIGNIFICANT


def test_growth_in_a_neighbouring_district_on_the_same_day_joins_instead_of_opening_a_duplicate():
    history = [Item(created=_at(d, 12), category="ЖКХ", territory=t, ref=f"{t}{d}")
               for d in range(30) for t in ("Лесной", "Южный")]
    north = [Item(created=_at(30, 8, m), category="ЖКХ", territory="Лесной", ref=f"n{m}") for m in range(12)]
    south = [Item(created=_at(30, 13, m), category="ЖКХ", territory="Южный", ref=f"s{m}") for m in range(12)]
    found = Detector().feed_all(history + north + south)
    assert len(found) == 1
    assert found[0].territories == ["Лесной", "Южный"] and {"s0", "s11", "n0"} <= set(found[0].refs)


def test_the_same_place_after_the_window_may_open_a_new_escalation():
    history = [Item(created=_at(d, 12), category="ЖКХ", territory="Лесной", ref=d) for d in range(30)]
    first = [Item(created=_at(30, 8, m), category="ЖКХ", territory="Лесной", ref=100 + m) for m in range(12)]
    calm = [Item(created=_at(d, 12), category="ЖКХ", territory="Лесной", ref=200 + d) for d in range(31, 45)]
    second = [Item(created=_at(45, 8, m), category="ЖКХ", territory="Лесной", ref=300 + m) for m in range(25)]
    found = Detector().feed_all(history + first + calm + second)
    assert len(found) == 2


def test_map_cells_count_items_without_a_territory():
    history = [Item(created=_at(d, 12), category="Дороги", lat=51.70, lon=36.15, ref=d) for d in range(30)]
    burst = [Item(created=_at(30, 9, m), category="Дороги", lat=51.701 + m / 10000, lon=36.151, ref=100 + m)
             for m in range(12)]
    (esc,) = Detector().feed_all(history + burst)
    assert esc.territory is None and esc.place.startswith("c:")


def test_state_survives_a_round_trip_through_json():
    from otklik.escalations.detector import KeyState

    detector = Detector()
    for d in range(20):
        detector.feed(Item(created=_at(d, 12), category="ЖКХ", territory="Лесной", ref=d))
    state = detector.keys[("ЖКХ", "t:Лесной")]
    again = KeyState.from_json(state.to_json(), detector.params.history_days)
    assert again.to_json() == state.to_json()


def test_items_out_of_time_order_are_refused():
    detector = Detector()
    detector.feed(Item(created=_at(1, 12)))
    try:
        detector.feed(Item(created=_at(0, 12)))
    except ValueError:
        return
    raise AssertionError("an earlier item was accepted")
