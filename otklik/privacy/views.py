"""The privacy officer's page: every opening of an applicant's data (who, when, which appeal, where),
filtered by appeal, official and dates, and what the retention has erased so far. Whoever is not the
region's privacy officer gets 404, as for a page that does not exist."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from otklik.accounts.models import Role, User
from otklik.appeals.models import PersonalDataAccess
from otklik.privacy import selectors
from otklik.registry.selectors import region_settings

PAGE_SIZE = 50
ROLE_LABELS = dict(Role.choices)


class AccessFilterForm(forms.Form):
    appeal = forms.CharField(label=_("Appeal number"), required=False, max_length=32)
    person = forms.CharField(label=_("Official (login or name)"), required=False, max_length=150)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            raise forms.ValidationError(_("The last day cannot be before the first one."))
        return data

    def filters(self) -> selectors.AccessFilters:
        if not self.is_bound or not self.is_valid():
            return selectors.AccessFilters()
        data = self.cleaned_data
        return selectors.AccessFilters(appeal=data["appeal"], person=data["person"], since=data["since"],
                                       until=data["until"])


@login_required
@require_GET
def accesses(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not isinstance(user, User) or not selectors.may_review(user):
        raise Http404
    form = AccessFilterForm(request.GET or None)
    page = Paginator(selectors.accesses(form.filters()), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"at": a.at, "official": a.user.display_name, "login": a.user.username,
             "role": ROLE_LABELS.get(a.role, a.role or "—"), "appeal": a.appeal.number,
             "where": PersonalDataAccess.Where(a.where).label} for a in page.object_list]
    settings_row = region_settings()
    return render(request, "privacy/accesses.html", {
        "form": form, "page": page, "rows": rows,
        "retention_years": settings_row.personal_data_retention_years,
        "anonymised": selectors.anonymised_count(user),
        "due": selectors.due_for_anonymisation(timezone.now()).count(),
    })
