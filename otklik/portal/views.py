"""Citizen-facing pages: submit a message, the receipt, tracking by number and secret key, rating,
public answers and the map, the citizen's own appeals and notices, and the widget."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from otklik.accounts.models import User
from otklik.appeals.lifecycle import OPEN_STATES, State
from otklik.appeals.models import Appeal
from otklik.appeals.services import AppealError, NewAppeal, appeal_rate
from otklik.intake import selectors as intake_selectors
from otklik.intake.models import Attachment, Follower, Submission
from otklik.intake.redact import PublicTexts, public_texts
from otklik.intake.services import (
    applicant_update,
    attachment_discard,
    attachment_store,
    consent_current,
    intake_submit,
)
from otklik.intake.uploads import ACCEPT_ATTRIBUTE, UploadRefused
from otklik.portal import selectors
from otklik.portal.forms import TEXT_MAX, TEXT_MIN, CommentForm, FollowForm, RateForm, SubmitForm, TrackForm
from otklik.registry.models import Category, Organization, Territory
from otklik.registry.selectors import map_view, region_settings


def _embed(request: HttpRequest) -> bool:
    return request.GET.get("embed") == "1" or request.POST.get("embed") == "1"


def embeddable(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Only the widget's pages (``embed=1``) may be shown in a frame on another site; every other page
    keeps X-Frame-Options and the Content-Security-Policy's ``frame-ancestors 'none'``."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if _embed(request):
            response.xframe_options_exempt = True
            response._csp_replace = {"frame-ancestors": ["*"]}  # type: ignore[attr-defined]
        return response

    return wrapped


def _base(embed: bool) -> str:
    return "portal/embed_base.html" if embed else "base.html"


def _track_url(appeal: Appeal, *, absolute: bool = False) -> str:
    url = reverse("portal:track", args=[appeal.number]) + "?" + urlencode({"key": appeal.access_token})
    return settings.SITE_URL.rstrip("/") + url if absolute else url


def _days(days: int) -> str:
    return ngettext("answer within %(days)s day", "answer within %(days)s days", days) % {"days": days}


def home(request: HttpRequest) -> HttpResponse:
    """The start page: the region with its emblem, how to write, a map of recent public messages
    around the region's centre, the latest answers and the organisations' on-time ranking."""
    region = region_settings()
    latest = list(intake_selectors.answered_public_appeals()[:5])
    texts = public_texts(latest)
    return render(request, "portal/home.html", {
        "track_form": TrackForm(), "oidc_name": settings.OIDC_PROVIDER_NAME,
        "oidc_on": bool(settings.OIDC_DISCOVERY_URL), "region": region, "map": map_view(),
        "latest": [_public_view(appeal, texts) for appeal in latest], "ranking": selectors.on_time_ranking(),
        "recent_days": HOME_MAP_DAYS,
    })


HOME_MAP_DAYS = 90


# --- submit ---------------------------------------------------------------------------------------


def _category_groups(categories: list[Category]) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for category in categories:
        group = category.parent.name if category.parent_id and category.parent else _("Other")
        groups.setdefault(group, []).append({
            "id": category.pk, "name": category.name, "days": category.effective_answer_days,
            "days_label": _days(category.effective_answer_days),
            "keywords": " ".join([*category.keyword_list(), group]).lower(),
        })
    return sorted(groups.items(), key=lambda item: item[0])


def _preselected_organization(request: HttpRequest) -> Organization | None:
    raw = request.GET.get("org") or request.POST.get("organization") or ""
    if not raw.isdigit():
        return None
    return Organization.objects.filter(pk=int(raw), is_active=True).first()


def _submit_context(request: HttpRequest, form: SubmitForm, organization: Organization | None,
                    categories: list[Category], key: str, embed: bool) -> dict[str, Any]:
    consent = consent_current()
    pending = list(Attachment.objects.filter(draft_key=f"portal:{key}", appeal=None)) if key else []
    # The hidden point fields have no box to focus: their errors lead to the place block.
    anchors = {"latitude": "place", "longitude": "place", "files": "id_files"}
    error_fields = [(anchors.get(name, f"id_{name}"), errors[0]) for name, errors in form.errors.items()
                    if name != "__all__"]
    point_errors = [*form.errors.get("latitude", []), *form.errors.get("longitude", [])]
    return {
        "form": form, "organization": organization, "groups": _category_groups(categories), "consent": consent,
        "pending": pending, "embed": embed, "base_template": _base(embed), "text_min": TEXT_MIN, "text_max": TEXT_MAX,
        "accept": ACCEPT_ATTRIBUTE, "max_mb": settings.PORTAL_UPLOAD_MAX_BYTES // (1024 * 1024),
        "max_files": settings.PORTAL_UPLOAD_MAX_FILES, "territories": Territory.objects.order_by("name"),
        "map": map_view(),
        "error_fields": error_fields, "file_errors": form.errors.get("files", []), "point_errors": point_errors[:1],
        "outside_message": _outside_message(),
        "i18n": {
            "chars": _("%(count)s of %(max)s characters"), "nearby_title": _("Already reported nearby"),
            "nearby_hint": _("If it is the same problem, join that message instead of sending a new one: you will "
                             "get its news."),
            "join": _("Join this message"), "meters": _("%(m)s m away"), "point": _("Point chosen: %(lat)s, %(lon)s"),
            "remove_point": _("Remove the point"), "too_big": _("«%(name)s» is too large; the limit is %(mb)s MB."),
            "too_many": _("At most %(n)s files."), "no_match": _("No category matches: try another word."),
            "zoom_in": _("Zoom in"), "zoom_out": _("Zoom out"),
            "territory_found": _("Municipality by the point: %(name)s"),
            "too_long": _("%(count)s of %(max)s characters: %(over)s too many. Shorten the text, or send the rest "
                          "as a document (PDF, DOCX, ODT)."),
            "pasted_too_long": _("You pasted a text of %(count)s characters; a message holds at most %(max)s. "
                                 "Nothing was cut: shorten it before sending."),
        },
    }


@csrf_exempt
@embeddable
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    """The message form. In the widget (``embed=1``) it runs inside an iframe on another site, where
    the browser withholds our cookies: it then ignores the session (no account is bound), so a
    forged post cannot act for a signed-in user, and CSRF is checked only outside the widget."""
    embed = _embed(request)
    if request.method == "POST" and not embed:
        failure = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(request, lambda r: HttpResponse(), (), {})
        if failure is not None:
            return failure
    user: User | None = request.user if (not embed and request.user.is_authenticated) else None
    organization = _preselected_organization(request)
    categories = intake_selectors.selectable_categories(organization)
    if request.method == "GET":
        initial: dict[str, Any] = {"intake_key": uuid.uuid4().hex, "organization": organization}
        if user is not None:
            initial.update(name=user.display_name if user.display_name != user.username else "", email=user.email,
                           phone=user.phone)
        if request.GET.get("category", "").isdigit():
            initial["category"] = int(request.GET["category"])
        form = SubmitForm(initial=initial, allowed_categories=categories)
        return render(request, "portal/submit.html",
                      _submit_context(request, form, organization, categories, initial["intake_key"], embed))

    form = SubmitForm(request.POST, allowed_categories=categories)
    key = request.POST.get("intake_key", "")
    valid_key = len(key) == 32 and all(c in "0123456789abcdef" for c in key)
    if valid_key:
        done = selectors.submitted_with_key(f"portal:{key}")
        if done is not None:  # a double click or a retry after the first submit went through
            return redirect(_receipt_url(done, embed))
    form.is_valid()
    file_errors: list[str] = []
    if valid_key:
        for raw_id in request.POST.getlist("remove_attachment"):
            if raw_id.isdigit():
                attachment_discard(draft_key=f"portal:{key}", attachment_id=int(raw_id))
        uploads = [f for f in request.FILES.getlist("files") if f.name]
        already = Attachment.objects.filter(draft_key=f"portal:{key}", appeal=None).count()
        limit = settings.PORTAL_UPLOAD_MAX_FILES
        if already + len(uploads) > limit:
            file_errors.append(_("At most %(n)s files can be attached.") % {"n": limit})
            uploads = uploads[: max(0, limit - already)]
        for upload in uploads:
            # Each good file is kept at once, so a mistake elsewhere does not make the citizen send it again.
            try:
                attachment_store(upload=upload, draft_key=f"portal:{key}", client=request.META.get("REMOTE_ADDR", ""))
            except UploadRefused as exc:
                file_errors.append(exc.message)
    if file_errors:
        # "files" is not a form field (uploads are checked and kept above), so the errors are added directly.
        form.errors.setdefault("files", form.error_class()).extend(file_errors)
    if form.is_valid() and not file_errors:
        data = form.cleaned_data
        territory = data.get("territory")
        if territory is None and data.get("latitude") is not None:
            territory = intake_selectors.territory_at(data["latitude"], data["longitude"])
        try:
            appeal = intake_submit(
                NewAppeal(
                    text=data["text"], category=data["category"], territory=territory,
                    address=data.get("address", ""), latitude=data.get("latitude"),
                    longitude=data.get("longitude"), applicant=user, applicant_name=data["name"],
                    applicant_email=data["email"], applicant_phone=data.get("phone", ""),
                ),
                source=Submission.Source.WIDGET if embed else Submission.Source.PORTAL,
                intake_key=f"portal:{key}", organization=data.get("organization"),
                consent=data.get("consent_version") or consent_current(), draft_key=f"portal:{key}",
            )
        except AppealError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect(_receipt_url(appeal, embed))
    response = render(request, "portal/submit.html",
                      _submit_context(request, form, organization, categories, key if valid_key else "", embed))
    response.status_code = 400
    return response


def _receipt_url(appeal: Appeal, embed: bool) -> str:
    query = {"key": appeal.access_token, **({"embed": "1"} if embed else {})}
    return reverse("portal:receipt", args=[appeal.number]) + "?" + urlencode(query)


@embeddable
@require_GET
def receipt(request: HttpRequest, number: str) -> HttpResponse:
    appeal = intake_selectors.appeal_by_key(number, request.GET.get("key", ""))
    if appeal is None:
        raise Http404
    embed = _embed(request)
    return render(request, "portal/receipt.html", {
        "appeal": appeal, "embed": embed, "base_template": _base(embed), "track_url": _track_url(appeal),
        "track_url_absolute": _track_url(appeal, absolute=True), "expected": selectors.expected_at(appeal),
        "attachments": selectors.attachments_of(appeal),
        "deadline_explanations": selectors.deadline_explanations(appeal),
    })


def _outside_message() -> str:
    name = region_settings().name
    if name:
        return _("This point lies outside %(region)s. Mark the place within the region, or describe it in the "
                 "address line.") % {"region": name}
    return _("This point lies outside the region. Mark the place within the region, or describe it in the "
             "address line.")


@require_GET
def nearby(request: HttpRequest) -> JsonResponse:
    """What the form learns from a point: whether it lies in the region, its municipality, and open
    public messages of the same category nearby (the form offers to join one)."""
    try:
        lat, lon = float(request.GET["lat"]), float(request.GET["lon"])
    except (KeyError, ValueError):
        return JsonResponse({"items": [], "inside": False, "message": _("The point on the map is wrong: choose it "
                                                                        "again.")})
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or lat != lat or lon != lon:
        return JsonResponse({"items": [], "inside": False, "message": _("The point on the map is wrong: choose it "
                                                                        "again.")})
    if not intake_selectors.point_in_region(lat, lon):
        return JsonResponse({"items": [], "inside": False, "message": _outside_message()})
    territory = intake_selectors.territory_at(lat, lon)
    category = request.GET.get("category", "")
    found = intake_selectors.nearby_open(category_id=int(category), lat=lat, lon=lon,
                                         radius_m=settings.PORTAL_NEARBY_RADIUS_M) if category.isdigit() else []
    texts = public_texts([item.appeal for item in found], ["text"])
    items = [{
        "number": item.appeal.number,
        "url": reverse("portal:public_detail", args=[item.appeal.number]),
        "text": texts.get(item.appeal, "text")[:200],
        "address": item.appeal.address, "distance_m": item.distance_m,
        "status": selectors.citizen_status(item.appeal),
        "received": item.appeal.received_at.date().isoformat(),
    } for item in found]
    return JsonResponse({"items": items, "inside": True,
                         "territory": {"id": territory.pk, "name": territory.name} if territory else None})


# --- tracking and rating --------------------------------------------------------------------------


def _appeal_for_citizen(request: HttpRequest, number: str, key: str) -> Appeal | None:
    appeal = intake_selectors.appeal_by_key(number, key)
    if appeal is None and request.user.is_authenticated:
        user: User = request.user
        appeal = selectors.my_appeals(user.pk, user.email if user.is_active else "").filter(number=number).first()
    return appeal


def _track_context(request: HttpRequest, appeal: Appeal, rate_form: RateForm | None = None,
                   comment_form: CommentForm | None = None) -> dict[str, Any]:
    steps = selectors.timeline(appeal)
    current = selectors.STEP_OF_STATE[State(appeal.state)]
    order = list(selectors.STEPS)
    return {
        "appeal": appeal, "key": appeal.access_token, "status": selectors.citizen_status(appeal), "steps": steps,
        "progress": [(code, label, order.index(code) < order.index(current), code == current)
                     for code, label in selectors.step_labels().items()],
        "expected": selectors.expected_at(appeal), "attachments": selectors.attachments_of(appeal),
        "can_rate": appeal.state == State.ANSWERED, "rate_form": rate_form or RateForm(),
        "is_final": appeal.state in {State.CLOSED, State.REJECTED, State.LEFT_WITHOUT_ANSWER, State.TRANSFERRED},
        "postponed": appeal.state == State.POSTPONED,
        "earlier_answers": selectors.earlier_answers(appeal),
        "document": selectors.answer_document(appeal) if appeal.state in ANSWER_SHOWN else None,
        "deadline_explanations": selectors.deadline_explanations(appeal),
        "can_comment": appeal.state in OPEN_STATES, "comment_form": comment_form or CommentForm(),
        "accept": ACCEPT_ATTRIBUTE, "max_files": settings.PORTAL_UPLOAD_MAX_FILES,
    }


ANSWER_SHOWN = {State.ANSWERED, State.CLOSED}


@require_GET
def answer_pdf(request: HttpRequest, number: str) -> HttpResponse:
    """The answer as a PDF letter, for the applicant (the tracking key or their account)."""
    appeal = _appeal_for_citizen(request, number, request.GET.get("key", ""))
    document = selectors.answer_document(appeal) if appeal is not None and appeal.state in ANSWER_SHOWN else None
    if appeal is None or document is None:
        raise Http404
    from weasyprint import HTML  # slow to import; only this page needs it

    html = render_to_string("portal/answer_pdf.html", {"document": document, "region": region_settings()})
    response = HttpResponse(HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf(),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="answer-{appeal.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def track_lookup(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.GET or None)
    if form.is_valid():
        number, key = form.cleaned_data["number"].strip(), form.cleaned_data["key"].strip()
        if intake_selectors.appeal_by_key(number, key) is not None:
            return redirect(reverse("portal:track", args=[number]) + "?" + urlencode({"key": key}))
        form.add_error(None, _("No message with this number and key. Check them in the letter."))
    response = render(request, "portal/track_lookup.html", {"form": form})
    if request.GET:
        response.status_code = 404
    return response


@require_GET
def track(request: HttpRequest, number: str) -> HttpResponse:
    appeal = _appeal_for_citizen(request, number, request.GET.get("key", ""))
    if appeal is None:
        form = TrackForm(initial={"number": number})
        return render(request, "portal/track_lookup.html", {"form": form, "not_found": True}, status=404)
    return render(request, "portal/track.html", _track_context(request, appeal))


@require_POST
def rate(request: HttpRequest, number: str) -> HttpResponse:
    key = request.POST.get("key", "")
    appeal = _appeal_for_citizen(request, number, key)
    if appeal is None:
        raise Http404
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            appeal_rate(appeal_id=appeal.pk, rating=form.cleaned_data["rating"],
                        comment=form.cleaned_data.get("comment", ""), token=appeal.access_token,
                        user=request.user if request.user.is_authenticated else None)
        except AppealError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Thank you for the rating."))
            return redirect(_track_url(appeal))
    return render(request, "portal/track.html", _track_context(request, appeal, form), status=400)


@require_POST
def comment(request: HttpRequest, number: str) -> HttpResponse:
    """The applicant adds a comment or photos to their own open message; staff see it on the card."""
    appeal = _appeal_for_citizen(request, number, request.POST.get("key", ""))
    if appeal is None:
        raise Http404
    form = CommentForm(request.POST)
    if form.is_valid():
        uploads = [f for f in request.FILES.getlist("files") if f.name]
        try:
            applicant_update(appeal_id=appeal.pk, text=form.cleaned_data.get("text", ""), uploads=uploads,
                             token=appeal.access_token, client=request.META.get("REMOTE_ADDR", ""),
                             user=request.user if request.user.is_authenticated else None)
        except AppealError as exc:
            form.add_error("text" if exc.field == "text" else None, exc.message)
        except UploadRefused as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your addition is sent to the organisation."))
            return redirect(_track_url(appeal) + "#history")
    return render(request, "portal/track.html", _track_context(request, appeal, comment_form=form), status=400)


@require_GET
def attachment(request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
    appeal = _appeal_for_citizen(request, number, request.GET.get("key", ""))
    if appeal is None:
        raise Http404
    item = get_object_or_404(Attachment, pk=attachment_id, appeal=appeal)
    if not item.file:
        raise Http404
    response = FileResponse(item.file.open("rb"), content_type=item.content_type,
                            as_attachment=not item.is_image, filename=item.original_name or "file")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- public pages ---------------------------------------------------------------------------------


def _public_view(appeal: Appeal, texts: PublicTexts) -> dict[str, Any]:
    return {
        "number": appeal.number, "category": appeal.category, "territory": appeal.territory,
        "organization": appeal.organization, "address": appeal.address, "received_at": appeal.received_at,
        "answered_at": appeal.answered_at, "status": selectors.citizen_status(appeal),
        "text": texts.get(appeal, "text"), "answer": texts.get(appeal, "answer_text"),
        "intermediate": texts.get(appeal, "intermediate_text"), "is_open": appeal.is_open,
        "latitude": appeal.latitude, "longitude": appeal.longitude, "rating": appeal.rating,
    }


@require_GET
def public_list(request: HttpRequest) -> HttpResponse:
    qs = intake_selectors.answered_public_appeals()
    category = request.GET.get("category", "")
    if category.isdigit():
        qs = qs.filter(category_id=int(category))
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    texts = public_texts(page.object_list)
    return render(request, "portal/public_list.html", {
        "page": page, "items": [_public_view(a, texts) for a in page.object_list],
        "categories": Category.objects.filter(is_public=True, is_active=True).order_by("name"), "category": category,
    })


@require_http_methods(["GET", "POST"])
def public_detail(request: HttpRequest, number: str) -> HttpResponse:
    appeal = get_object_or_404(intake_selectors.public_appeals(), number=number)
    form = FollowForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        from otklik.intake.services import appeal_follow

        appeal_follow(appeal=appeal, email=form.cleaned_data["email"],
                      user=request.user if request.user.is_authenticated else None)
        messages.success(request, _("You have joined this message: we will write to you about it."))
        return redirect("portal:public_detail", number=number)
    document = None
    texts = public_texts([appeal])
    if appeal.state in ANSWER_SHOWN:
        document = selectors.answer_document(appeal, text=texts.get(appeal, "answer_text"), addressee="")
    return render(request, "portal/public_detail.html", {
        "item": _public_view(appeal, texts), "form": form, "document": document,
        "followers": Follower.objects.filter(appeal=appeal).count(),
    }, status=400 if form.errors else 200)


@require_GET
def public_map(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/public_map.html", {"map": map_view()})


@require_GET
def public_map_data(request: HttpRequest) -> JsonResponse:
    """Public appeals with a point, as GeoJSON (no personal data: number, category, status)."""
    qs = intake_selectors.public_appeals().exclude(latitude=None).exclude(longitude=None).order_by("-received_at")
    days = request.GET.get("days", "")
    if days.isdigit() and 0 < int(days) <= 3650:  # the start page shows the recent ones only
        qs = qs.filter(received_at__gte=timezone.now() - dt.timedelta(days=int(days)))
    features = [{
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [a.longitude, a.latitude]},
        "properties": {"number": a.number, "category": str(a.category), "status": selectors.citizen_status(a),
                       "open": a.is_open, "url": reverse("portal:public_detail", args=[a.number])},
    } for a in qs[:2000]]
    return JsonResponse({"type": "FeatureCollection", "features": features})


# --- the citizen's account ------------------------------------------------------------------------


@login_required
def my_appeals(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    rows = [(a, selectors.citizen_status(a), _track_url(a)) for a in selectors.my_appeals(user.pk, user.email)[:200]]
    return render(request, "portal/my_appeals.html", {"rows": rows})


@login_required
def my_notices(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    return render(request, "portal/my_notices.html", {"notices": selectors.my_notices(user.pk, user.email)[:100]})


# --- widget ---------------------------------------------------------------------------------------


@require_GET
def widget_script(request: HttpRequest) -> HttpResponse:
    origin = request.build_absolute_uri("/").rstrip("/")
    context = {
        "origin": origin, "origin_json": json.dumps(origin),
        "label_json": json.dumps(str(_("Report a problem"))), "title_json": json.dumps(str(_("Report a problem"))),
        "close_json": json.dumps(str(_("Close"))),
    }
    response = render(request, "portal/widget.js", context, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def widget_help(request: HttpRequest) -> HttpResponse:
    organization = _preselected_organization(request)
    if request.GET.get("org") and organization is None:
        raise Http404
    origin = request.build_absolute_uri("/").rstrip("/")
    return render(request, "portal/widget_help.html", {
        "organization": organization, "origin": origin,
        "organizations": Organization.objects.filter(is_active=True).order_by("name")[:500],
    })
