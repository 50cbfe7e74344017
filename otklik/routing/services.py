"""Routing's writes: training and storing model versions, choosing the active one, routing automatically.

Automatic routing goes through ``appeals.services.appeal_accept`` as the system, so the lifecycle, the
deadlines and the notices are the same as for a moderator's decision; the event's payload says it was
automatic, with the confidence and the model versions that decided.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.appeals.lifecycle import State
from otklik.appeals.models import Appeal
from otklik.appeals.notify import applicant_link, staff_link
from otklik.appeals.services import AppealError, appeal_accept
from otklik.notifications.services import notice_create
from otklik.routing import duplicates, selectors
from otklik.routing.classifier import TextClassifier
from otklik.routing.models import Fingerprint, FingerprintBand, Place, RoutingModel
from otklik.routing.places import name_key
from otklik.routing.training import keyword_examples, train

log = logging.getLogger(__name__)


def _store(
    *, target: str, source: str, model: TextClassifier, metrics: dict[str, Any], user: User | None,
    now: dt.datetime, examples: int | None = None,
) -> RoutingModel:
    data = model.dumps()
    version = selectors.next_version(target)
    row = RoutingModel(
        target=target, version=version, source=source, sha256=hashlib.sha256(data).hexdigest(), trained_at=now,
        trained_by=user, examples=model.trained_on if examples is None else examples, labels=len(model.labels),
        metrics=metrics,
    )
    row.file.save(f"{target}-v{version}.bin", ContentFile(data), save=False)
    row.save()
    return row


def _better_or_first(row: RoutingModel) -> bool:
    """A new version replaces the active one unless it measured worse by more than a point of accuracy."""
    active = RoutingModel.objects.filter(target=row.target, is_active=True).first()
    if active is None:
        return True
    if row.source == RoutingModel.Source.HISTORY and active.source == RoutingModel.Source.KEYWORDS:
        return True
    if row.source == RoutingModel.Source.KEYWORDS and active.source == RoutingModel.Source.HISTORY:
        return False
    new = row.metrics.get(row.target, {}).get("accuracy")
    old = active.metrics.get(active.target, {}).get("accuracy")
    return new is None or old is None or new >= old - 0.01


def routing_model_activate(*, model_id: int, user: User | None = None) -> RoutingModel:
    """Make this version the active one of its target (a rollback when it is older)."""
    with transaction.atomic():
        row = RoutingModel.objects.select_for_update().get(pk=model_id)
        RoutingModel.objects.filter(target=row.target, is_active=True).exclude(pk=row.pk).update(is_active=False)
        row.is_active = True
        row.save(update_fields=["is_active"])
    log.info("routing model %s activated by %s", row, user.pk if user else "system")
    return row


def routing_models_train(*, user: User | None = None, now: dt.datetime | None = None) -> list[RoutingModel]:
    """Train new versions from the decided appeals, or from the categories' keywords when history is short.

    Each new version is activated unless it measured worse than the active one (then it is kept for the
    record and can be activated by hand).
    """
    now = now or timezone.now()
    settings_row = selectors.routing_settings()
    examples = selectors.decided_examples()
    rows: list[RoutingModel] = []
    if len(examples) >= settings_row.min_training_appeals and len({e.category for e in examples}) >= 2:
        texts, labels = keyword_examples(selectors.keyword_categories())
        known = {e.category for e in examples}
        # Only categories the history knows: a category nobody has ever been routed to is not suggested
        # from three keywords against thousands of real messages.
        extra = [(t, c) for t, c in zip(texts, labels, strict=True) if c in known]
        trained = train(examples, selectors.table_organization, extra=extra)
        trained.metrics["category"]["keyword_rows"] = len(extra)
        rows.append(_store(target=RoutingModel.Target.CATEGORY, source=RoutingModel.Source.HISTORY,
                           model=trained.category, metrics=trained.metrics, user=user, now=now,
                           examples=len(examples)))
        if trained.organization is not None:
            rows.append(_store(target=RoutingModel.Target.ORGANIZATION, source=RoutingModel.Source.HISTORY,
                               model=trained.organization, metrics=trained.metrics, user=user, now=now))
    else:
        categories = selectors.keyword_categories()
        texts, labels = keyword_examples(categories)
        if len(set(labels)) < 2:
            log.warning("routing: neither history nor category keywords to train on")
            return []
        # The nightly run would otherwise add the same keyword model every night until history is enough.
        keywords_hash = hashlib.sha256(repr(sorted(categories)).encode()).hexdigest()
        active = RoutingModel.objects.filter(target=RoutingModel.Target.CATEGORY, is_active=True).first()
        if active is not None and active.metrics.get("keywords_hash") == keywords_hash:
            return []
        model = TextClassifier(calibrate=False).fit(texts, labels)
        rows.append(_store(target=RoutingModel.Target.CATEGORY, source=RoutingModel.Source.KEYWORDS, model=model,
                           metrics={"history_examples": len(examples), "keywords_hash": keywords_hash},
                           user=user, now=now))
    for row in rows:
        if _better_or_first(row):
            routing_model_activate(model_id=row.pk, user=user)
    return rows


def appeal_route_automatically(*, appeal_id: int, now: dt.datetime | None = None) -> Appeal | None:
    """Accept and route a message in moderation when the region allows it and both suggestions are sure.

    Only a model trained on this region's decisions decides; and only when it agrees with the category
    the appeal already has (a citizen's choice, or none given), since re-classifying changes the answer
    term and stays a moderator's decision.
    """
    settings_row = selectors.routing_settings()
    if not settings_row.auto_route:
        return None
    appeal = Appeal.objects.select_related("territory").filter(pk=appeal_id, state=State.MODERATION).first()
    if appeal is None or appeal.category_id is None:
        return None
    found = selectors.suggestions(appeal)
    choice = found.automatic_choice(settings_row.auto_route_threshold)
    if choice is None:
        return None
    category, organization = choice
    if category.id != appeal.category_id:
        return None
    payload = {
        "automatic": True,
        "category_confidence": round(category.confidence, 4),
        "organization_confidence": round(organization.confidence, 4),
        "threshold": settings_row.auto_route_threshold,
        "organization_source": found.organization_source,
        "model_versions": {
            "category": found.category_version.version if found.category_version else None,
            "organization": found.organization_version.version if found.organization_version else None,
        },
    }
    try:
        return appeal_accept(appeal_id=appeal.pk, system=True, organization_id=organization.id, payload=payload,
                             now=now)
    except AppealError as error:  # taken by a moderator meanwhile, or the organisation closed
        log.info("automatic routing of appeal %s skipped: %s", appeal.pk, error)
        return None


def appeal_fingerprint(*, appeal_id: int) -> Fingerprint | None:
    """Store (or refresh) the appeal's text fingerprint and LSH band keys for near-duplicate search."""
    appeal = Appeal.objects.filter(pk=appeal_id).only("pk", "text").first()
    if appeal is None:
        return None
    values = duplicates.signature(appeal.text)
    with transaction.atomic():
        row, _created = Fingerprint.objects.update_or_create(
            appeal_id=appeal.pk, defaults={"exact": duplicates.exact_hash(appeal.text), "signature": values}
        )
        FingerprintBand.objects.filter(fingerprint=row).delete()
        FingerprintBand.objects.bulk_create(
            [FingerprintBand(fingerprint=row, key=key) for key in duplicates.band_keys(values)]
        )
    return row


def fingerprints_catch_up(*, limit: int = 5000) -> int:
    """Fingerprint the appeals a lost task left without one (newest first); returns how many."""
    missing = selectors.appeals_without_fingerprint(limit=limit)
    for appeal_id in missing:
        appeal_fingerprint(appeal_id=appeal_id)
    return len(missing)


def duplicates_answer(*, appeal_id: int) -> int:
    """Send the published answer of a main appeal to the applicants of the messages merged into it.

    Only where answers of the category are public anyway: an answer is addressed to its own applicant and
    may name them, and a merged duplicate's applicant is someone else. Each gets the text and a link to
    their own message (never the main appeal's tracking secret). Returns how many were told.
    """
    main = Appeal.objects.select_related("category").filter(pk=appeal_id).first()
    if main is None or not main.answer_text or (main.category is not None and not main.category.is_public):
        return 0
    told = 0
    for duplicate in selectors.merged_duplicates(main):
        email = duplicate.applicant_email or (duplicate.applicant.email if duplicate.applicant else "")
        if not email:
            continue
        subject = _("Answer to message %(number)s") % {"number": duplicate.number}
        body = _(
            "Your message %(number)s was merged with message %(main)s about the same problem. "
            "The organisation has answered it:\n\n%(answer)s\n\nYour message: %(link)s"
        ) % {"number": duplicate.number, "main": main.number, "answer": main.answer_text,
             "link": applicant_link(duplicate)}
        if notice_create(kind="duplicate_answered", dedupe=f"duplicate-answer:{main.pk}:{duplicate.pk}:"
                         f"{main.answered_at.isoformat() if main.answered_at else ''}", subject=subject, body=body,
                         appeal_id=duplicate.pk, email=email,
                         webhook_body=body.replace(applicant_link(duplicate), staff_link(duplicate))):
            told += 1
    return told


PLACE_KINDS = {
    "district": Place.Kind.DISTRICT, "район": Place.Kind.DISTRICT,
    "settlement": Place.Kind.SETTLEMENT, "населенный пункт": Place.Kind.SETTLEMENT,
    "населённый пункт": Place.Kind.SETTLEMENT, "street": Place.Kind.STREET, "улица": Place.Kind.STREET,
}


def _coordinate(text: str, low: float, high: float) -> float | None:
    text = (text or "").strip().replace(",", ".")
    if not text:
        return None
    value = float(text)
    if not low <= value <= high:
        raise ValueError(text)
    return value


def places_import(*, rows: list[dict[str, str]], replace: bool = False) -> tuple[int, list[str]]:
    """Import gazetteer rows (name, kind, territory, lat, lon); all or nothing. Returns (imported, errors):
    with any error nothing is written, and each error names its line."""
    from otklik.registry.transfer.territories import TerritoryIndex, TerritoryNotFound

    index = TerritoryIndex.from_db()
    errors: list[str] = []
    places: dict[tuple[str, str, int], Place] = {}
    for number, row in enumerate(rows, start=2):
        name = (row.get("name") or "").strip()
        kind = PLACE_KINDS.get((row.get("kind") or "").strip().lower())
        if not name or kind is None:
            errors.append(_("Line %(line)d: a name and a kind (district, settlement, street) are needed.")
                          % {"line": number})
            continue
        try:
            territory_id = index.find(row.get("territory") or "")
        except TerritoryNotFound as error:
            errors.append(_("Line %(line)d: %(error)s") % {"line": number, "error": error})
            continue
        try:
            lat = _coordinate(row.get("lat", ""), -90, 90)
            lon = _coordinate(row.get("lon", ""), -180, 180)
        except ValueError:
            errors.append(_("Line %(line)d: the point is not a latitude and longitude.") % {"line": number})
            continue
        places[(kind, name, territory_id)] = Place(
            name=name, kind=kind, territory_id=territory_id, latitude=lat, longitude=lon,
            key=name_key(name, kind),
        )
    if errors:
        return 0, errors
    with transaction.atomic():
        if replace:
            Place.objects.all().delete()
        for place in places.values():
            Place.objects.update_or_create(
                kind=place.kind, name=place.name, territory_id=place.territory_id,
                defaults={"latitude": place.latitude, "longitude": place.longitude, "key": place.key},
            )
    return len(places), []


def place_save(*, place: Place) -> Place:
    """Save a gazetteer place edited by hand, with the lemmas texts are matched against."""
    place.key = name_key(place.name, place.kind)
    place.save()
    return place
