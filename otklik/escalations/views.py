"""Workspace pages of escalations: active ones with their clocks, history, a map, each one's appeals,
report and actions. Thin: reads through selectors, writes through services; a refused write shows its
Russian message. Whoever may not see escalations gets 404, as for another organisation's appeal."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from otklik.accounts.models import User
from otklik.escalations import selectors, services
from otklik.escalations.models import Escalation
from otklik.escalations.services import EscalationError
from otklik.registry.selectors import map_view


def _viewer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if not selectors.may_view(user):
        raise Http404
    return user


class ReportForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Report"), widget=forms.Textarea(attrs={"rows": 16}), max_length=20000)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=Escalation.Outcome.choices)
    note = forms.CharField(label=gettext_lazy("Outcome, in words"), required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3}))


@login_required
@require_GET
def escalation_list(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    history = request.GET.get("history") == "1"
    queryset = (selectors.visible_escalations(user).filter(state=Escalation.State.CLOSED).order_by("-opened_at")
                if history else selectors.active_escalations(user))
    page = Paginator(queryset, 30).get_page(request.GET.get("page"))
    return render(request, "escalations/list.html", {
        "page": page, "history": history, "now": timezone.now(), "map": map_view(),
        "late_count": selectors.late_reports(user).count(),
    })


@login_required
@require_GET
def escalation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _viewer(request)
    escalation = selectors.escalation_for_user(user, pk)
    if escalation is None:
        raise Http404
    return _detail(request, user, escalation)


def _detail(request: HttpRequest, user: User, escalation: Escalation, *, report_form: ReportForm | None = None,
            close_form: CloseForm | None = None, status: int = 200) -> HttpResponse:
    from otklik.escalations.documents import draft_report, facts

    may_act = selectors.may_act(user)
    text = escalation.report_text or (draft_report(escalation) if may_act else "")
    return render(request, "escalations/detail.html", {
        "escalation": escalation, "appeals": selectors.escalation_appeals(escalation),
        "events": selectors.escalation_events(escalation), "facts": facts(escalation), "may_act": may_act,
        "report_form": report_form or ReportForm(initial={"text": text}),
        "close_form": close_form or CloseForm(), "now": timezone.now(), "map": map_view(),
    }, status=status)


def _acting(request: HttpRequest, pk: int) -> tuple[User, Escalation]:
    user = _viewer(request)
    escalation = selectors.escalation_for_user(user, pk)
    if escalation is None:
        raise Http404
    return user, escalation


@login_required
@require_POST
def escalation_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    user, escalation = _acting(request, pk)
    try:
        services.acknowledge(escalation_id=escalation.pk, user=user)
        messages.success(request, _("The escalation is acknowledged."))
    except EscalationError as exc:
        messages.error(request, exc.message)
    return redirect("escalations:detail", pk=pk)


@login_required
@require_POST
def escalation_report(request: HttpRequest, pk: int) -> HttpResponse:
    user, escalation = _acting(request, pk)
    form = ReportForm(request.POST)
    if not form.is_valid():
        return _detail(request, user, escalation, report_form=form, status=400)
    try:
        if request.POST.get("send") == "1":
            services.send_report(escalation_id=pk, user=user, text=form.cleaned_data["text"])
            messages.success(request, _("The report is sent to the recipients as PDF."))
        else:
            services.save_report(escalation_id=pk, user=user, text=form.cleaned_data["text"])
            messages.success(request, _("The report is saved."))
    except EscalationError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _detail(request, user, escalation, report_form=form, status=exc.status)
    return redirect("escalations:detail", pk=pk)


@login_required
@require_POST
def escalation_close(request: HttpRequest, pk: int) -> HttpResponse:
    user, escalation = _acting(request, pk)
    form = CloseForm(request.POST)
    if not form.is_valid():
        return _detail(request, user, escalation, close_form=form, status=400)
    try:
        services.close(escalation_id=pk, user=user, outcome=form.cleaned_data["outcome"],
                       note=form.cleaned_data["note"])
        messages.success(request, _("The escalation is closed."))
    except EscalationError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _detail(request, user, escalation, close_form=form, status=exc.status)
    return redirect("escalations:detail", pk=pk)


@login_required
@require_GET
def escalation_pdf(request: HttpRequest, pk: int) -> FileResponse:
    _user, escalation = _acting(request, pk)
    if not escalation.report_pdf:
        raise Http404
    return FileResponse(escalation.report_pdf.open("rb"), content_type="application/pdf",
                        filename=f"escalation-{escalation.pk}.pdf")


@login_required
@require_GET
def map_data(request: HttpRequest) -> JsonResponse:
    user = _viewer(request)
    one = None
    if request.GET.get("escalation", "").isdigit():
        one = selectors.escalation_for_user(user, int(request.GET["escalation"]))
        if one is None:
            raise Http404
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [p["lon"], p["lat"]]},
                 "properties": {"escalation": p["escalation"],
                                "url": f"/workspace/escalations/{p['escalation']}/"}}
                for p in selectors.map_points(user, one)]
    return JsonResponse({"type": "FeatureCollection", "features": features})
