"""Staff pages. Reads go through selectors, writes through services."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from otklik.accounts.models import Role
from otklik.accounts.permissions import capacities, has_region_wide_view
from otklik.registry import selectors as registry_selectors
from otklik.registry.models import Organization


@login_required
def home(request: HttpRequest) -> HttpResponse:
    caps = capacities(request.user)  # type: ignore[arg-type]
    names = dict(Organization.objects.filter(pk__in={c.organization_id for c in caps}).values_list("pk", "name"))
    roles = [
        {"role": Role(c.role).label, "organization": names.get(c.organization_id, ""), "acting_for": c.acting_for_id}
        for c in caps
    ]
    return render(request, "workspace/home.html", {
        "roles": roles,
        "region_wide": has_region_wide_view(request.user),  # type: ignore[arg-type]
    })


@login_required
def registry_health(request: HttpRequest) -> HttpResponse:
    if not has_region_wide_view(request.user):  # type: ignore[arg-type]
        raise PermissionDenied
    return render(request, "workspace/registry_health.html", {"rows": registry_selectors.registry_health()})
