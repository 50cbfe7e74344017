"""A random but reproducible history of appeals for the reports tests to count: stories of the one story
generator (otklik/demo/stories.py) played through the real services and the real sweeper, in time order."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

from otklik.appeals.lifecycle import Regime
from otklik.appeals.models import Channel
from otklik.demo.sinks import ServicesSink
from otklik.demo.stories import BEHAVIOURS, Planner, Profile, load_registry
from otklik.registry.selectors import region_calendar, region_settings
from tests.reports.conftest import Region


class Lively(Profile):
    """Every branch the reports count, often enough to show in a few dozen appeals."""

    regime_shares = ((Regime.POS, 6), (Regime.FZ59, 2), (Regime.SOCIAL, 2))
    channels = {Regime.POS: ((Channel.PORTAL, 1), (Channel.EMAIL, 1), (Channel.API, 1)),
                Regime.FZ59: ((Channel.PORTAL, 1), (Channel.EMAIL, 1), (Channel.API, 1)),
                Regime.SOCIAL: ((Channel.SOCIAL, 1),)}
    behaviours = {
        Regime.POS: dataclasses.replace(BEHAVIOURS[Regime.POS], reject=0.07, reclassify=0.1, redirect=0.15,
                                        return_to_moderation=0.06, postpone=0.3, rework=0.1, rate=0.6, late=0.2),
        Regime.FZ59: dataclasses.replace(BEHAVIOURS[Regime.FZ59], redirect=0.1, transfer=0.12, extend=0.3,
                                         leave=0.1, late=0.15),
        Regime.SOCIAL: dataclasses.replace(BEHAVIOURS[Regime.SOCIAL], intermediate=1.0, rate=0.4),
    }


def generate(w: Region, *, seed: int, count: int, first: dt.datetime, last: dt.datetime,
             horizon: dt.datetime) -> list[int]:
    """Submit ``count`` appeals between ``first`` and ``last`` and play their stories and the sweeper in
    time order until ``horizon``; what is due later stays undone (open appeals). The appeals' ids."""
    rng = random.Random(seed)
    profile = Lively()
    region = region_settings()
    planner = Planner(registry=load_registry(profile, rng), profile=profile, region=region,
                      cal=region_calendar(region), now=horizon)
    stories = [planner.plan(index, moment, random.Random(rng.random()))
               for index, moment in enumerate(planner.arrivals(count, first, last, rng))]
    ids = ServicesSink().play(stories, until=horizon)
    return [ids[story.index] for story in stories]
