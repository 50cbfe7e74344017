"""The record of configuration changes: every save and delete of the models named in
settings.AUDITED_MODELS leaves a ConfigurationChange with who, when, from where and which fields moved.

Signals, not calls in each service, so that nothing escapes: the admin, the registry import, the API
and management commands all save models. The actor comes from the request being served (the
middleware below sets it) or is empty for commands and workers. Secrets never enter the record: a field
whose name says it holds one is logged as changed, without its values.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save
from django.http import HttpRequest, HttpResponse

_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar("audit_request", default=None)
SECRET = re.compile(r"token|secret|password|api_key|key_hash", re.IGNORECASE)
# Bookkeeping that changes on every sign-in or run, not configuration.
IGNORED = frozenset({"last_login", "updated_at", "changed_at", "modified_at"})


class AuditActorMiddleware:
    """Remembers the request so that a model saved while serving it is attributed to its user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def _source(request: HttpRequest | None) -> str:
    if request is None:
        return "command"
    path = request.path
    if path.startswith("/" + settings.ADMIN_PATH):
        return "admin"
    if path.startswith(("/api/", "/open311/")):
        return "api"
    return "page"


def _actor(request: HttpRequest | None) -> Any:
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _value(instance: models.Model, field: models.Field[Any, Any]) -> Any:
    value = getattr(instance, field.attname)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if f.name not in IGNORED and not f.primary_key]


def _snapshot(instance: models.Model) -> dict[str, Any]:
    return {f.name: _value(instance, f) for f in _fields(type(instance))}


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name, new in after.items():
        old = before.get(name)
        if old != new:
            changes[name] = "changed" if SECRET.search(name) else [old, new]
    return changes


def _before_save(sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance.pk is None:
        return
    old = sender._default_manager.filter(pk=instance.pk).first()
    instance._audit_before = _snapshot(old) if old is not None else None  # type: ignore[attr-defined]


def _after_save(sender: type[models.Model], instance: models.Model, created: bool, raw: bool = False,
                **kwargs: Any) -> None:
    if raw:
        return
    before = getattr(instance, "_audit_before", None)
    after = _snapshot(instance)
    if created or before is None:
        _record(instance, "create", _diff({}, after))
        return
    changes = _diff(before, after)
    if changes:
        _record(instance, "update", changes)


def _after_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    before = _snapshot(instance)
    _record(instance, "delete", {name: "changed" if SECRET.search(name) else [value, None]
                                 for name, value in before.items()})


def _record(instance: models.Model, action: str, changes: dict[str, Any]) -> None:
    from otklik.core.services import configuration_change_record

    request = _request.get()
    configuration_change_record(
        model=instance._meta.label, object_id=str(instance.pk), object_repr=str(instance)[:200], action=action,
        changes=changes, actor=_actor(request), source=_source(request),
    )


def connect() -> None:
    for label in getattr(settings, "AUDITED_MODELS", ()):
        model = apps.get_model(label)
        uid = f"audit:{label}"
        pre_save.connect(_before_save, sender=model, dispatch_uid=uid + ":pre")
        post_save.connect(_after_save, sender=model, dispatch_uid=uid + ":post")
        post_delete.connect(_after_delete, sender=model, dispatch_uid=uid + ":delete")
