"""Open311 GeoReport v2 server at /open311/v2/ (spec: wiki.open311.org/GeoReport_v2, frozen).

Categories are services (a subcategory's parent is its ``group``), appeals are service requests.
``status`` is open or closed; our lifecycle state goes in ``status_notes``, the answer deadline in
``expected_datetime``. Every method answers in XML and JSON; errors are ``errors[]{code, description}``
with HTTP 400 (bad input), 403 (api_key) or 404 (unknown resource or jurisdiction). The mySociety
extension ``servicerequestupdates`` lists status changes for clients that poll."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from otklik.appeals.lifecycle import OPEN_STATES, Action, State
from otklik.appeals.models import Appeal, AppealEvent
from otklik.appeals.services import AppealError, NewAppeal
from otklik.intake import selectors
from otklik.intake.models import Attachment, ServiceAttribute, Submission
from otklik.intake.redact import PublicTexts, public_texts
from otklik.intake.services import api_key_find, intake_submit, new_token
from otklik.registry.models import Category, RegionSettings
from otklik.registry.selectors import REGISTRY_VERSION, region_cached, registry_snapshot

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-23T00:00:00Z"
MAX_DESCRIPTION = 4000
MAX_RESULTS = 1000
MAX_EMAIL = 254
# The spec leaves paging to the server; 100 rows answer most clients and keep a page small.
DEFAULT_PAGE_SIZE = 100
# The services list and the categories a POST resolves are kept by the process while the registry's
# version stands (registry/signals.py bumps it with every change of categories, attributes and terms).
SERVICES_VERSION = REGISTRY_VERSION
MAX_RANGE = dt.timedelta(days=90)
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
# The XML element of one item of each list (the Spark convention maps lists to JSON arrays).
ITEM_NAMES = {
    "services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
    "values": "value", "endpoints": "endpoint", "formats": "format", "service_request_updates": "request_update",
}
UPDATE_ACTIONS = (Action.REGISTER, Action.ACCEPT, Action.ROUTE, Action.REDIRECT, Action.RETURN_TO_MODERATION,
                  Action.INTERMEDIATE, Action.POSTPONE, Action.PUBLISH, Action.RECONSIDER, Action.CLOSE,
                  Action.REJECT, Action.EXTEND)
ATTRIBUTE_RE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")


class Open311Error(Exception):
    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(descriptions[0] if descriptions else "")
        self.status = status
        self.descriptions = list(descriptions)


# --- rendering ------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _xml_node(parent: ET.Element, name: str, value: Any) -> None:
    node = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, item in value.items():
            _xml_node(node, key, item)
    elif isinstance(value, list):
        for item in value:
            _xml_node(node, ITEM_NAMES.get(name, "item"), item)
    else:
        node.text = _text(value)


def render(fmt: str, root: str, data: Any, *, status: int = 200) -> HttpResponse:
    """``data`` is a list (rendered as <root><item>…) or a dict (rendered as <root>…)."""
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False)
    else:
        element = ET.Element(root)
        if isinstance(data, list):
            for item in data:
                _xml_node(element, ITEM_NAMES[root], item)
        else:
            for key, value in data.items():
                _xml_node(element, key, value)
        body = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode")
    return HttpResponse(body.encode("utf-8"), status=status, content_type=CONTENT_TYPES[fmt])


def render_errors(fmt: str, status: int, descriptions: list[str]) -> HttpResponse:
    return render(fmt if fmt in CONTENT_TYPES else "xml", "errors",
                  [{"code": status, "description": text} for text in descriptions], status=status)


def w3c(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def endpoint(methods: tuple[str, ...]) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Wrap an Open311 view: method check, jurisdiction check, errors in the requested format."""

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        def inner(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    response = render_errors(fmt, 400, [_("Method %(method)s is not supported here.")
                                                        % {"method": request.method}])
                    response["Allow"] = ", ".join(methods)
                    return response
                _check_jurisdiction(request)
                return view(request, fmt, **kwargs)
            except Open311Error as exc:
                return render_errors(fmt, exc.status, exc.descriptions)

        inner.__name__ = view.__name__
        inner.__doc__ = view.__doc__
        return inner

    return wrap


def jurisdiction_id() -> str:
    configured = str(settings.OPEN311_JURISDICTION_ID or "")
    return configured or (urlsplit(settings.SITE_URL).hostname or "localhost")


def _param(request: HttpRequest, name: str) -> str:
    """An argument from the query or the form body; empty counts as absent (spec: Optional Arguments)."""
    value = request.POST.get(name) if request.method == "POST" else None
    if value is None:
        value = request.GET.get(name, "")
    return value.strip()


def _check_jurisdiction(request: HttpRequest) -> None:
    given = _param(request, "jurisdiction_id")
    if given and given != jurisdiction_id():
        raise Open311Error(404, _("jurisdiction_id «%(id)s» was not found.") % {"id": given})


# --- discovery and services -----------------------------------------------------------------------


@endpoint(("GET",))
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("intake:discovery", kwargs={"fmt": fmt})).rsplit("/", 1)[0]
    data = {
        "changeset": CHANGESET,
        "contact": settings.OPEN311_CONTACT or settings.DEFAULT_FROM_EMAIL,
        "key_service": _("API keys are issued by the platform administrator."),
        "endpoints": [{
            "specification": SPEC_URL, "url": base, "changeset": CHANGESET, "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    }
    return render(fmt, "discovery", data)


def _services() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).select_related("parent")


def _attributes_of(category: Category) -> QuerySet[ServiceAttribute]:
    return ServiceAttribute.objects.filter(category=category).order_by("order", "code")


def _service(category: Category, with_metadata: set[int], region: RegionSettings) -> dict[str, Any]:
    days = category.answer_days_in(region)
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": _("Answer within %(days)s days.") % {"days": days},
        "metadata": category.pk in with_metadata,
        "type": settings.OPEN311_SERVICE_TYPE,
        "keywords": ", ".join(category.keyword_list()),
        "group": category.parent.name if category.parent else "",
    }


def _services_body(fmt: str) -> tuple[bytes, str]:
    with_children = set(Category.objects.filter(is_active=True, parent__isnull=False).values_list("parent_id",
                                                                                                   flat=True))
    with_metadata = set(ServiceAttribute.objects.filter(variable=True).values_list("category_id", flat=True))
    region, _cal = region_cached()
    rows = [_service(c, with_metadata, region) for c in _services().order_by("parent__name", "name")
            if c.pk not in with_children]
    body = render(fmt, "services", rows).content
    return body, f'"{hashlib.sha256(body).hexdigest()[:32]}"'


@dataclass(frozen=True)
class _Service:
    """What a POST needs of a category, read once per registry version."""

    category: Category
    is_group: bool
    attributes: tuple[ServiceAttribute, ...]  # the variable ones, in their order


def _services_by_code() -> dict[str, _Service]:
    groups = set(Category.objects.filter(is_active=True, parent__isnull=False).values_list("parent_id", flat=True))
    attributes: dict[int, list[ServiceAttribute]] = {}
    for attribute in ServiceAttribute.objects.filter(variable=True).order_by("order", "code"):
        attributes.setdefault(attribute.category_id, []).append(attribute)
    return {c.code: _Service(c, c.pk in groups, tuple(attributes.get(c.pk, ()))) for c in _services()}


@endpoint(("GET",))
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    """The list changes only when categories, their attributes or the region's terms change: one read
    of the registry's version answers a repeat (304 with ETag) or serves the list this process rendered."""
    snapshot = registry_snapshot()
    key = f"open311.services:{fmt}:{translation.get_language()}:{settings.OPEN311_SERVICE_TYPE}"
    body, etag = snapshot.get(key, lambda: _services_body(fmt))
    changed_at = snapshot.changed_at
    if etag in {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=0, must-revalidate"
    if changed_at is not None:
        response["Last-Modified"] = http_date(changed_at.timestamp())
    return response


def _attribute(attribute: ServiceAttribute) -> dict[str, Any]:
    data: dict[str, Any] = {
        "variable": attribute.variable, "code": attribute.code, "datatype": attribute.datatype,
        "required": attribute.required, "datatype_description": attribute.datatype_description or None,
        "order": attribute.order, "description": attribute.description,
    }
    if attribute.datatype in {ServiceAttribute.Datatype.SINGLE, ServiceAttribute.Datatype.MULTI}:
        data["values"] = [{"key": str(v.get("key")), "name": str(v.get("name", ""))} for v in attribute.values
                          if isinstance(v, dict)]
    return data


@endpoint(("GET",))
def service_definition(request: HttpRequest, fmt: str, service_code: str) -> HttpResponse:
    category = _services().filter(code=service_code).first()
    if category is None:
        raise Open311Error(404, _("service_code «%(code)s» was not found.") % {"code": service_code})
    attributes = [_attribute(a) for a in _attributes_of(category)]
    return render(fmt, "service_definition", {"service_code": category.code, "attributes": attributes})


# --- requests -------------------------------------------------------------------------------------


def _float(request: HttpRequest, name: str, low: float, high: float) -> float | None:
    raw = _param(request, name)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Open311Error(400, _("%(name)s must be a number.") % {"name": name}) from None
    if not low <= value <= high:
        raise Open311Error(400, _("%(name)s is out of range.") % {"name": name})
    return value


def _parse_attributes(request: HttpRequest, service: _Service) -> tuple[dict[str, Any], list[str]]:
    given: dict[str, Any] = {}
    for key in request.POST:
        match = ATTRIBUTE_RE.match(key)
        if match:
            values = [v.strip() for v in request.POST.getlist(key) if v.strip()]
            if values:
                given[match.group(1)] = values if match.group(2) else values[-1]
    errors: list[str] = []
    result: dict[str, Any] = {}
    for attribute in service.attributes:
        value = given.get(attribute.code)
        if value in (None, "", []):
            if attribute.required:
                errors.append(_("attribute[%(code)s] is required: %(question)s")
                              % {"code": attribute.code, "question": attribute.description})
            continue
        kind = attribute.datatype
        given_values: list[str] = value if isinstance(value, list) else [str(value)]
        if kind == ServiceAttribute.Datatype.NUMBER:
            try:
                float(given_values[0])
            except ValueError:
                errors.append(_("attribute[%(code)s] must be a number.") % {"code": attribute.code})
        elif kind == ServiceAttribute.Datatype.DATETIME and _parse_datetime(given_values[0]) is None:
            errors.append(_("attribute[%(code)s] must be a date and time in W3C format.") % {"code": attribute.code})
        elif kind in {ServiceAttribute.Datatype.SINGLE, ServiceAttribute.Datatype.MULTI}:
            if kind == ServiceAttribute.Datatype.SINGLE and len(given_values) > 1:
                errors.append(_("attribute[%(code)s] takes one value.") % {"code": attribute.code})
            unknown = [v for v in given_values if v not in attribute.value_keys()]
            if unknown:
                errors.append(_("attribute[%(code)s]: unknown value «%(value)s».")
                              % {"code": attribute.code, "value": unknown[0]})
        result[attribute.code] = given_values if kind == ServiceAttribute.Datatype.MULTI else given_values[0]
    return result, errors


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    raw_key = _param(request, "api_key")
    if not raw_key:
        raise Open311Error(403, _("api_key is missing: POST requests need a key."))
    api_key = api_key_find(raw_key)
    if api_key is None:
        raise Open311Error(403, _("Invalid api_key received: cannot create the request."))
    code = _param(request, "service_code")
    if not code:
        raise Open311Error(400, _("service_code was not provided."))
    service = registry_snapshot().get("open311.services_by_code", _services_by_code).get(code)
    if service is None:
        raise Open311Error(404, _("service_code «%(code)s» was not found.") % {"code": code})
    category = service.category
    errors: list[str] = []
    if service.is_group:
        errors.append(_("service_code «%(code)s» is a group: choose one of its services.") % {"code": code})
    try:
        lat, lon = _float(request, "lat", -90, 90), _float(request, "long", -180, 180)
    except Open311Error as exc:
        errors.extend(exc.descriptions)
        lat = lon = None
    address, address_id = _param(request, "address_string"), _param(request, "address_id")
    if (lat is None) != (lon is None):
        errors.append(_("lat and long must be sent together."))
    if lat is None and not address and not address_id:
        errors.append(_("A location is required: lat and long, address_string or address_id."))
    description = _param(request, "description")
    if len(description) > MAX_DESCRIPTION:
        errors.append(_("description is longer than %(max)s characters.") % {"max": MAX_DESCRIPTION})
    if "\x00" in description or "\x00" in address:
        errors.append(_("The text contains a forbidden character."))
    email = _param(request, "email")
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            errors.append(_("email is not a valid e-mail address."))
        else:
            if len(email) > MAX_EMAIL:  # the column's length: longer would fail in the database, not here
                errors.append(_("email is not a valid e-mail address."))
    media_url = _param(request, "media_url")
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            errors.append(_("media_url is not a valid http(s) URL."))
    attributes, attribute_errors = _parse_attributes(request, service)
    errors.extend(attribute_errors)
    if errors:
        raise Open311Error(400, *errors)

    token = new_token()
    idempotency = request.headers.get("Idempotency-Key", "").strip()[:64]
    intake_key = f"o311:{api_key.pk}:{idempotency}" if idempotency else f"o311:{token}"
    name = " ".join(p for p in (_param(request, "first_name"), _param(request, "last_name")) if p)
    text = description or "\n".join([category.name, *(f"{k}: {v}" for k, v in attributes.items())])
    try:
        appeal = intake_submit(
            NewAppeal(
                text=text, category=category,
                territory=selectors.territory_at(lat, lon) if lat is not None and lon is not None else None,
                address=address[:500], latitude=lat, longitude=lon, applicant_name=name[:255],
                applicant_email=email, applicant_phone=_param(request, "phone")[:64],
            ),
            source=Submission.Source.OPEN311, intake_key=intake_key, intake_client=f"apikey:{api_key.pk}",
            api_key=api_key, token=token, device_id=_param(request, "device_id"),
            account_id=_param(request, "account_id"), address_id=address_id, attributes=attributes,
            media_url=media_url,
        )
    except AppealError as exc:
        raise Open311Error(409 if exc.status == 409 else 400, exc.message) from None
    submission = appeal.submission  # set by intake_submit (or read, for a repeat with the same key)
    row: dict[str, Any] = (
        {"token": submission.token} if settings.OPEN311_SERVICE_TYPE == "batch"
        else {"service_request_id": appeal.number}
    )
    row.update(service_notice=_service_notice(appeal), account_id=submission.account_id or None)
    return render(fmt, "service_requests", [row])


def _parse_datetime(raw: str) -> dt.datetime | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        if len(raw) == 10:
            value = dt.datetime.combine(dt.date.fromisoformat(raw), dt.time())
        else:
            value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _date_range(request: HttpRequest, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    start_raw, end_raw = _param(request, "start_date"), _param(request, "end_date")
    start, end = _parse_datetime(start_raw), _parse_datetime(end_raw)
    errors = []
    if start_raw and start is None:
        errors.append(_("start_date must be a date and time in W3C format, like 2010-01-01T00:00:00Z."))
    if end_raw and end is None:
        errors.append(_("end_date must be a date and time in W3C format, like 2010-01-01T00:00:00Z."))
    if errors:
        raise Open311Error(400, *errors)
    if start is None and end is None:
        end = now
        start = now - MAX_RANGE
    elif start is None:
        assert end is not None
        start = end - MAX_RANGE
    elif end is None:
        end = start + MAX_RANGE
    if end < start:
        raise Open311Error(400, _("end_date is earlier than start_date."))
    if end - start > MAX_RANGE:
        raise Open311Error(400, _("The date range may not span more than 90 days."))
    return start, end


def _status_notes(appeal: Appeal) -> str:
    label = str(State(appeal.state).label)
    if appeal.state == State.POSTPONED and appeal.postponed_until:
        return _("%(state)s until %(date)s") % {"state": label, "date": appeal.postponed_until.strftime("%d.%m.%Y")}
    return label


def _expected(appeal: Appeal) -> dt.datetime | None:
    if appeal.state == State.POSTPONED and appeal.postponed_until:
        end_of_day = dt.datetime.combine(appeal.postponed_until, dt.time(23, 59, 59))
        return timezone.make_aware(end_of_day)
    return appeal.due_at


def _service_notice(appeal: Appeal) -> str:
    expected = _expected(appeal)
    if appeal.state == State.POSTPONED and expected:
        return _("The answer is postponed until %(date)s.") % {"date": timezone.localtime(expected)
                                                                .strftime("%d.%m.%Y")}
    if expected and appeal.state in OPEN_STATES:
        return _("The answer is due by %(date)s.") % {"date": timezone.localtime(expected).strftime("%d.%m.%Y")}
    return ""


def _media_urls(appeals: list[Appeal]) -> dict[int, str]:
    links = Attachment.objects.filter(appeal_id__in=[a.pk for a in appeals], kind=Attachment.Kind.LINK)
    found: dict[int, str] = {}
    for appeal_id, url in links.order_by("id").values_list("appeal_id", "url"):
        found.setdefault(appeal_id, url)
    return found


def _request_row(appeal: Appeal, texts: PublicTexts, *, media: str = "") -> dict[str, Any]:
    """One public service request."""
    submission: Submission | None = getattr(appeal, "submission", None)
    closed = appeal.state not in OPEN_STATES
    category = appeal.category
    return {
        "service_request_id": appeal.number,
        "status": "closed" if closed else "open",
        "status_notes": _status_notes(appeal),
        "service_name": category.name if category else None,
        "service_code": category.code if category else None,
        "description": texts.get(appeal, "text"),
        "agency_responsible": appeal.organization.name if appeal.organization else None,
        "service_notice": _service_notice(appeal) or None,
        "requested_datetime": w3c(appeal.received_at),
        "updated_datetime": w3c((appeal.closed_at or appeal.state_changed_at) if closed else appeal.state_changed_at),
        "expected_datetime": w3c(_expected(appeal)),
        "address": appeal.address,
        "address_id": (submission.address_id or None) if submission else None,
        "zipcode": None,
        "lat": appeal.latitude,
        "long": appeal.longitude,
        "media_url": media or None,
    }


# What a request row shows, and nothing more: a page of 100 builds 100 narrow rows, not 600 models.
REQUEST_COLUMNS = (
    "number", "state", "regime", "text", "applicant_name", "applicant_address", "social_author", "address",
    "latitude", "longitude", "received_at", "state_changed_at", "closed_at", "due_at", "postponed_until",
    "category__name", "category__code", "category__is_public", "organization__name", "submission__address_id",
)


def _base_requests() -> QuerySet[Appeal]:
    return (selectors.public_appeals().select_related(None)
            .select_related("category", "organization", "submission").only(*REQUEST_COLUMNS))


def _get_requests(request: HttpRequest, fmt: str) -> tuple[HttpResponse, bool]:
    """The page, and whether it is final (every text had its full masking pass: it may be kept)."""
    ids = [i.strip() for i in _param(request, "service_request_id").split(",") if i.strip()]
    qs = _base_requests()
    if ids:
        qs = qs.filter(number__in=ids[:MAX_RESULTS])  # overrides all other arguments (spec)
    else:
        start, end = _date_range(request, timezone.now())
        qs = qs.filter(received_at__gte=start, received_at__lte=end)
        codes = [c.strip() for c in _param(request, "service_code").split(",") if c.strip()]
        if codes:
            qs = qs.filter(category__code__in=codes)
        statuses = {s.strip().lower() for s in _param(request, "status").split(",") if s.strip()}
        unknown = statuses - {"open", "closed"}
        if unknown:
            raise Open311Error(400, _("status may be open or closed, not «%(value)s».") % {"value": sorted(unknown)[0]})
        open_values = sorted(str(s) for s in OPEN_STATES)
        if statuses == {"open"}:
            qs = qs.filter(state__in=open_values)
        elif statuses == {"closed"}:
            qs = qs.exclude(state__in=open_values)
    page_size = _int_param(request, "page_size", min(DEFAULT_PAGE_SIZE, MAX_RESULTS), 1, MAX_RESULTS)
    page = _int_param(request, "page", 1, 1, 10_000)
    # One row more than the page tells whether a next page exists, without counting the whole range.
    rows = list(qs.order_by("-received_at", "-id")[(page - 1) * page_size: page * page_size + 1])
    has_next = len(rows) > page_size
    rows = rows[:page_size]
    media = _media_urls(rows)
    texts = public_texts(rows, ["text"])
    response = render(fmt, "service_requests", [_request_row(a, texts, media=media.get(a.pk, "")) for a in rows])
    links = []
    if has_next:
        links.append(f'<{_page_url(request, page + 1, page_size)}>; rel="next"')
    if page > 1:
        links.append(f'<{_page_url(request, page - 1, page_size)}>; rel="prev"')
    if links:
        response["Link"] = ", ".join(links)
    return response, not texts.late


def _page_url(request: HttpRequest, page: int, page_size: int) -> str:
    query = request.GET.copy()
    query["page"], query["page_size"] = str(page), str(page_size)
    return request.build_absolute_uri(request.path) + "?" + query.urlencode()


def _int_param(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    raw = _param(request, name)
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise Open311Error(400, _("%(name)s must be a whole number from %(low)s to %(high)s.")
                           % {"name": name, "low": low, "high": high})
    return int(raw)


@endpoint(("GET", "POST"))
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt)
    return _cached_requests(request, fmt)


# A public page of requests changes only with an appeal's event or a change of the registry (a category
# made private, an organisation renamed): a process answers a repeat of the same query from what it
# rendered while both stand, and for at most LIST_CACHE_SECONDS (the default period moves with the clock;
# a write committed out of order of its event's id is seen within that time too).
LIST_CACHE_SECONDS = 10
LIST_CACHE_SIZE = 256
_list_cache_lock = threading.Lock()
PageCache = dict[tuple[str, ...], tuple[int, float, HttpResponse]]


def _last_event_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(AppealEvent._meta.db_table)}")
        row = cursor.fetchone()
    return int(row[0] or 0) if row else 0


def _cached_requests(request: HttpRequest, fmt: str) -> HttpResponse:
    key = (fmt, translation.get_language() or "", request.get_host(), request.META.get("QUERY_STRING", ""))
    # The pages live in the registry's snapshot: a change of the registry drops them all.
    pages: PageCache = registry_snapshot().get("open311.requests_pages", dict)
    version = _last_event_id()
    hit = pages.get(key)
    if hit is not None and hit[0] == version and time.monotonic() - hit[1] < LIST_CACHE_SECONDS:
        cached = hit[2]
        response = HttpResponse(cached.content, content_type=cached["Content-Type"])
        if cached.has_header("Link"):
            response["Link"] = cached["Link"]
        return response
    response, complete = _get_requests(request, fmt)
    if complete and response.status_code == 200:
        with _list_cache_lock:
            if len(pages) >= LIST_CACHE_SIZE:
                pages.pop(next(iter(pages)))  # the oldest entry
            pages[key] = (version, time.monotonic(), response)
    return response


REQUEST_FIELDS = ("service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url")


def _waiting_row(appeal: Appeal) -> dict[str, Any]:
    """A request still waiting for moderation: what its sender needs to follow it (status, service,
    time), nothing of its content, place, applicant or organisation."""
    category = appeal.category
    row = dict.fromkeys(REQUEST_FIELDS)
    row.update({
        "service_request_id": appeal.number,
        "status": "open",
        "status_notes": _status_notes(appeal),
        "service_name": category.name if category else None,
        "service_code": category.code if category else None,
        "requested_datetime": w3c(appeal.received_at),
        "expected_datetime": w3c(_expected(appeal)),
    })
    return row


@endpoint(("GET",))
def request_detail(request: HttpRequest, fmt: str, service_request_id: str) -> HttpResponse:
    appeal = _base_requests().filter(number=service_request_id).first()
    if appeal is not None:
        media = _media_urls([appeal]).get(appeal.pk, "")
        texts = public_texts([appeal], ["text"])
        return render(fmt, "service_requests", [_request_row(appeal, texts, media=media)])
    waiting = selectors.awaiting_moderation(service_request_id)
    if waiting is None:
        # Rejected, a non-public category, a 59-FZ letter or no such number: all look the same.
        raise Open311Error(404, _("service_request_id «%(id)s» was not found.") % {"id": service_request_id})
    return render(fmt, "service_requests", [_waiting_row(waiting)])


@endpoint(("GET",))
def token_view(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    submission = Submission.objects.select_related("appeal").filter(token=token).first()
    if submission is None:
        raise Open311Error(404, _("token «%(token)s» was not found.") % {"token": token})
    return render(fmt, "service_requests", [{"service_request_id": submission.appeal.number, "token": token}])


@endpoint(("GET",))
def request_updates(request: HttpRequest, fmt: str) -> HttpResponse:
    """mySociety extension: status changes of public requests in a date range (≤ 90 days)."""
    start, end = _date_range(request, timezone.now())
    events = list(
        AppealEvent.objects.filter(appeal__in=selectors.public_appeals(), at__gte=start, at__lte=end,
                                   action__in=[str(a) for a in UPDATE_ACTIONS])
        .select_related("appeal").order_by("at", "id")[:MAX_RESULTS]
    )
    rows = []
    texts = public_texts({e.appeal_id: e.appeal for e in events}.values(), ["answer_text", "intermediate_text"])
    for event in events:
        appeal = event.appeal
        description = str(Action(event.action).label)
        if event.action == Action.PUBLISH and appeal.answer_text:
            description = texts.get(appeal, "answer_text")
        elif event.action == Action.INTERMEDIATE and appeal.intermediate_text:
            description = texts.get(appeal, "intermediate_text")
        rows.append({
            "update_id": str(event.pk), "service_request_id": appeal.number,
            "status": "open" if event.to_state in OPEN_STATES else "closed",
            "updated_datetime": w3c(event.at), "description": description, "media_url": None,
            "external_status_code": event.to_state,
        })
    return render(fmt, "service_request_updates", rows)


@csrf_exempt
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    fmt = "json" if path.endswith(".json") else "xml"
    return render_errors(fmt, 404, [_("No such Open311 resource: /%(path)s") % {"path": path}])
