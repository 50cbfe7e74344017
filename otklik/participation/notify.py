"""Notices of public participation: a new event in a citizen's territory, results published, and the
authorised person told that an event is late. Each notice has a dedupe key, so running twice sends once."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from otklik.notifications.services import notice_create
from otklik.participation import selectors, services
from otklik.participation.models import Event, Lateness


def _link(event: Event) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("participation:event", args=[event.pk])


def announce_event(event_id: int) -> int:
    event = Event.objects.filter(pk=event_id).select_related("organization").first()
    if event is None or event.announced:
        return 0
    sent = 0
    subject = _("New: %(title)s") % {"title": event.title}
    body = _("%(organization)s invites you to take part: %(kind)s «%(title)s», from %(start)s to %(end)s.\n\n"
             "%(link)s") % {
        "organization": event.organization, "kind": event.get_kind_display(), "title": event.title,
        "start": event.starts_at.strftime("%d.%m.%Y"), "end": event.ends_at.strftime("%d.%m.%Y"),
        "link": _link(event)}
    for person in selectors.audience(event).iterator():
        if notice_create(kind="participation_new", dedupe=f"participation:new:{event.pk}", subject=subject,
                         body=body, email=person.email):
            sent += 1
    services.event_mark_announced(event_id=event.pk, results=False)
    return sent


def announce_results(event_id: int) -> int:
    event = Event.objects.filter(pk=event_id).first()
    if event is None or event.results_announced:
        return 0
    sent = 0
    subject = _("Results: %(title)s") % {"title": event.title}
    body = _("The results of «%(title)s» are published.\n\n%(link)s") % {"title": event.title,
                                                                        "link": _link(event)}
    for person in selectors.participants(event).iterator():
        if notice_create(kind="participation_results", dedupe=f"participation:results:{event.pk}",
                         subject=subject, body=body, email=person.email):
            sent += 1
    services.event_mark_announced(event_id=event.pk, results=True)
    return sent


def tell_late(lateness_id: int) -> int:
    flag = Lateness.objects.filter(pk=lateness_id).select_related("event").first()
    if flag is None:
        return 0
    sent = 0
    subject = _("Late: %(title)s") % {"title": flag.event.title}
    body = _("The event «%(title)s» is %(stage)s (it was due %(due)s). The delay is in the disciplinary "
             "register.") % {"title": flag.event.title, "stage": flag.get_stage_display(),
                             "due": flag.due_at.strftime("%d.%m.%Y %H:%M")}
    for person in selectors.authorised_people(flag.organization_id):
        if notice_create(kind="participation_late", dedupe=f"participation:late:{flag.pk}", subject=subject,
                         body=body, recipient=person):
            sent += 1
    return sent
