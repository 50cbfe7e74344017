"""What the intake channels (portal form, widget, Open311) know about a received appeal beyond the
appeal itself: attachments, the consent given, the API key and Open311 extras, followers."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiKey(models.Model):
    """A key an integrator sends as ``api_key`` to POST Open311 requests. Only its hash is stored:
    the key is shown once, when it is created in the admin."""

    name = models.CharField(_("name"), max_length=255, help_text=_("Who uses the key: an app, a partner system."))
    organization = models.ForeignKey(
        "registry.Organization", verbose_name=_("organisation"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="api_keys",
    )
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("key starts with"), max_length=8, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    def set_new_key(self) -> str:
        """Give the key a fresh random value and return it (it cannot be read back later)."""
        raw = secrets.token_urlsafe(30)
        self.key_hash = self.hash(raw)
        self.prefix = raw[:8]
        return raw


class ServiceAttribute(models.Model):
    """An extra question of a category: an Open311 service definition attribute."""

    class Datatype(models.TextChoices):
        STRING = "string", _("line of text")
        NUMBER = "number", _("number")
        DATETIME = "datetime", _("date and time")
        TEXT = "text", _("text")
        SINGLE = "singlevaluelist", _("one value from a list")
        MULTI = "multivaluelist", _("several values from a list")

    category = models.ForeignKey(
        "registry.Category", verbose_name=_("category"), on_delete=models.CASCADE, related_name="service_attributes"
    )
    code = models.CharField(_("code"), max_length=64)
    variable = models.BooleanField(_("asks for input"), default=True)
    datatype = models.CharField(_("type"), max_length=16, choices=Datatype.choices, default=Datatype.STRING)
    required = models.BooleanField(_("required"), default=False)
    datatype_description = models.CharField(_("hint on the format"), max_length=255, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    description = models.CharField(_("question"), max_length=500)
    values = models.JSONField(
        _("values"), default=list, blank=True, help_text=_('For lists: [{"key": "1", "name": "…"}, …]')
    )

    class Meta:
        verbose_name = _("extra question of a category")
        verbose_name_plural = _("extra questions of categories")
        ordering = ["category", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["category", "code"], name="service_attribute_unique")]

    def __str__(self) -> str:
        return f"{self.category}: {self.code}"

    def value_keys(self) -> set[str]:
        return {str(item.get("key")) for item in self.values if isinstance(item, dict)}


class ConsentText(models.Model):
    """A version of the consent to personal-data processing (152-FZ); the newest one is shown."""

    version = models.CharField(_("version"), max_length=32, unique=True)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("consent text")
        verbose_name_plural = _("consent texts")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.version


class Submission(models.Model):
    """How an appeal arrived: the channel's own data, one row per appeal."""

    class Source(models.TextChoices):
        PORTAL = "portal", _("portal form")
        WIDGET = "widget", _("widget on an organisation's website")
        OPEN311 = "open311", _("Open311 API")

    appeal = models.OneToOneField(
        "appeals.Appeal", verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="submission"
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    organization = models.ForeignKey(
        "registry.Organization", verbose_name=_("organisation chosen by the applicant"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    consent = models.ForeignKey(
        ConsentText, verbose_name=_("consent given"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="submissions",
    )
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    api_key = models.ForeignKey(
        ApiKey, verbose_name=_("API key"), null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions"
    )
    token = models.CharField(_("Open311 token"), max_length=64, null=True, blank=True, unique=True)
    device_id = models.CharField(_("device id"), max_length=255, blank=True)
    account_id = models.CharField(_("account id"), max_length=255, blank=True)
    address_id = models.CharField(_("address id"), max_length=255, blank=True)
    attributes = models.JSONField(_("answers to extra questions"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")

    def __str__(self) -> str:
        return f"{self.appeal_id} ({self.source})"


def _attachment_path(instance: Attachment, filename: str) -> str:
    # A random name: the original one may carry personal data and is kept only in the database.
    suffix = PurePosixPath(filename).suffix.lower()[:8]
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    """A photo or document sent with an appeal, or a link to media (Open311 ``media_url``).

    Files uploaded with a form that had errors wait under the form's key (``draft_key``) so the
    citizen does not have to send them again; they are bound to the appeal when it is submitted."""

    class Kind(models.TextChoices):
        IMAGE = "image", _("photo")
        DOCUMENT = "document", _("document")
        LINK = "link", _("link to media")

    appeal = models.ForeignKey(
        "appeals.Appeal", verbose_name=_("appeal"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="attachments",
    )
    draft_key = models.CharField(_("form key"), max_length=64, blank=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=_attachment_path, blank=True)
    url = models.URLField(_("link"), max_length=1000, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    size = models.PositiveIntegerField(_("size, bytes"), default=0)
    sha256 = models.CharField(_("checksum"), max_length=64, blank=True)
    # A keyed hash of the uploader's address (never the address itself): the per-client quota counts by it.
    client = models.CharField(_("uploader (hashed)"), max_length=32, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name or self.url

    @property
    def is_image(self) -> bool:
        return self.kind == self.Kind.IMAGE


class Follower(models.Model):
    """Someone who joined an existing appeal instead of sending a duplicate (as FixMyStreet offers)."""

    appeal = models.ForeignKey(
        "appeals.Appeal", verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="followers"
    )
    email = models.EmailField(_("e-mail"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="followed_appeals",
    )
    created_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("follower")
        verbose_name_plural = _("followers")
        constraints = [models.UniqueConstraint(fields=["appeal", "email"], name="follower_unique_email")]

    def __str__(self) -> str:
        return f"{self.appeal_id}: {self.email}"


class PublicText(models.Model):
    """A text of an appeal as public pages and Open311 show it: personal data masked (core/pii.py).

    Finding names and addresses takes a fraction of a second per text, too slow for a list of answers on
    every request, so the masked text is kept per version of its source: ``digest`` covers the source
    text, what is known of the applicant and the detector's version, and a change of any of them computes
    it again."""

    appeal = models.ForeignKey(
        "appeals.Appeal", verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="public_texts"
    )
    field = models.CharField(_("field"), max_length=32)
    digest = models.CharField(_("digest of the source"), max_length=64)
    masked = models.TextField(_("masked text"))
    found = models.JSONField(_("personal data found, by kind"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("public text")
        verbose_name_plural = _("public texts")
        constraints = [models.UniqueConstraint(fields=["appeal", "field"], name="public_text_unique")]

    def __str__(self) -> str:
        return f"{self.appeal_id}: {self.field}"
