"""Registry pages: import and export of reference data, for people who keep the registry."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otklik.accounts.models import Role, User
from otklik.accounts.permissions import capacities, has_region_wide_view
from otklik.registry import selectors, services
from otklik.registry.models import Official
from otklik.registry.transfer import CONTENT_TYPES, FORMATS, KINDS, kind_title, registry_export, registry_import

# A registry file is a few megabytes at most; refuse bigger uploads before reading them.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _require_registry_keeper(user: User) -> None:
    """Reference data is the whole region's, so only region-wide roles (or staff) load and download it."""
    if not (user.is_staff or has_region_wide_view(user)):
        raise PermissionDenied


def _may_grant_roles(user: User) -> bool:
    """Importing people grants roles (administrator included), so it is an administrator's job."""
    return user.is_superuser or any(cap.role == Role.ADMIN for cap in capacities(user))


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"))
    file = forms.FileField(label=gettext_lazy("File (XLSX or CSV)"))
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run: check the file and write nothing"), required=False, initial=True,
        widget=forms.CheckboxInput(attrs={"style": "width: auto"}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["kind"].choices = [(slug, kind.title) for slug, kind in KINDS.items()]  # type: ignore[attr-defined]

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)d MB.") % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return upload


@login_required
def import_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    _require_registry_keeper(user)
    result = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid() and form.cleaned_data["kind"] == "people" and not _may_grant_roles(user):
            form.add_error("kind", _("Only an administrator may import people and their roles."))
        if form.is_valid():
            upload = form.cleaned_data["file"]
            result = registry_import(
                kind=form.cleaned_data["kind"], data=upload.read(), filename=upload.name, actor=user,
                dry_run=form.cleaned_data["dry_run"],
            )
            if result.written:
                messages.success(request, _(
                    "%(kind)s imported: %(created)d created, %(updated)d updated, %(unchanged)d unchanged."
                ) % {"kind": kind_title(result.kind), "created": result.created, "updated": result.updated,
                     "unchanged": result.unchanged})
                return redirect("registry:import")
    else:
        form = ImportForm()
    exports = [
        {"title": kind.title, "links": [
            (fmt.upper(), reverse("registry:export", kwargs={"kind": slug, "fmt": fmt})) for fmt in FORMATS
        ]}
        for slug, kind in KINDS.items()
    ]
    return render(request, "registry/import.html", {
        "form": form,
        "result": result,
        "result_title": kind_title(result.kind) if result else "",
        "exports": exports,
    })


@login_required
def export_view(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    _require_registry_keeper(request.user)  # type: ignore[arg-type]
    if kind not in KINDS or fmt not in FORMATS:
        raise Http404
    data = registry_export(kind=kind, fmt=fmt)
    response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    filename = f"{kind}-{timezone.localdate():%Y-%m-%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- an organisation's officials and contacts --------------------------------------------------------


class OfficialsForm(forms.Form):
    """Every person the organisation names to the registry, and the day the change happened."""

    happened_on = forms.DateField(
        label=gettext_lazy("The change happened on"), widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("The registry must hear of a change within %(days)d days of it."),
    )

    def __init__(self, *args: object, officials: dict[str, Official], change_days: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["happened_on"]
        field.help_text = str(field.help_text) % {"days": change_days}
        field.initial = timezone.localdate()
        self.groups: list[tuple[str, list[str]]] = []
        for kind, title in Official.Kind.choices:
            current = officials.get(kind)
            names = []
            for name in services.OFFICIAL_VALUES:
                model_field = Official._meta.get_field(name)
                key = f"{kind}-{name}"
                self.fields[key] = forms.CharField(
                    label=str(getattr(model_field, "verbose_name", name)).capitalize(), required=False,
                    max_length=255,
                    initial=getattr(current, name) if current else "",
                )
                names.append(key)
            self.groups.append((str(title), names))

    def clean_happened_on(self) -> object:
        value = self.cleaned_data["happened_on"]
        try:
            services.check_happened_on(value)
        except services.RegistryError as error:
            raise forms.ValidationError(error.message) from None
        return value

    def entries(self) -> dict[str, dict[str, str]]:
        return {kind: {name: self.cleaned_data[f"{kind}-{name}"] for name in services.OFFICIAL_VALUES}
                for kind in Official.Kind.values}

    def bound_groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in self.groups]


@login_required
def officials_view(request: HttpRequest, organization_id: int) -> HttpResponse:
    """The change form of an organisation's officials and contacts (seed 002 §4–5): the head of the
    organisation or the registry's keepers enter them with the day the change happened."""
    user: User = request.user  # type: ignore[assignment]
    organization = selectors.officials_organization(user, organization_id)
    if organization is None:
        raise Http404
    region = selectors.region_settings()
    officials = selectors.organization_officials(organization)
    form = OfficialsForm(request.POST if request.method == "POST" and "save" in request.POST else None,
                         officials=officials, change_days=region.registry_change_days)
    if request.method == "POST" and "confirm" in request.POST:
        services.organization_confirm_data(actor=user, organization=organization)
        messages.success(request, _("The organisation's data are confirmed as current."))
        return redirect("registry:officials", organization_id=organization.pk)
    if form.is_bound and form.is_valid():
        try:
            logged = services.officials_update(actor=user, organization=organization, entries=form.entries(),
                                               happened_on=form.cleaned_data["happened_on"])
        except services.RegistryError as error:
            form.add_error(None, error.message)
        else:
            if logged:
                messages.success(request, _("Changes entered: %(count)d.") % {"count": len(logged)})
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("registry:officials", organization_id=organization.pk)
    return render(request, "registry/officials.html", {
        "organization": organization, "form": form, "region": region,
        "changes": selectors.organization_changes(organization),
    })
