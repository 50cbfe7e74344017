"""Citizen forms. Every message is in plain words and goes through gettext; a form with errors is
shown again with everything the citizen entered."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from otklik.intake.models import ConsentText
from otklik.intake.selectors import point_in_region
from otklik.registry.models import Category, Organization, Territory
from otklik.registry.selectors import region_settings

TEXT_MIN = 10
TEXT_MAX = 4000  # the Open311 limit for a description; the same for every channel
KEY_RE = re.compile(r"^[0-9a-f]{32}$")
PHONE_RE = re.compile(r"^[0-9+()\-\s]{5,32}$")


def _no_nul(value: str) -> None:
    if "\x00" in value:
        raise ValidationError(_("The text contains a forbidden character."))


class SubmitForm(forms.Form):
    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(is_active=True), label=_("Category"),
        error_messages={"required": _("Choose what the problem is about."),
                        "invalid_choice": _("Choose a category from the list.")},
    )
    text = forms.CharField(
        label=_("Describe the problem"), min_length=TEXT_MIN, max_length=TEXT_MAX, widget=forms.Textarea,
        validators=[_no_nul],
        error_messages={
            "required": _("Describe the problem."),
            "min_length": _("Describe the problem in a little more detail (at least %(limit_value)d characters)."),
            "max_length": _("The text is too long: %(show_value)d characters, at most %(limit_value)d."),
        },
    )
    address = forms.CharField(label=_("Address or place"), max_length=500, required=False, validators=[_no_nul],
                              error_messages={"max_length": _("The address is too long (at most %(limit_value)d "
                                                              "characters).")})
    latitude = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput,
                                error_messages={"invalid": _("The point on the map is wrong: choose it again."),
                                                "min_value": _("The point on the map is wrong: choose it again."),
                                                "max_value": _("The point on the map is wrong: choose it again.")})
    longitude = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput,
                                 error_messages={"invalid": _("The point on the map is wrong: choose it again."),
                                                 "min_value": _("The point on the map is wrong: choose it again."),
                                                 "max_value": _("The point on the map is wrong: choose it again.")})
    territory = forms.ModelChoiceField(
        queryset=Territory.objects.all(), required=False, label=_("Municipality"),
        error_messages={"invalid_choice": _("Choose a municipality from the list.")},
    )
    name = forms.CharField(label=_("Your name"), max_length=255, validators=[_no_nul],
                           error_messages={"required": _("Tell us your name: the answer will be addressed to you."),
                                           "max_length": _("The name is too long.")})
    email = forms.EmailField(label=_("E-mail"), max_length=254,
                             error_messages={"required": _("Enter your e-mail: the answer and notices come there."),
                                             "invalid": _("Enter a correct e-mail, like name@example.ru.")})
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    consent = forms.BooleanField(
        error_messages={"required": _("Without consent to the processing of personal data the message cannot be "
                                      "accepted.")},
    )
    consent_version = forms.CharField(widget=forms.HiddenInput, required=False)
    intake_key = forms.CharField(widget=forms.HiddenInput)
    organization = forms.ModelChoiceField(queryset=Organization.objects.filter(is_active=True), required=False,
                                          widget=forms.HiddenInput)

    def __init__(self, *args: Any, allowed_categories: list[Category] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed_category_ids = {c.pk for c in allowed_categories} if allowed_categories is not None else None

    def clean_category(self) -> Category:
        category: Category = self.cleaned_data["category"]
        if self.allowed_category_ids is not None and category.pk not in self.allowed_category_ids:
            raise ValidationError(_("Choose a subcategory: it decides who answers and when."))
        return category

    def clean_phone(self) -> str:
        phone = self.cleaned_data.get("phone", "").strip()
        if phone and not PHONE_RE.match(phone):
            raise ValidationError(_("Enter the phone with digits only, like +7 912 345-67-89."))
        return phone

    def clean_intake_key(self) -> str:
        key = self.cleaned_data["intake_key"]
        if not KEY_RE.match(key):
            raise ValidationError(_("The form is out of date: reload the page."))
        return key

    def clean_consent_version(self) -> ConsentText | None:
        version = self.cleaned_data.get("consent_version") or ""
        return ConsentText.objects.filter(version=version).first() if version else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lat, lon = data.get("latitude"), data.get("longitude")
        if (lat is None) != (lon is None):
            self.add_error("latitude", _("The point on the map is incomplete: choose it again."))
        elif lat is not None and lon is not None and not point_in_region(lat, lon):
            name = region_settings().name
            self.add_error("latitude", _("The point on the map lies outside %(region)s: mark the place within the "
                                         "region, or remove the point and describe the place in the address "
                                         "line.") % {"region": name} if name else
                           _("The point on the map lies outside the region: mark the place within the region, or "
                             "remove the point and describe the place in the address line."))
        return data


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Your rating"), choices=[(i, str(i)) for i in range(5, 0, -1)], coerce=int,
        widget=forms.RadioSelect, error_messages={"required": _("Choose a rating from 1 to 5."),
                                                  "invalid_choice": _("Choose a rating from 1 to 5.")},
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000, widget=forms.Textarea,
                              validators=[_no_nul])


class CommentForm(forms.Form):
    """The applicant's addition to their own open message: a comment, photos, or both."""

    text = forms.CharField(label=_("Comment"), required=False, max_length=2000, widget=forms.Textarea,
                           validators=[_no_nul])


class FollowForm(forms.Form):
    email = forms.EmailField(label=_("Your e-mail"), error_messages={
        "required": _("Enter your e-mail to get news of this message."),
        "invalid": _("Enter a correct e-mail, like name@example.ru.")})


class SignupForm(forms.Form):
    last_name = forms.CharField(label=_("Surname"), max_length=150,
                                error_messages={"required": _("Enter your surname.")})
    first_name = forms.CharField(label=_("Name"), max_length=150, error_messages={"required": _("Enter your name.")})
    email = forms.EmailField(label=_("E-mail"), error_messages={
        "required": _("Enter your e-mail."), "invalid": _("Enter a correct e-mail, like name@example.ru.")})
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput,
                                error_messages={"required": _("Think of a password.")})
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput,
                                error_messages={"required": _("Repeat the password.")})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The passwords differ."))
        elif first:
            try:
                validate_password(first)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class TrackForm(forms.Form):
    number = forms.CharField(label=_("Message number"), max_length=32,
                             error_messages={"required": _("Enter the number of the message.")})
    key = forms.CharField(label=_("Secret key from the e-mail"), max_length=64,
                          error_messages={"required": _("Enter the key from the e-mail.")})
