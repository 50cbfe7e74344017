"""Pages of public participation: for citizens (list, event, ballot, results, profile) and for
organisers in the workspace (create, edit, publish, moderate, results, recount). Thin: reads through
selectors, writes through services; a refused write shows its Russian message."""

from __future__ import annotations

import io
from typing import Any

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
from otklik.participation import ballots as rules
from otklik.participation import selectors, services
from otklik.participation.lifecycle import Action, State, actions_from
from otklik.participation.models import BudgetRule, Event, Kind, Question
from otklik.participation.services import ParticipationError
from otklik.registry.models import Territory, Topic


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# --- citizens --------------------------------------------------------------------------------------------


@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind") or None
    page = Paginator(selectors.public_events(kind=kind if kind in Kind.values else None), 20).get_page(
        request.GET.get("page"))
    return render(request, "participation/list.html", {"page": page, "kinds": Kind.choices, "kind": kind or ""})


def _project_rows(event: Event) -> list[dict[str, Any]]:
    return [{"project": p, "cost_label": rules.rub(p.cost)} for p in selectors.projects(event)]


def _results_view(event: Event) -> dict[str, Any]:
    data = event.results or {}
    if event.kind == Kind.BUDGET and data:
        funded = set(data.get("funded", []))
        rows = sorted(({"project": p, "votes": data["votes"].get(str(p.pk), 0), "funded": p.pk in funded,
                        "cost_label": rules.rub(p.cost)} for p in selectors.projects(event)),
                      key=lambda r: (-r["votes"], r["project"].cost, r["project"].pk))
        return {"projects": rows, "spent": rules.rub(data.get("spent", 0)), "budget": rules.rub(event.budget or 0)}
    if event.kind == Kind.POLL and data:
        out = []
        for q in selectors.questions(event):
            row = data["questions"].get(str(q.pk), {})
            counts = row.get("counts", {})
            if q.type == Question.Type.SCALE:
                labels = list(counts)
                values = [counts[k] for k in labels]
            else:
                labels = [o.text for o in q.options.all()]
                values = [counts.get(str(o.pk), 0) for o in q.options.all()]
            out.append({"question": q, "labels": labels, "values": values, "answered": row.get("answered", 0),
                        "mean": row.get("mean"), "texts": row.get("texts", [])[:50],
                        "pairs": list(zip(labels, values, strict=True)),
                        "chart": {"labels": labels, "values": values, "title": q.text}})
        return {"questions": out}
    return {}


def _event_context(request: HttpRequest, event: Event, **extra: Any) -> dict[str, Any]:
    user = _user(request) if request.user.is_authenticated else request.user
    now = timezone.now()
    context: dict[str, Any] = {
        "event": event, "open": event.state == State.PUBLISHED and event.starts_at <= now < event.ends_at,
        "voted": selectors.has_taken_part(user, event) if request.user.is_authenticated else False,  # type: ignore[arg-type]
        "Kind": {k.name: k.value for k in Kind}, "rule_text": _rule_text(event),
    }
    if event.kind in (Kind.DISCUSSION, Kind.HEARING):
        context["paragraphs"] = selectors.public_paragraphs(event)
        context["mine"] = selectors.my_pending_comments(user, event)  # type: ignore[arg-type]
    if event.kind == Kind.BUDGET:
        context.update(projects=_project_rows(event), budget_label=rules.rub(event.budget or 0))
        mine = selectors.my_ballot(user, event) if request.user.is_authenticated else None  # type: ignore[arg-type]
        context["chosen"] = set(extra.pop("chosen", None) or (mine or {}).get("projects", []))
    if event.kind == Kind.POLL:
        context["questions"] = selectors.questions(event)
        context["answers"] = extra.pop("answers", {})
    if event.state == State.RESULTS_PUBLISHED:
        context["results"] = _results_view(event)
    context.update(extra)
    return context


def _rule_text(event: Event) -> str:
    if event.kind != Kind.BUDGET:
        return ""
    how = {
        BudgetRule.CHOOSE_K: _("Choose up to %(k)s projects.") % {"k": event.max_choices},
        BudgetRule.KNAPSACK: _("Choose projects whose total cost is within the budget of %(budget)s.")
        % {"budget": rules.rub(event.budget or 0)},
        BudgetRule.APPROVAL: _("Choose every project you support."),
    }.get(BudgetRule(event.rule), "")
    count = _("Results: projects are funded in order of votes, within the budget; a project that no longer fits "
              "the money left is skipped and the next one is tried.")
    return f"{how} {count}"


@require_GET
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    event = selectors.public_event(event_id)
    if event is None:
        raise Http404
    return render(request, "participation/event.html", _event_context(request, event))


def _public_or_404(event_id: int) -> Event:
    event = selectors.public_event(event_id)
    if event is None:
        raise Http404
    return event


@login_required
@require_POST
def comment_add(request: HttpRequest, event_id: int, paragraph_id: int) -> HttpResponse:
    event = _public_or_404(event_id)
    try:
        services.comment_add(user=_user(request), paragraph_id=paragraph_id, text=request.POST.get("text", ""))
    except ParticipationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Thank you: your comment will appear after moderation."))
    return redirect(f"{event_url(event)}#p{paragraph_id}")


@login_required
@require_POST
def comment_support(request: HttpRequest, event_id: int, comment_id: int) -> HttpResponse:
    event = _public_or_404(event_id)
    try:
        services.comment_support(user=_user(request), comment_id=comment_id)
    except ParticipationError as exc:
        messages.error(request, exc.message)
    return redirect(f"{event_url(event)}#c{comment_id}")


def event_url(event: Event) -> str:
    from django.urls import reverse

    return reverse("participation:event", args=[event.pk])


def _poll_answers(request: HttpRequest, event: Event) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for q in selectors.questions(event):
        name = f"q{q.pk}"
        if q.type == Question.Type.MULTIPLE:
            values = [v for v in request.POST.getlist(name) if v.isdigit()]
            if values:
                answers[str(q.pk)] = [int(v) for v in values]
            continue
        raw = request.POST.get(name, "").strip()
        if not raw:
            continue
        if q.type == Question.Type.TEXT:
            answers[str(q.pk)] = raw
        else:
            answers[str(q.pk)] = int(raw) if raw.lstrip("-").isdigit() else raw
    return answers


@login_required
@require_POST
def ballot(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _public_or_404(event_id)
    if event.kind == Kind.BUDGET:
        chosen = [int(v) for v in request.POST.getlist("projects") if v.isdigit()]
        choices: dict[str, Any] = {"projects": chosen}
        keep: dict[str, Any] = {"chosen": chosen}
    else:
        answers = _poll_answers(request, event)
        choices = {"answers": answers}
        keep = {"answers": {k: v for k, v in answers.items()}}
    try:
        replaced = services.ballot_cast(user=_user(request), event_id=event.pk, choices=choices)
    except ParticipationError as exc:
        context = _event_context(request, event, **keep, ballot_error=exc.message, error_field=exc.field)
        return render(request, "participation/event.html", context, status=exc.status)
    messages.success(request, _("Your ballot is replaced.") if replaced else _("Your ballot is accepted. Thank you!"))
    return redirect(event_url(event))


class ProfileForm(forms.Form):
    territory = forms.ModelChoiceField(label=gettext_lazy("Where I live"), queryset=Territory.objects.none(),
                                       required=False)
    birth_year = forms.IntegerField(label=gettext_lazy("Year of birth"), required=False)
    notify = forms.BooleanField(label=gettext_lazy("Tell me about new events in my territory"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["territory"].queryset = Territory.objects.order_by("name")  # type: ignore[attr-defined]


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    current = selectors.profile(user)
    initial = {"territory": current.territory_id, "birth_year": current.birth_year,
               "notify": current.notify} if current else {"notify": True}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.profile_save(user=user, territory_id=data["territory"].pk if data["territory"] else None,
                                  birth_year=data["birth_year"], notify=data["notify"])
        except ParticipationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The profile is saved."))
            return redirect(request.GET.get("next") or "participation:list")
    return render(request, "participation/profile.html", {"form": form}, status=400 if form.errors else 200)


# --- organisers ----------------------------------------------------------------------------------------------


def _staff(request: HttpRequest) -> User:
    user = _user(request)
    if not selectors.may_use_workspace(user):
        raise Http404
    return user


def _staff_event(request: HttpRequest, event_id: int) -> tuple[User, Event]:
    user = _staff(request)
    event = selectors.staff_event(user, event_id)
    if event is None:
        raise Http404
    return user, event


class EventForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Kind.choices)
    organization = forms.TypedChoiceField(label=gettext_lazy("Organisation"), coerce=int)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=255)
    description = forms.CharField(label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 4}),
                                  required=False)
    topic = forms.ModelChoiceField(label=gettext_lazy("Topic"), queryset=Topic.objects.none())
    territories = forms.ModelMultipleChoiceField(label=gettext_lazy("Territories (none: the whole region)"),
                                                 queryset=Territory.objects.none(), required=False)
    min_age = forms.IntegerField(label=gettext_lazy("Minimum age"), required=False)
    starts_at = forms.DateTimeField(label=gettext_lazy("Starts at"),
                                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=gettext_lazy("Ends at"),
                                  widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    results_due_on = forms.DateField(label=gettext_lazy("Results due on (empty: by the region's rule)"),
                                     required=False, widget=forms.DateInput(attrs={"type": "date"}))
    rule = forms.ChoiceField(label=gettext_lazy("Voting rule"), choices=[("", "—"), *BudgetRule.choices],
                             required=False)
    max_choices = forms.IntegerField(label=gettext_lazy("At most this many projects"), required=False, min_value=1)
    budget = forms.IntegerField(label=gettext_lazy("Budget, roubles"), required=False, min_value=1)
    ballot_changeable = forms.BooleanField(label=gettext_lazy("A ballot may be changed until the end"),
                                           required=False)
    hearing_place = forms.CharField(label=gettext_lazy("Place of the hearing"), required=False)

    def __init__(self, *args: Any, organizations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = organizations  # type: ignore[attr-defined]
        self.fields["topic"].queryset = Topic.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["territories"].queryset = Territory.objects.order_by("name")  # type: ignore[attr-defined]


@login_required
def manage_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    organizations = [(o.pk, str(o)) for o in selectors.organiser_organizations(user)]
    form = EventForm(request.POST or None, organizations=organizations) if organizations else None
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            event = services.event_create(
                user=user, organization_id=data["organization"], kind=data["kind"], title=data["title"],
                description=data["description"], topic_id=data["topic"].pk,
                territory_ids=[t.pk for t in data["territories"]], min_age=data["min_age"],
                starts_at=data["starts_at"], ends_at=data["ends_at"], results_due_on=data["results_due_on"],
                rule=data["rule"], max_choices=data["max_choices"], budget=data["budget"],
                ballot_changeable=data["ballot_changeable"], hearing_place=data["hearing_place"])
        except ParticipationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The event is created as a draft."))
            return redirect("participation:manage", event.pk)
    events = selectors.staff_events(user, state=request.GET.get("state") or None)
    return render(request, "participation/manage_list.html", {
        "page": Paginator(events, 25).get_page(request.GET.get("page")), "form": form, "states": State.choices,
        "state": request.GET.get("state", "")}, status=400 if form is not None and form.errors else 200)


ACTION_BUTTONS = {
    Action.SUBMIT: gettext_lazy("Send for approval"),
    Action.PUBLISH: gettext_lazy("Publish"),
    Action.APPROVE: gettext_lazy("Approve and publish"),
    Action.FINISH: gettext_lazy("Finish"),
    Action.PUBLISH_RESULTS: gettext_lazy("Publish the results"),
}


@login_required
@require_GET
def manage(request: HttpRequest, event_id: int) -> HttpResponse:
    user, event = _staff_event(request, event_id)
    buttons = [(row.action.value, ACTION_BUTTONS[row.action]) for row in actions_from(event.state)
               if row.action in ACTION_BUTTONS]
    context: dict[str, Any] = {
        "event": event, "buttons": buttons, "journal": selectors.journal(user, event),
        "Kind": {k.name: k.value for k in Kind}, "question_types": Question.Type.choices,
        "may_return": event.state == State.MODERATION, "rule_text": _rule_text(event),
    }
    if event.kind in (Kind.DISCUSSION, Kind.HEARING):
        context["paragraphs"] = selectors.staff_paragraphs(user, event)
        context["comments"] = selectors.comments_to_moderate(user, event)
    if event.kind == Kind.BUDGET:
        context["projects"] = _project_rows(event)
        context["territory_choices"] = selectors.territory_choices()
    if event.kind == Kind.POLL:
        context["questions"] = selectors.questions(event)
    if event.state in (State.FINISHED, State.RESULTS_PUBLISHED):
        context["recount"] = selectors.recount(event)
    if event.state == State.RESULTS_PUBLISHED:
        context["results"] = _results_view(event)
    return render(request, "participation/manage.html", context)


def _run(request: HttpRequest, event: Event, call: Any, done: str) -> HttpResponse:
    try:
        call()
    except ParticipationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("participation:manage", event.pk)


@login_required
@require_POST
def manage_action(request: HttpRequest, event_id: int, action: str) -> HttpResponse:
    user, event = _staff_event(request, event_id)
    calls = {
        "submit": lambda: services.event_submit(user=user, event_id=event.pk),
        "publish": lambda: services.event_publish(user=user, event_id=event.pk),
        "approve": lambda: services.event_approve(user=user, event_id=event.pk),
        "return": lambda: services.event_return(user=user, event_id=event.pk, reason=request.POST.get("reason", "")),
        "finish": lambda: services.event_finish(user=user, event_id=event.pk),
        "publish_results": lambda: services.event_publish_results(user=user, event_id=event.pk,
                                                                  text=request.POST.get("text", "")),
    }
    if action not in calls:
        raise Http404
    return _run(request, event, calls[action], _("Done: %(action)s.") % {"action": Action(action).label})


@login_required
@require_POST
def manage_document(request: HttpRequest, event_id: int) -> HttpResponse:
    user, event = _staff_event(request, event_id)
    upload = request.FILES.get("document")
    return _run(request, event, lambda: services.event_set_document(
        user=user, event_id=event.pk, text=request.POST.get("text", ""), upload=upload),
        _("The document is split into paragraphs."))


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


@login_required
@require_POST
def manage_project(request: HttpRequest, event_id: int) -> HttpResponse:
    user, event = _staff_event(request, event_id)
    cost = _int(request.POST.get("cost", "").replace(" ", ""))
    return _run(request, event, lambda: services.project_add(
        user=user, event_id=event.pk, title=request.POST.get("title", ""), cost=cost or 0,
        description=request.POST.get("description", ""), territory_id=_int(request.POST.get("territory")),
        photo=request.FILES.get("photo")), _("The project is added."))


@login_required
@require_POST
def manage_question(request: HttpRequest, event_id: int) -> HttpResponse:
    user, event = _staff_event(request, event_id)
    condition = request.POST.get("show_if", "")
    question_id, option_id = (None, None)
    if ":" in condition:
        question_id, option_id = (_int(part) for part in condition.split(":", 1))
    return _run(request, event, lambda: services.question_add(
        user=user, event_id=event.pk, text=request.POST.get("text", ""), type=request.POST.get("type", ""),
        options=request.POST.get("options", "").splitlines(), required=request.POST.get("required") == "1",
        scale_min=_int(request.POST.get("scale_min")) or 1, scale_max=_int(request.POST.get("scale_max")) or 5,
        show_if_question_id=question_id, show_if_option_id=option_id), _("The question is added."))


@login_required
@require_POST
def manage_comment(request: HttpRequest, event_id: int, comment_id: int) -> HttpResponse:
    user, event = _staff_event(request, event_id)
    what = request.POST.get("do")
    if what == "answer":
        return _run(request, event, lambda: services.comment_answer(
            user=user, comment_id=comment_id, answer=request.POST.get("answer", "")), _("The answer is saved."))
    return _run(request, event, lambda: services.comment_moderate(
        user=user, comment_id=comment_id, accept=what == "accept", reason=request.POST.get("reason", "")),
        _("The comment is moderated."))


@login_required
@require_POST
def manage_summary(request: HttpRequest, event_id: int, paragraph_id: int) -> HttpResponse:
    user, event = _staff_event(request, event_id)
    return _run(request, event, lambda: services.paragraph_summarise(
        user=user, paragraph_id=paragraph_id, summary=request.POST.get("summary", "")), _("The summary is saved."))


@login_required
@require_GET
def results_xlsx(request: HttpRequest, event_id: int) -> HttpResponse:
    event = selectors.public_event(event_id)
    if event is None or event.state != State.RESULTS_PUBLISHED:
        if request.user.is_authenticated and selectors.may_use_workspace(_user(request)):
            event = _staff_event(request, event_id)[1]
        else:
            raise Http404
    return _xlsx(event)


def _xlsx(event: Event) -> HttpResponse:
    import xlsxwriter

    data = event.results if event.state == State.RESULTS_PUBLISHED else selectors.count_event(event)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet(_("Results")[:31])
    sheet.set_column(0, 0, 60)
    sheet.write(0, 0, event.title, bold)
    sheet.write(1, 0, _("Ballots"))
    sheet.write(1, 1, data.get("ballots", 0))
    row = 3
    if event.kind == Kind.BUDGET:
        sheet.write_row(row, 0, [_("Project"), _("Cost, roubles"), _("Votes for it"), _("Funded")], bold)
        funded = set(data.get("funded", []))
        for project in selectors.projects(event):
            row += 1
            sheet.write_row(row, 0, [project.title, project.cost, data.get("votes", {}).get(str(project.pk), 0),
                                     _("yes") if project.pk in funded else _("no")])
    elif event.kind == Kind.POLL:
        for q in selectors.questions(event):
            counted = data.get("questions", {}).get(str(q.pk), {})
            sheet.write(row, 0, f"{q.number}. {q.text}", bold)
            row += 1
            first = row
            if q.type == Question.Type.TEXT:
                for text in counted.get("texts", []):
                    sheet.write(row, 0, text)
                    row += 1
            else:
                labels = ([(o.text, counted.get("counts", {}).get(str(o.pk), 0)) for o in q.options.all()]
                          if q.type != Question.Type.SCALE else list(counted.get("counts", {}).items()))
                for label, value in labels:
                    sheet.write_row(row, 0, [str(label), value])
                    row += 1
                if labels:
                    chart = book.add_chart({"type": "bar"})
                    chart.add_series({"name": q.text[:80], "categories": [sheet.get_name(), first, 0, row - 1, 0],
                                      "values": [sheet.get_name(), first, 1, row - 1, 1]})
                    chart.set_legend({"none": True})
                    sheet.insert_chart(first, 3, chart, {"y_scale": 0.6})
                    row = max(row, first + 10)
            row += 1
    book.close()
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="participation-{event.pk}-{stamp}.xlsx"'
    return response
