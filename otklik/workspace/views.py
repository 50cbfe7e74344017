"""Staff pages: queues, search, the appeal card with its actions, bulk actions and notices.

Reads go through appeals/selectors.py (scoped by the user's capacities), writes through
appeals/services.py. HTMX requests get page fragments; without JavaScript every form still works
with ordinary requests (POST, then a redirect).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from functools import cached_property, wraps
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from otklik.accounts.models import Role, User
from otklik.accounts.permissions import capacities, find_capacity, has_region_wide_view
from otklik.appeals import selectors
from otklik.appeals.lifecycle import Action, State
from otklik.appeals.models import Appeal, PersonalDataAccess
from otklik.appeals.services import AppealError, personal_data_access_record
from otklik.core import pii
from otklik.core.text import fill_placeholders
from otklik.intake import selectors as intake_selectors
from otklik.intake.models import Attachment
from otklik.intake.redact import public_texts
from otklik.notifications import selectors as notice_selectors
from otklik.notifications import services as notice_services
from otklik.registry import selectors as registry_selectors
from otklik.reports.selectors import report_scope
from otklik.routing import selectors as routing_selectors
from otklik.workspace import bulk as bulk_actions
from otklik.workspace import presentation
from otklik.workspace import selectors as workspace_selectors
from otklik.workspace.formatting import placeholder_values, render_answer
from otklik.workspace.forms import ACTION_FORMS, PRIMARY, ActionForm, BulkForm, QueueFilterForm, form_names_for

PAGE_SIZE = 50

View = Callable[..., HttpResponse]


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def staff_required(view: View) -> View:
    """Signed in and holding at least one role (own or as a stand-in); others get a page in Russian."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not capacities(_user(request)):
            return render(request, "workspace/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "workspace/not_found.html", {"nav": _nav(request)}, status=404)


def _nav(request: HttpRequest, *, now: dt.datetime | None = None) -> list[selectors.QueueView]:
    """The user's queues with counts, for the side menu of every page."""
    user = _user(request)
    cached = getattr(request, "_otklik_nav", None)
    if cached is None:
        cached = selectors.queue_counts(user, selectors.user_queues(user, at=now), now=now)
        request._otklik_nav = cached  # type: ignore[attr-defined]
    return cast(list[selectors.QueueView], cached)


def _queue_url(view: selectors.QueueView) -> str:
    url = reverse("workspace:queue", args=[view.key])
    return f"{url}?for={view.acting_for_id}" if view.acting_for_id else url


# --- home -------------------------------------------------------------------------------------------


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    caps = capacities(user)
    roles = workspace_selectors.roles_of(user)
    nav = _nav(request)
    return render(request, "workspace/home.html", {
        "roles": roles, "nav": nav, "queues": [(view, _queue_url(view)) for view in nav],
        "region_wide": has_region_wide_view(user),
        "can_read_reports": report_scope(user).allowed,
        # Only links the user can open are shown (overdue_by_organization checks the same role).
        "can_see_overdue_by_organization": any(c.role == Role.REGIONAL_COORDINATOR for c in caps),
    })


@staff_required
def registry_health(request: HttpRequest) -> HttpResponse:
    health = registry_selectors.registry_health_for(_user(request))
    if health is None:
        return render(request, "workspace/forbidden.html", status=403)
    return render(request, "workspace/registry_health.html", {
        "rows": health.rows, "late": health.late,
        "region": registry_selectors.region_settings(), "nav": _nav(request),
    })


# --- lists ------------------------------------------------------------------------------------------


def _list_text(user: User, appeal: Appeal) -> str:
    """The text as a list shows it: whole for those whose work needs the applicant's data, otherwise
    with phones, e-mails and the applicant's name hidden (the fast pass: a list shows fifty at once)."""
    if selectors.sees_personal_data_in(user, appeal.organization_id):
        return appeal.text
    return pii.mask(appeal.text, names=[n for n in (appeal.applicant_name, appeal.social_author) if n],
                    models=False)


def _rows(page: Any, now: dt.datetime, user: User) -> list[dict[str, Any]]:
    return [{"appeal": appeal, "due": presentation.due_tone(appeal, now),
             "age": presentation.age(appeal.received_at, now), "holder": presentation.holder(appeal),
             "place": presentation.place(appeal), "state": presentation.state_label(appeal.state),
             "text": _list_text(user, appeal)}
            for appeal in page.object_list]


class _CountedPaginator(Paginator):
    """A paginator told the total in advance (the side menu has just counted the same queue)."""

    def __init__(self, object_list: Any, per_page: int, *, total: int) -> None:
        super().__init__(object_list, per_page)
        self.total = total

    @property
    def count(self) -> int:
        return self.total


COUNT_CAP = 1000


class _CappedPaginator(Paginator):
    """A search or a filtered queue is counted up to ``COUNT_CAP``: beyond that the list says "more than"
    and its pages end there. A frequent word matches a tenth of a million appeals, and counting them
    all took a second; nobody pages through them instead of narrowing the search."""

    @cached_property
    def _counted(self) -> int:
        return int(cast(Any, self.object_list)[:COUNT_CAP + 1].count())

    @property
    def count(self) -> int:
        return min(self._counted, COUNT_CAP)

    @property
    def capped(self) -> bool:
        return self._counted > COUNT_CAP



def _page(request: HttpRequest, queryset: Any, *, total: int | None = None) -> Any:
    paginator = _CappedPaginator(queryset, PAGE_SIZE) if total is None else _CountedPaginator(queryset, PAGE_SIZE,
                                                                                               total=total)
    return paginator.get_page(request.GET.get("page"))


@staff_required
@require_GET
def queue(request: HttpRequest, key: str) -> HttpResponse:
    user = _user(request)
    now = timezone.now()
    acting_for = request.GET.get("for")
    view = selectors.find_queue(user, key, int(acting_for) if acting_for and acting_for.isdigit() else None, at=now)
    if view is None:
        return _not_found(request)
    organizations = workspace_selectors.organization_choices(user, view.organization_ids)
    form = QueueFilterForm(request.GET or None, organizations=organizations)
    filters = form.filters()
    queryset = selectors.queue_appeals(user, view, filters, sort=form.sort_key(), now=now)
    partial = _is_htmx(request) and request.headers.get("HX-Target") == "queue-results"
    nav = [] if partial else _nav(request, now=now)
    # Unfiltered, the queue holds exactly what the side menu counted a moment ago: no second count.
    counted = [item.count for item in nav if item.key == view.key and item.acting_for_id == view.acting_for_id]
    total = counted[0] if counted and filters == selectors.AppealFilters() else None
    page = _page(request, queryset, total=total)
    bulk = [a for a in view.queue.bulk if _bulk_allowed(user, a)]
    context = {
        "view": view, "form": form, "page": page, "rows": _rows(page, now, user), "bulk": bulk,
        "bulk_form": _bulk_form(user, view, bulk) if bulk else None,
        "show_organization": view.organization_ids is None or len(view.organization_ids) > 1,
        "url": _queue_url(view),
    }
    if partial:
        return render(request, "workspace/_queue_results.html", context)
    context["nav"] = nav
    return render(request, "workspace/queue.html", context)


@staff_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    now = timezone.now()
    org_ids = None if has_region_wide_view(user) else frozenset(c.organization_id for c in capacities(user))
    form = QueueFilterForm(request.GET or None, organizations=workspace_selectors.organization_choices(user, org_ids))
    ordering = selectors.SORTS.get(form.sort_key()) or selectors.SORTS["received"]
    queryset = selectors.search_appeals(user, form.filters(), now=now).order_by(*ordering)
    page = _page(request, queryset)
    context = {
        "form": form, "page": page, "rows": _rows(page, now, user), "bulk": [], "show_organization": True,
        "url": reverse("workspace:search"),
    }
    if _is_htmx(request) and request.headers.get("HX-Target") == "queue-results":
        return render(request, "workspace/_queue_results.html", context)
    context["nav"] = _nav(request, now=now)
    return render(request, "workspace/search.html", context)


@staff_required
@require_GET
def overdue_by_organization(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not any(c.role == Role.REGIONAL_COORDINATOR for c in capacities(user)):
        return render(request, "workspace/forbidden.html", status=403)
    return render(request, "workspace/overdue_by_organization.html", {
        "rows": selectors.overdue_by_organization(user), "nav": _nav(request),
        "region_url": reverse("workspace:queue", args=["region_overdue"]),
    })


# --- the appeal card --------------------------------------------------------------------------------


def _card_context(request: HttpRequest, appeal: Appeal, *, bound: ActionForm | None = None,
                  flash: str = "") -> dict[str, Any]:
    user = _user(request)
    now = timezone.now()
    names = form_names_for(selectors.allowed_actions(user, appeal, at=now))
    forms = []
    for name in names:
        form = bound if bound is not None and bound.action == name else ACTION_FORMS[name](appeal=appeal, user=user)
        forms.append({
            "name": name, "form": form, "label": _action_title(name), "open": bool(form.errors)
            or (bound is None and PRIMARY.get(appeal.state) == name),
        })
    events = list(selectors.appeal_history(appeal))
    allowed = {str(a) for a in selectors.allowed_actions(user, appeal, at=now)}
    personal = selectors.can_see_personal_data(user, appeal)
    if personal:  # every showing of the applicant block is an opening of their data (152-FZ)
        personal_data_access_record(user=user, appeals=[appeal], where=PersonalDataAccess.Where.CARD, now=now)
    return {
        "appeal": appeal,
        "state_label": presentation.state_label(appeal.state),
        "personal": personal,
        "before_publication": _before_publication(user, appeal),
        # Those who may not see the applicant's data read the text with it hidden as well.
        "text": appeal.text if personal else pii.mask(
            appeal.text, names=[n for n in (appeal.applicant_name, appeal.social_author) if n],
            addresses=[appeal.applicant_address]),
        "deadlines": presentation.appeal_deadlines(appeal, now=now),
        "history": presentation.history_rows(events, names=presentation.history_names(events)),
        "forms": forms,
        "can_draft": Action.DRAFT in allowed,
        "can_send": Action.SEND_FOR_APPROVAL in allowed,
        "answer_templates": workspace_selectors.answer_templates(appeal, intermediate=False),
        "intermediate_templates": workspace_selectors.answer_templates(appeal, intermediate=True),
        "draft_html": render_answer(appeal.draft_answer) if appeal.draft_answer else "",
        "answer_html": render_answer(appeal.answer_text) if appeal.answer_text else "",
        "intermediate_html": render_answer(appeal.intermediate_text) if appeal.intermediate_text else "",
        "attachments": list(intake_selectors.attachments_of(appeal)),
        "map": {"tiles": settings.PORTAL_MAP_TILE_URL, "attribution": settings.PORTAL_MAP_ATTRIBUTION},
        "flash": flash,
        "routing": routing_selectors.card(user, appeal),
        # A refused form that is no longer offered (the appeal changed meanwhile) still says why.
        "stray_errors": list(bound.non_field_errors()) if bound is not None and bound.action not in names else [],
    }


KIND_LABELS = {pii.NAME: gettext_lazy("names"), pii.PHONE: gettext_lazy("phones"),
               pii.EMAIL: gettext_lazy("e-mail addresses"), pii.ADDRESS: gettext_lazy("home addresses")}


# What becomes public next, who checks it then: the message at moderation, the answer at approval.
BEFORE_PUBLICATION = {
    State.RECEIVED: ("text", {Role.MODERATOR, Role.REGIONAL_COORDINATOR}),
    State.MODERATION: ("text", {Role.MODERATOR, Role.REGIONAL_COORDINATOR}),
    State.APPROVAL: ("draft_answer", {Role.HEAD, Role.COORDINATOR, Role.REGIONAL_COORDINATOR}),
    State.APPROVED: ("draft_answer", {Role.HEAD, Role.COORDINATOR, Role.REGIONAL_COORDINATOR}),
}


def _before_publication(user: User, appeal: Appeal) -> dict[str, Any] | None:
    """Before a text may become public (the message at moderation, the answer at approval), for those who
    let it out: the personal data found in it and the text as public pages and Open311 will show it (checked
    now and kept, so the first public showing is ready)."""
    field, roles = BEFORE_PUBLICATION.get(State(appeal.state), ("", set()))
    if not field or not getattr(appeal, field) or find_capacity(user, roles, appeal.organization_id) is None:
        return None
    texts = public_texts([appeal], [field])
    found = texts.found(appeal, field)
    if not found:
        return None
    kinds = ", ".join(f"{label}: {found[kind]}" for kind, label in KIND_LABELS.items() if found.get(kind))
    return {"field": field, "kinds": kinds, "public": texts.get(appeal, field)}


def _action_title(name: str) -> str:
    if name == "answer":
        return _("Answer")
    return str(Action(name).label).capitalize()


@staff_required
@require_GET
def appeal_card(request: HttpRequest, pk: int) -> HttpResponse:
    appeal = selectors.appeal_for_user(_user(request), pk)
    if appeal is None:
        return _not_found(request)
    context = _card_context(request, appeal)
    context["nav"] = _nav(request)
    return render(request, "workspace/appeal.html", context)


@staff_required
@require_POST
def appeal_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _user(request)
    appeal = selectors.appeal_for_user(user, pk)
    if appeal is None or action not in ACTION_FORMS:
        return _not_found(request)
    form = ACTION_FORMS[action](request.POST, appeal=appeal, user=user)
    if action not in form_names_for(selectors.allowed_actions(user, appeal)):
        form.is_valid()
        form.add_error(None, _("This action is not available now: the appeal may have changed. Reload the page."))
    elif form.is_valid():
        try:
            form.perform()
        except AppealError as error:
            form.add_service_error(error)
        else:
            return _after_action(request, pk, _done_message(action, form))
    return _render_card(request, appeal, bound=form, status=200 if _is_htmx(request) else 400)


def _done_message(action: str, form: ActionForm) -> str:
    if action == "answer":
        if form.cleaned_data.get("op") == Action.SEND_FOR_APPROVAL:
            return _("The answer is sent for approval.")
        return _("The draft is saved.")
    return presentation.action_label(action) + "."


def _after_action(request: HttpRequest, pk: int, message: str) -> HttpResponse:
    appeal = selectors.appeal_for_user(_user(request), pk)
    if appeal is None:
        # The action handed the appeal to someone else (redirected, returned to moderation).
        messages.success(request, message)
        target = reverse("workspace:home")
        if _is_htmx(request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)
    if _is_htmx(request):
        return _render_card(request, appeal, flash=message)
    messages.success(request, message)
    return HttpResponseRedirect(reverse("workspace:appeal", args=[pk]))


def _render_card(request: HttpRequest, appeal: Appeal, *, bound: ActionForm | None = None, flash: str = "",
                 status: int = 200) -> HttpResponse:
    context = _card_context(request, appeal, bound=bound, flash=flash)
    if _is_htmx(request):
        # The action may have moved the appeal between queues: the side menu's counts come along.
        context.update(nav=_nav(request), nav_oob=True)
        return render(request, "workspace/_appeal_card.html", context, status=status)
    context["nav"] = _nav(request)
    return render(request, "workspace/appeal.html", context, status=status)


THUMBNAIL_PX = 320


def _thumbnail(item: Attachment) -> HttpResponse | None:
    """A small JPEG of a photo for the card's gallery; None when Pillow cannot read it."""
    from PIL import Image, UnidentifiedImageError

    try:
        with item.file.open("rb") as fh, Image.open(fh) as image:
            image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
            out = io.BytesIO()
            image.convert("RGB").save(out, format="JPEG", quality=82)
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    return HttpResponse(out.getvalue(), content_type="image/jpeg")


@staff_required
@require_GET
def appeal_file(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    """A file of the appeal, for staff who may open the appeal: ``?size=thumb`` a small picture of a
    photo, ``?download=1`` as a download, else shown in the browser (photos) or downloaded (documents)."""
    appeal = selectors.appeal_for_user(_user(request), pk)
    item = intake_selectors.attachments_of(appeal).filter(pk=attachment_id).first() if appeal else None
    if item is None or not item.file:
        return _not_found(request)
    thumbnail = _thumbnail(item) if item.is_image and request.GET.get("size") == "thumb" else None
    response: HttpResponse | FileResponse
    if thumbnail is not None:
        response = thumbnail
    else:
        download = request.GET.get("download") == "1" or not item.is_image
        response = FileResponse(item.file.open("rb"), content_type=item.content_type or "application/octet-stream",
                                as_attachment=download, filename=item.original_name or "file")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return cast(HttpResponse, response)  # a streamed file is as good as a page to the decorators


@staff_required
@require_GET
def answer_template(request: HttpRequest, pk: int) -> HttpResponse:
    """The answer (or intermediate answer) textarea with a template filled in for this appeal."""
    user = _user(request)
    appeal = selectors.appeal_for_user(user, pk)
    if appeal is None:
        return _not_found(request)
    intermediate = request.GET.get("target") == "intermediate"
    field = "intermediate-text" if intermediate else "answer-text"
    current = request.GET.get(field, "")
    template_id = request.GET.get("template", "")
    template = (
        workspace_selectors.answer_templates(appeal, intermediate=intermediate)
        .filter(pk=int(template_id)).first()
        if template_id.isdigit() else None
    )
    text = current
    if template is not None:
        filled = fill_placeholders(template.body, placeholder_values(
            appeal, show_personal=selectors.can_see_personal_data(user, appeal)))
        # Never throw away what the executor has already written: the template goes after it.
        text = f"{current.rstrip()}\n\n{filled}" if current.strip() else filled
    return render(request, "workspace/_answer_textarea.html", {
        "name": field, "id": "answer-text" if not intermediate else "id_intermediate-text", "text": text,
        "rows": 4 if intermediate else 12,
    })


@staff_required
@require_POST
def answer_preview(request: HttpRequest) -> HttpResponse:
    text = request.POST.get("answer-text") or request.POST.get("intermediate-text") or ""
    return render(request, "workspace/_answer_preview.html", {"html": render_answer(text[:20000])})


# --- bulk actions -----------------------------------------------------------------------------------


def _bulk_allowed(user: User, action: str) -> bool:
    roles = {Action.ASSIGN: {Role.COORDINATOR, Role.REGIONAL_COORDINATOR},
             Action.REDIRECT: {Role.COORDINATOR, Role.HEAD, Role.REGIONAL_COORDINATOR},
             Action.ROUTE: {Role.MODERATOR, Role.REGIONAL_COORDINATOR}}.get(Action(action), set())
    return any(c.role in roles for c in capacities(user))


def _bulk_form(user: User, view: selectors.QueueView, actions: list[str], data: Any = None,
               ids: list[int] | None = None) -> BulkForm:
    org_ids = workspace_selectors.acting_organization_ids(view.organization_ids)
    return BulkForm(data, actions=actions, ids=ids or [], executors=selectors.executors_for(user, org_ids))


@staff_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    acting_for = request.POST.get("for", "")
    view = selectors.find_queue(user, request.POST.get("queue", ""),
                                int(acting_for) if acting_for.isdigit() else None)
    if view is None:
        return _not_found(request)
    actions = [a for a in view.queue.bulk if _bulk_allowed(user, a)]
    ids = [int(value) for value in request.POST.getlist("ids") if value.isdigit()][:PAGE_SIZE * 4]
    form = _bulk_form(user, view, actions, request.POST, ids)
    results: list[bulk_actions.RowResult] = []
    if form.is_valid():
        results = bulk_actions.run(user, form.cleaned_data["action"], form.cleaned_data["ids"],
                                   executor=form.cleaned_data.get("executor"),
                                   organization=form.cleaned_data.get("organization"),
                                   reason=form.cleaned_data.get("reason") or "")
    context = {"view": view, "form": form, "results": results, "url": _queue_url(view),
               "done": sum(1 for r in results if r.ok), "failed": sum(1 for r in results if not r.ok)}
    if _is_htmx(request):
        context.update(nav=_nav(request), nav_oob=True, view=view)
        return render(request, "workspace/_bulk_results.html", context, status=200)
    context["nav"] = _nav(request)
    return render(request, "workspace/bulk_results.html", context, status=200 if form.is_valid() else 400)


# --- notices ----------------------------------------------------------------------------------------


@staff_required
@require_GET
def notices(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    unread_only = request.GET.get("unread") == "1"
    page = _page(request, notice_selectors.user_notices(user, unread_only=unread_only))
    return render(request, "workspace/notices.html", {
        "page": page, "unread_only": unread_only, "unread": notice_selectors.unread_count(user), "nav": _nav(request),
    })


@staff_required
@require_POST
def notice_read(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    notice_services.notice_mark_read(user=user, notice_id=pk)
    if _is_htmx(request):
        notice = notice_selectors.user_notices(user).filter(pk=pk).first()
        if notice is None:
            return HttpResponse("")
        # The header's counter is updated out of band, in the same response.
        return render(request, "workspace/_notice.html", {
            "notice": notice, "oob_unread": notice_selectors.unread_count(user),
        })
    return HttpResponseRedirect(reverse("workspace:notices"))


@staff_required
@require_POST
def notices_read_all(request: HttpRequest) -> HttpResponse:
    count = notice_services.notice_mark_all_read(user=_user(request))
    messages.success(request, _("Notices marked as read: %(count)d.") % {"count": count})
    return HttpResponseRedirect(reverse("workspace:notices"))
