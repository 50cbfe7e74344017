"""Routing's stored state: the region's routing settings and the versions of the trained models."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RoutingSettings(models.Model):
    """The region's numbers for routing (one row): when a suggestion may decide without a moderator."""

    auto_route = models.BooleanField(
        _("route automatically when sure"), default=False,
        help_text=_("Messages whose category and organisation are both suggested with at least the threshold "
                    "confidence are accepted and routed without a moderator; the event says it was automatic."))
    auto_route_threshold = models.FloatField(
        _("confidence needed to route automatically"), default=0.9,
        help_text=_("Between 0.5 and 1. A calibrated 0.9 is right nine times in ten."))
    min_training_appeals = models.PositiveIntegerField(
        _("decided appeals needed to train on history"), default=200,
        help_text=_("Below this, suggestions come from the categories' keywords (and never route automatically)."))
    similar_window_days = models.PositiveSmallIntegerField(
        _("similar appeals: look back this many days"), default=30)

    class Meta:
        verbose_name = _("routing settings")
        verbose_name_plural = _("routing settings")

    def __str__(self) -> str:
        return str(_("Routing settings"))


class RoutingModel(models.Model):
    """One trained version of a routing classifier: its file, what it was trained on and how well it did.

    Exactly one version per target is active; activating another (in admin) rolls back or forward.
    """

    class Target(models.TextChoices):
        CATEGORY = "category", _("category")
        ORGANIZATION = "organization", _("organisation")

    class Source(models.TextChoices):
        HISTORY = "history", _("decided appeals")
        KEYWORDS = "keywords", _("category keywords (cold start)")

    target = models.CharField(_("predicts"), max_length=16, choices=Target.choices)
    version = models.PositiveIntegerField(_("version"))
    source = models.CharField(_("trained on"), max_length=16, choices=Source.choices)
    file = models.FileField(_("model file"), upload_to="routing/")
    sha256 = models.CharField(_("file checksum"), max_length=64)
    is_active = models.BooleanField(_("active"), default=False)
    trained_at = models.DateTimeField(_("trained at"))
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("trained by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    examples = models.PositiveIntegerField(_("training examples"), default=0)
    labels = models.PositiveIntegerField(_("labels"), default=0)
    metrics = models.JSONField(_("metrics on held-out appeals"), default=dict, blank=True)

    class Meta:
        verbose_name = _("routing model")
        verbose_name_plural = _("routing models")
        ordering = ("target", "-version")
        constraints = [
            models.UniqueConstraint(fields=("target", "version"), name="routing_model_version_unique"),
            models.UniqueConstraint(
                fields=("target",), condition=models.Q(is_active=True), name="routing_model_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()} v{self.version}"


class Fingerprint(models.Model):
    """What near-duplicate search keeps of an appeal's text: its exact hash and MinHash signature."""

    appeal = models.OneToOneField(
        "appeals.Appeal", verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="fingerprint"
    )
    exact = models.CharField(_("normalised text hash"), max_length=64, db_index=True)
    signature = models.JSONField(_("MinHash signature"), default=list)

    class Meta:
        verbose_name = _("text fingerprint")
        verbose_name_plural = _("text fingerprints")

    def __str__(self) -> str:
        return f"{self.appeal_id}"


class FingerprintBand(models.Model):
    """One LSH band key of a fingerprint: appeals that share a key are candidates for near-copies."""

    fingerprint = models.ForeignKey(
        Fingerprint, verbose_name=_("text fingerprint"), on_delete=models.CASCADE, related_name="bands"
    )
    key = models.BigIntegerField(_("band key"), db_index=True)

    class Meta:
        verbose_name = _("fingerprint band")
        verbose_name_plural = _("fingerprint bands")

    def __str__(self) -> str:
        return f"{self.fingerprint_id}:{self.key}"


class Place(models.Model):
    """A gazetteer entry «населённый пункт / улица / район»: a name found in texts, its territory, a point.

    Imported from the region's CSV (``manage.py routing_gazetteer``); the routing reads the place of a
    message whose author gave no point or territory from these names.
    """

    class Kind(models.TextChoices):
        DISTRICT = "district", _("district")
        SETTLEMENT = "settlement", _("settlement")
        STREET = "street", _("street")

    name = models.CharField(_("name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    territory = models.ForeignKey(
        "registry.Territory", verbose_name=_("territory"), on_delete=models.CASCADE, related_name="places"
    )
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    # The name's lemmas without the street type («улица Ленина» → «ленин»): what a text is matched against.
    key = models.CharField(_("lemmas of the name"), max_length=255, db_index=True, editable=False)

    class Meta:
        verbose_name = _("gazetteer place")
        verbose_name_plural = _("gazetteer")
        constraints = [models.UniqueConstraint(fields=("kind", "name", "territory"), name="routing_place_unique")]

    def __str__(self) -> str:
        return self.name
