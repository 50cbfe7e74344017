"""Benchmark: social posts per second through the incident pipeline (fetch excluded), on one core.

    .venv/bin/python bench/social_pipeline.py [--posts 20000] [--page 100]

A synthetic stream of posts as a city community produces them (problem reports over six districts and
six categories, greetings and advertising, reposts of the same report word for word, and the same report
reworded) is stored page by page through ``services.posts_store`` exactly as a fetch stores what a
connector returned: normalise (razdel + pymorphy3 lemmas), exact and near duplicates (MinHash LSH over
the lemma sets of the last three days, confirmed by Jaccard), problem and territory check (lexicon and
gazetteer), suggested category, territory, organisation and importance, the rows and the source's position
in one transaction per page. Prints posts per second for the whole store and for the pipeline's judgement alone (no
database), and the share of posts in each outcome. Runs against the benchmark database
(PostgreSQL, see _common.setup_django); it removes only its own source's posts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time

from _common import ROOT, setup_django

sys.path.insert(0, str(ROOT))

DISTRICTS = ["Северодольск", "Заречный", "Лесной", "Промышленный", "Озёрный", "Сосновка"]
PROBLEMS = {
    "Дороги": ("яма, дорога, асфальт, тротуар", [
        "На улице {street} в {district}е огромная яма, уже {n} машин пробили колёса",
        "Когда отремонтируют дорогу на {street}? Асфальт разбит, ходить невозможно",
        "Тротуар у дома {n} по {street} провалился, дети ходят по проезжей части"]),
    "Освещение": ("фонарь, освещение, свет", [
        "Не горят фонари на {street}, вечером темно и опасно",
        "Уже неделю нет освещения во дворе дома {n} на {street}"]),
    "Отопление": ("отопление, батарея, холодно", [
        "В доме {n} на {street} холодные батареи, дети мёрзнут, управляющая компания молчит",
        "Нет отопления в подъезде дома {n}, на улице мороз"]),
    "Мусор": ("мусор, контейнер, свалка, вывоз", [
        "Мусорные контейнеры у дома {n} на {street} не вывозят третий день",
        "Стихийная свалка за гаражами на {street}, запах на весь район"]),
    "Транспорт": ("автобус, маршрут, остановка", [
        "Автобус {n} не ходит по расписанию, на остановке на {street} ждём по часу"]),
    "Снег": ("снег, наледь, сосулька, гололед", [
        "Сосульки над входом в дом {n} на {street}, опасно ходить",
        "Не чистят снег на {street}, гололёд, люди падают"]),
}
NOISE = ["Поздравляем всех с праздником! Хороших выходных", "Продам диван недорого, самовывоз",
         "Какая красивая сегодня погода в городе", "Концерт в парке в субботу, приходите всей семьёй",
         "Ищем котика, потерялся вчера вечером, рыжий"]
STREETS = ["Ленина", "Мира", "Садовая", "Заводская", "Лесная", "Школьная", "Набережная", "Победы"]


def stream(count: int, seed: int = 7) -> list[tuple[str, str]]:
    """(text, what it is): noise, problem, repost (word for word) or reworded (a report with a comment)."""
    rng = random.Random(seed)
    posts: list[tuple[str, str]] = []
    problems: list[str] = []
    for _n in range(count):
        roll = rng.random()
        if roll < 0.35:
            posts.append((rng.choice(NOISE) + f" {rng.randint(1, 10_000)}", "noise"))
        elif roll < 0.45 and problems:
            posts.append((rng.choice(problems), "repost"))
        elif roll < 0.52 and problems:
            posts.append((rng.choice(problems) + "!! Сколько можно ждать, третий раз пишу", "reworded"))
        else:
            _category, (_kw, templates) = rng.choice(list(PROBLEMS.items()))
            text = rng.choice(templates).format(street=rng.choice(STREETS), district=rng.choice(DISTRICTS),
                                                n=rng.randint(1, 300))
            # A template can give the same words twice (one street, no house): that is a repeat too.
            posts.append((text, "repost" if text in problems else "problem"))
            problems.append(text)
    return posts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--page", type=int, default=100)
    parser.add_argument("--classifier", action="store_true",
                        help="with the routing classifier active (a cold-start version from the keywords)")
    args = parser.parse_args()
    os.sched_setaffinity(0, {0})  # one core
    setup_django()

    from otklik.intake.social import services
    from otklik.intake.social.base import Item
    from otklik.intake.social.models import Post, Source
    from otklik.intake.social.pipeline import Pipeline, Recent
    from otklik.registry.models import Category, Organization, RoutingRule, Territory

    for name in DISTRICTS:
        Territory.objects.get_or_create(name=name, defaults={"kind": "municipal_district"})
    city = Territory.objects.get(name=DISTRICTS[0])
    org, _ = Organization.objects.get_or_create(name="Бенчмарк: администрация", defaults={"kind": "local_government"})
    for code, (name, (keywords, _templates)) in enumerate(PROBLEMS.items()):
        category, _ = Category.objects.get_or_create(code=f"bench-social-{code}",
                                                     defaults={"name": f"Бенчмарк: {name}", "keywords": keywords})
        RoutingRule.objects.get_or_create(category=category, territory=None, defaults={"organization": org})
    source, _ = Source.objects.get_or_create(name="bench: social pipeline", defaults={
        "network": "vk", "kind": "wall", "target": "-1", "token": "bench", "territory": city})
    Post.objects.filter(source=source).delete()
    classifier = None
    if args.classifier:
        # A cold-start routing classifier from the categories' keywords, held in this process only (the
        # benchmark database's routing versions are left alone).
        from otklik.routing.classifier import TextClassifier
        from otklik.routing.selectors import keyword_categories
        from otklik.routing.training import keyword_examples

        texts, labels = keyword_examples(keyword_categories())
        classifier = TextClassifier(calibrate=False).fit(texts, labels)

    posts = stream(args.posts)
    texts = [text for text, _what in posts]
    now = dt.datetime.now(tz=dt.UTC)
    items = [Item(external_id=f"bench{n}", text=text, posted_at=now, raw={"id": n, "text": text},
                  url=f"https://vk.com/wall-1_{n}", author="bench", thread={"owner_id": -1, "post_id": n})
             for n, text in enumerate(texts)]

    # The store runs first, with the lemma cache cold as in a freshly started worker.
    pipeline = Pipeline()
    pipeline.classifier = classifier or pipeline.classifier
    recent = Recent()
    totals = services.StoreResult()
    started = time.perf_counter()
    for start in range(0, len(items), args.page):
        page = items[start:start + args.page]
        result = services.posts_store(source=source, items=page, cursor={"last_id": start + len(page)},
                                      pipeline=pipeline, recent=recent, now=now)
        for name in ("new", "duplicates", "ignored", "known"):
            setattr(totals, name, getattr(totals, name) + getattr(result, name))
    store_seconds = time.perf_counter() - started

    pipeline = Pipeline()
    pipeline.classifier = classifier or pipeline.classifier
    started = time.perf_counter()
    judged = Recent()
    for n, text in enumerate(texts):
        verdict = pipeline.judge(text, judged, source_territory=city, source_organization=None)
        if verdict.duplicate_of is None:
            judged.add(n + 1, verdict.fingerprint, verdict.normalized)
    judge_seconds = time.perf_counter() - started

    states = dict(Post.objects.filter(source=source).values_list("external_id", "state"))
    caught = {what: 0 for what in ("problem", "repost", "reworded", "noise")}
    counts = {what: 0 for what in caught}
    for n, (_text, what) in enumerate(posts):
        counts[what] += 1
        caught[what] += states[f"bench{n}"] == "duplicate"
    print(json.dumps({
        "posts": len(items), "page": args.page, "classifier": pipeline.classifier is not None,
        "stored_posts_per_second": round(len(items) / store_seconds),
        "judged_posts_per_second_no_database": round(len(items) / judge_seconds),
        "queued_share": round(totals.new / len(items), 3),
        "duplicates_share": round(totals.duplicates / len(items), 3),
        "ignored_share": round(totals.ignored / len(items), 3),
        "reposts_caught": round(caught["repost"] / max(counts["repost"], 1), 3),
        "reworded_caught": round(caught["reworded"] / max(counts["reworded"], 1), 3),
        # A first report taken for a duplicate of another one (the same street and template, a different house):
        "problems_taken_for_duplicates": round(caught["problem"] / max(counts["problem"], 1), 3),
        "problems_queued": sum(1 for n, (_t, what) in enumerate(posts) if what == "problem"
                               and states[f"bench{n}"] == "new") / max(counts["problem"], 1),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
