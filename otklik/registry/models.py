"""Reference data of the region: territories, organisations and their officials, categories, routing,
the federal thematic classifier, the topic list and the region's own settings and calendar."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

CLASSIFIER_CODE_RE = re.compile(r"^\d{4}\.\d{4}\.\d{4}\.\d{4}$")

# The law's ceilings of the terms a region configures: a region may shorten a term, never lengthen it.
ORDINARY_TERM_CEILING = 30  # seed 002 §7, seed 004 §2.2: «не более 30 календарных дней»
ACCELERATED_TERM_CEILING = 10  # seed 002 §7: accelerated categories, «не более 10 календарных дней»
FZ59_TERM_CEILING = 30  # 59-FZ Art. 12 p. 1: 30 days from registration
FZ59_EXTENSION_CEILING = 30  # 59-FZ Art. 12 p. 2: extended by no more than 30 days
RECONSIDERATION_CEILING = 30  # a reconsideration is a new consideration of the message: seed 002 §7


def _ceiling_message(ceiling: int) -> str:
    return _("The law allows at most %(days)d calendar days; a region may shorten the term, not lengthen it.") % {
        "days": ceiling}


def term_limit_errors(*, procedure: str, answer_days: int | None, region_answer_days: int | None) -> dict[str, str]:
    """Field → message for every limit a category's terms break (empty when they keep the law):
    the approved term at most the procedure's ceiling, the region's override at most the approved term."""
    errors: dict[str, str] = {}
    ceiling = ACCELERATED_TERM_CEILING if procedure == Category.Procedure.ACCELERATED else ORDINARY_TERM_CEILING
    if answer_days is not None:
        if answer_days < 1:
            errors["answer_days"] = str(_("A term is at least 1 day."))
        elif answer_days > ceiling:
            errors["answer_days"] = str(
                _("An accelerated category is answered in at most %(days)d calendar days.")
                if procedure == Category.Procedure.ACCELERATED
                else _("A category is answered in at most %(days)d calendar days.")) % {"days": ceiling}
    if region_answer_days is not None:
        if region_answer_days < 1:
            errors["region_answer_days"] = str(_("A term is at least 1 day."))
        elif answer_days is not None and region_answer_days > answer_days:
            errors["region_answer_days"] = str(_(
                "The region's term may only shorten the approved one: at most %(days)d days.")) % {"days": answer_days}
        elif region_answer_days > ceiling:
            errors["region_answer_days"] = _ceiling_message(ceiling)
    return errors


class Territory(models.Model):
    """Territory «муниципальное образование»: region → districts / city districts → settlements."""

    class Kind(models.TextChoices):
        REGION = "region", _("region")
        MUNICIPAL_DISTRICT = "municipal_district", _("municipal district")
        CITY_DISTRICT = "city_district", _("city district")
        MUNICIPAL_OKRUG = "municipal_okrug", _("municipal okrug")
        URBAN_SETTLEMENT = "urban_settlement", _("urban settlement")
        RURAL_SETTLEMENT = "rural_settlement", _("rural settlement")

    name = models.CharField(_("name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent territory"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    oktmo = models.CharField(_("OKTMO code"), max_length=11, blank=True)
    centre_lat = models.FloatField(_("centre latitude"), null=True, blank=True)
    centre_lon = models.FloatField(_("centre longitude"), null=True, blank=True)
    boundary = models.JSONField(_("boundary (GeoJSON polygon)"), null=True, blank=True)

    class Meta:
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="territory_unique_name")]

    def __str__(self) -> str:
        return self.name

    def ancestors_and_self(self) -> list[Territory]:
        """From this territory up to the root; the routing fallback walks this list."""
        chain: list[Territory] = []
        node: Territory | None = self
        seen: set[int] = set()
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            chain.append(node)
            node = node.parent
        return chain


class Organization(models.Model):
    """Organisation «орган / организация» that receives and answers messages."""

    class Kind(models.TextChoices):
        REGIONAL_BODY = "regional_body", _("regional executive body")
        LOCAL_GOVERNMENT = "local_government", _("local self-government body")
        INSTITUTION = "institution", _("state or municipal institution")
        OTHER = "other", _("other organisation with public functions")

    name = models.CharField(_("name"), max_length=500, unique=True)
    short_name = models.CharField(_("short name"), max_length=255, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent organisation"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    territory = models.ForeignKey(
        Territory, verbose_name=_("territory"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="organizations",
    )
    address = models.CharField(_("postal address"), max_length=500, blank=True)
    phone = models.CharField(_("phone"), max_length=64, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    sstu_department_guid = models.CharField(_("SSTU department GUID"), max_length=36, blank=True)
    portal_id = models.CharField(_("portal organisation id"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    data_confirmed_at = models.DateTimeField(_("data confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.short_name or self.name


class Official(models.Model):
    """A person the organisation names to the registry, with contacts (seed 002 §4, seed 000 §1.1): the
    responsible official (not below deputy head) and their stand-in, the authorised person for public
    votes and their stand-in, the stand-in of the executors (executors are the organisation's members),
    and the persons authorised for the SSTU.RF section «Результаты рассмотрения обращений»."""

    class Kind(models.TextChoices):
        RESPONSIBLE = "responsible", _("responsible official")
        STAND_IN = "stand_in", _("stand-in of the responsible official")
        EXECUTOR_STAND_IN = "executor_stand_in", _("stand-in of the executors")
        AUTHORISED = "authorised", _("authorised person for public votes")
        AUTHORISED_STAND_IN = "authorised_stand_in", _("stand-in of the authorised person")
        SSTU_SECTION = "sstu_section", _("SSTU.RF: keeps the section «Results of consideration of appeals»")
        SSTU_SUPPORT = "sstu_support", _("SSTU.RF: technical support of the section")
        SSTU_ENTRY = "sstu_entry", _("SSTU.RF: enters the information into the section")

    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="officials"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    full_name = models.CharField(_("full name"), max_length=255)
    position = models.CharField(_("position"), max_length=255)
    phone = models.CharField(_("phone"), max_length=64, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)

    class Meta:
        verbose_name = _("official of the registry")
        verbose_name_plural = _("officials of the registry")
        constraints = [models.UniqueConstraint(fields=["organization", "kind"], name="official_one_per_kind")]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.get_kind_display()})"


# Every organisation names these persons to the registry (seed 002 §4); the registry-health page lists
# an organisation that lacks one. Executors are the organisation's members in the executor role.
DUTY_KINDS = (Official.Kind.RESPONSIBLE, Official.Kind.STAND_IN, Official.Kind.EXECUTOR_STAND_IN,
              Official.Kind.AUTHORISED, Official.Kind.AUTHORISED_STAND_IN)
# The persons authorised for the SSTU.RF section (seed 000 §1.1), shown on the SSTU monitoring page.
SSTU_KINDS = (Official.Kind.SSTU_SECTION, Official.Kind.SSTU_SUPPORT, Official.Kind.SSTU_ENTRY)


class ClassifierCode(models.Model):
    """An entry of the federal thematic classifier «ТОТКО», code SSSS.TTTT.MMMM.QQQQ, versioned."""

    version = models.CharField(_("version"), max_length=32)
    code = models.CharField(_("code"), max_length=19)
    name = models.CharField(_("name"), max_length=1000)

    class Meta:
        verbose_name = _("classifier code")
        verbose_name_plural = _("classifier codes")
        ordering = ["version", "code"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="classifier_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        if not CLASSIFIER_CODE_RE.match(self.code):
            raise ValidationError({"code": _("Code must look like SSSS.TTTT.MMMM.QQQQ.")})

    @property
    def level(self) -> int:
        blocks = self.code.split(".")
        return 4 - sum(1 for block in blocks[1:] if block == "0000")

    @property
    def parent_code(self) -> str | None:
        blocks = self.code.split(".")
        level = self.level
        if level <= 1:
            return None
        blocks[level - 1] = "0000"
        return ".".join(blocks)


class Category(models.Model):
    """Category or subcategory of messages «категория / подкатегория» with its answer deadline."""

    class Procedure(models.TextChoices):
        ORDINARY = "ordinary", _("ordinary")
        ACCELERATED = "accelerated", _("accelerated")

    parent = models.ForeignKey(
        "self", verbose_name=_("parent category"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=500)
    procedure = models.CharField(
        _("procedure"), max_length=16, choices=Procedure.choices, default=Procedure.ORDINARY
    )
    answer_days = models.PositiveSmallIntegerField(_("answer deadline, calendar days"), default=30)
    region_answer_days = models.PositiveSmallIntegerField(
        _("regional override of the deadline, days"), null=True, blank=True,
        help_text=_("A shorter term set by the region replaces the approved one."),
    )
    keywords = models.TextField(_("keywords"), blank=True, help_text=_("Comma-separated."))
    classifier_code = models.ForeignKey(
        ClassifierCode, verbose_name=_("classifier code"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="categories",
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_public = models.BooleanField(_("answers are published"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id and self.parent else self.name

    def answer_days_in(self, region: RegionSettings) -> int:
        """Calendar days to answer. The acts set a ceiling, 30 days (10 for accelerated categories),
        "unless a shorter term is set": the category's own term, or the region's override of it, may
        only shorten the ceiling that the region settings hold for the category's procedure."""
        ceiling = (
            region.answer_days_accelerated if self.procedure == self.Procedure.ACCELERATED
            else region.answer_days_default
        )
        return min(self.region_answer_days or self.answer_days, ceiling)

    def clean(self) -> None:
        errors = term_limit_errors(procedure=self.procedure, answer_days=self.answer_days,
                                   region_answer_days=self.region_answer_days)
        if errors:
            raise ValidationError(errors)

    @property
    def effective_answer_days(self) -> int:
        from otklik.registry.selectors import region_settings

        return self.answer_days_in(region_settings())

    def keyword_list(self) -> list[str]:
        return [word.strip() for word in self.keywords.split(",") if word.strip()]


class RoutingRule(models.Model):
    """Routing table row: (category, territory) → organisation. No territory means "anywhere"."""

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="routing_rules"
    )
    territory = models.ForeignKey(
        Territory, verbose_name=_("territory"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="routing_rules",
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="routing_rules"
    )

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing table")
        constraints = [
            models.UniqueConstraint(fields=["category", "territory"], name="routing_unique"),
            models.UniqueConstraint(
                fields=["category"], condition=models.Q(territory__isnull=True), name="routing_unique_anywhere"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} / {self.territory or '*'} → {self.organization}"


class Topic(models.Model):
    """Topic «направление (тематика)» for public discussions, votes and polls."""

    name = models.CharField(_("name"), max_length=255, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("topic of discussions, votes and polls")
        verbose_name_plural = _("topics of discussions, votes and polls")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RegionSettings(models.Model):
    """The region's own settings; one row. Defaults follow domain.md and the regional acts."""

    name = models.CharField(_("region name"), max_length=255, default="")
    answer_days_default = models.PositiveSmallIntegerField(_("answer deadline, days"), default=30)
    answer_days_accelerated = models.PositiveSmallIntegerField(_("accelerated answer deadline, days"), default=10)
    move_deadline_off_day = models.BooleanField(
        _("move a deadline that falls on a day off to the next working day"), default=True
    )
    moderation_working_days = models.PositiveSmallIntegerField(_("moderation budget, working days"), default=1)
    coordination_working_days = models.PositiveSmallIntegerField(
        _("coordination budget, working days"), default=1
    )
    approval_working_days = models.PositiveSmallIntegerField(_("approval budget, working days"), default=2)
    approaching_percent = models.PositiveSmallIntegerField(
        _("warn when this share of a term has passed, %"), default=80
    )
    postponed_executor_percent = models.PositiveSmallIntegerField(
        _("postponed message needs an executor when this share of its term remains, %"), default=75
    )
    fz59_registration_days = models.PositiveSmallIntegerField(_("59-FZ: registration, days"), default=3)
    fz59_redirect_days = models.PositiveSmallIntegerField(_("59-FZ: redirect, days"), default=7)
    fz59_answer_days = models.PositiveSmallIntegerField(_("59-FZ: answer, days"), default=30)
    fz59_max_extension_days = models.PositiveSmallIntegerField(_("59-FZ: longest extension, days"), default=30)
    social_answer_hours = models.PositiveSmallIntegerField(_("social posts: answer, working hours"), default=9)
    social_answer_hours_high = models.PositiveSmallIntegerField(
        _("social posts of high importance: answer, working hours"), default=4
    )
    social_final_working_days = models.PositiveSmallIntegerField(
        _("social posts: final answer after an intermediate one, working days"), default=7
    )
    workday_start = models.TimeField(_("working day starts"), default="09:00")
    workday_end = models.TimeField(_("working day ends"), default="18:00")
    registry_confirmation_days = models.PositiveSmallIntegerField(
        _("registry data must be confirmed every, days"), default=90
    )
    rework_reasons = models.JSONField(
        _("reasons to return an answer for rework"), default=list, blank=True,
    )
    reconsideration_days = models.PositiveSmallIntegerField(
        _("reconsideration after an unsatisfactory rating: answer, calendar days"), default=30
    )
    postponement_confirmed_by = models.CharField(
        _("who confirms a proposed postponement"), max_length=32, default="coordinator",
        choices=[("coordinator", _("coordinator")), ("head", _("head of the organisation"))],
    )
    stage_breaches_in_register = models.BooleanField(
        _("missed stage budgets count as breaches in reports and the disciplinary register"), default=False
    )
    registry_change_days = models.PositiveSmallIntegerField(
        _("a change of an official or a contact must be entered within, days"), default=3
    )
    map_centre_lat = models.FloatField(_("map centre latitude"), null=True, blank=True)
    map_centre_lon = models.FloatField(_("map centre longitude"), null=True, blank=True)
    map_zoom = models.PositiveSmallIntegerField(_("map zoom"), default=8)
    emblem = models.ImageField(_("emblem"), upload_to="region/", blank=True)
    # 152-FZ art. 5: personal data are kept no longer than their purpose needs; appeals of citizens are kept
    # five years (the federal list of standard archive documents). Statistics stay (manage.py
    # anonymise_applicants).
    personal_data_retention_years = models.PositiveSmallIntegerField(
        _("applicants' personal data are kept after the appeal is closed, years"), default=5,
        help_text=_("After this term the applicant's name, contacts and personal data in texts are erased; "
                    "counts, categories, dates and organisations stay for statistics. 0 keeps them for good."),
    )

    class Meta:
        verbose_name = _("region settings")
        verbose_name_plural = _("region settings")

    def __str__(self) -> str:
        return self.name or str(_("Region settings"))

    def clean(self) -> None:
        if self.workday_end <= self.workday_start:
            raise ValidationError({"workday_end": _("The working day must end after it starts.")})
        for field in ("approaching_percent", "postponed_executor_percent"):
            if not 1 <= getattr(self, field) <= 100:
                raise ValidationError({field: _("Enter a percentage from 1 to 100.")})
        errors = self.term_limit_errors()
        if errors:
            raise ValidationError(errors)

    def term_limit_errors(self) -> dict[str, str]:
        """Field → message for each term set longer than the law allows (or shorter than a day)."""
        errors: dict[str, str] = {}
        for field, ceiling in REGION_TERM_CEILINGS.items():
            value = getattr(self, field)
            if value is None:
                continue
            if value < 1:
                errors[field] = str(_("A term is at least 1 day."))
            elif value > ceiling:
                errors[field] = _ceiling_message(ceiling)
        return errors


REGION_TERM_CEILINGS = {
    "answer_days_default": ORDINARY_TERM_CEILING,
    "answer_days_accelerated": ACCELERATED_TERM_CEILING,
    "fz59_answer_days": FZ59_TERM_CEILING,
    "fz59_max_extension_days": FZ59_EXTENSION_CEILING,
    "reconsideration_days": RECONSIDERATION_CEILING,
}


class CalendarOverride(models.Model):
    """The region's own change to the federal production calendar."""

    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("extra day off")
        WORKING_DAY = "working_day", _("working day")

    day = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("working calendar override")
        verbose_name_plural = _("working calendar overrides")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day:%d.%m.%Y} {self.get_kind_display()}"


class RegistryChange(models.Model):
    """Change log of responsible persons and contacts: who changed what and when."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), null=True, on_delete=models.CASCADE, related_name="changes"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), null=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("changed at"), auto_now_add=True, db_index=True)
    # When the change itself happened (a new official appointed, a phone changed): the registry must
    # hear of it within the region's term (seed 002 §5: 3 days). Empty when nobody said (an import).
    happened_on = models.DateField(_("the change happened on"), null=True, blank=True)
    entity = models.CharField(_("entity"), max_length=64)
    entity_id = models.CharField(_("entity id"), max_length=64)
    action = models.CharField(_("action"), max_length=16)
    changes = models.JSONField(_("changes"), default=dict)

    class Meta:
        verbose_name = _("registry change")
        verbose_name_plural = _("registry change log")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%d.%m.%Y %H:%M} {self.summary()}"

    def summary(self) -> str:
        """What changed, in the interface language: «ответственное лицо изменено; телефон: …»."""
        models_by_entity: dict[str, type[models.Model]] = {"organization": Organization, "official": Official}
        actions = {"create": _("added"), "update": _("changed"), "delete": _("removed"),
                   "confirm": _("data confirmed as current")}
        model = models_by_entity.get(self.entity)
        what = str(model._meta.verbose_name) if model is not None else self.entity
        kind = (self.changes or {}).get("kind")
        if self.entity == "official" and kind:
            what = str(dict(Official.Kind.choices).get(kind[1] or kind[0], what))
        parts = [f"{what}: {actions.get(self.action, self.action)}"]
        for name, values in (self.changes or {}).items():
            if name == "kind" or model is None:
                continue
            try:
                label = str(getattr(model._meta.get_field(name.removesuffix("_id")), "verbose_name", name))
            except FieldDoesNotExist:  # a field that no longer exists
                label = name
            parts.append(f"{label}: {values[1] if values[1] not in (None, '') else '—'}")
        return "; ".join(parts)
