"""The moderator's workspace page of social posts: the queue by state, accept (with the suggested
category, organisation and importance preselected) and reject with a reason. Thin: reads through
selectors, writes through services; whoever does not moderate posts gets 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from otklik.accounts.models import User
from otklik.intake.social import selectors, services
from otklik.intake.social.models import Network, PostState
from otklik.intake.social.services import SocialError
from otklik.registry.models import Category, Organization

STATES = [PostState.NEW, PostState.IGNORED, PostState.DUPLICATE, PostState.ACCEPTED, PostState.REJECTED]


def _moderator(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if not selectors.moderates_posts(user):
        raise Http404
    return user


class AcceptForm(forms.Form):
    category = forms.ModelChoiceField(label=gettext_lazy("Category"), required=False,
                                      queryset=Category.objects.filter(is_active=True).order_by("name"))
    organization = forms.ModelChoiceField(label=gettext_lazy("Organisation"), required=False,
                                          queryset=Organization.objects.filter(is_active=True).order_by("name"))
    high_importance = forms.BooleanField(label=gettext_lazy("High importance (4 working hours)"), required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=2000)


@login_required
@require_GET
def post_list(request: HttpRequest) -> HttpResponse:
    user = _moderator(request)
    state = request.GET.get("state") or PostState.NEW
    if state not in PostState.values:
        state = PostState.NEW
    network = request.GET.get("network") or None
    if network not in Network.values:
        network = None
    page = Paginator(selectors.post_queue(user, state=state, network=network), 30).get_page(request.GET.get("page"))
    rows = [(post, AcceptForm(prefix=f"p{post.pk}", initial={
        "category": post.suggested_category_id, "organization": post.suggested_organization_id,
        "high_importance": post.suggested_high_importance}), RejectForm(prefix=f"p{post.pk}")) for post in page]
    sources, silent = selectors.moderation_health(user)
    return render(request, "social/posts.html", {
        "page": page, "rows": rows, "state": state, "network": network or "",
        "states": [(value, PostState(value).label) for value in STATES], "networks": Network.choices,
        "sources": sources, "now": timezone.now(), "silent": silent,
    })


def _back(request: HttpRequest) -> HttpResponse:
    return redirect(request.POST.get("next") or "social:posts")


@login_required
@require_POST
def post_accept(request: HttpRequest, pk: int) -> HttpResponse:
    user = _moderator(request)
    form = AcceptForm(request.POST, prefix=f"p{pk}")
    if not form.is_valid():
        messages.error(request, _("Check the category and the organisation."))
        return _back(request)
    try:
        post = services.post_accept(
            post_id=pk, user=user,
            category_id=form.cleaned_data["category"].pk if form.cleaned_data["category"] else None,
            organization_id=form.cleaned_data["organization"].pk if form.cleaned_data["organization"] else None,
            high_importance=form.cleaned_data["high_importance"])
    except SocialError as error:
        messages.error(request, error.message)
        return _back(request)
    number = post.appeal.number if post.appeal else ""
    messages.success(request, _("The post is accepted as message № %(number)s.") % {"number": number})
    return _back(request)


@login_required
@require_POST
def post_reject(request: HttpRequest, pk: int) -> HttpResponse:
    user = _moderator(request)
    form = RejectForm(request.POST, prefix=f"p{pk}")
    try:
        services.post_reject(post_id=pk, user=user, reason=form.data.get(f"p{pk}-reason", ""))
    except SocialError as error:
        messages.error(request, error.message)
        return _back(request)
    messages.success(request, _("The post is rejected."))
    return _back(request)
