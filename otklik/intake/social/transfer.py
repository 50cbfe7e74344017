"""The registry file of social sources (``manage.py import_registry social_sources FILE``).

Columns are the English headers of the issue (network, name, kind, target, api_base, token,
territory, organization); Russian headers are read too. Tokens are written into the file by the
region and never exported back: an exported file leaves the token blank, and a blank token keeps the
stored one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otklik.accounts.models import User
from otklik.intake.social.models import Network, OfficialAccount, Source, SourceKind
from otklik.registry.models import Organization, Territory
from otklik.registry.transfer.base import Column, DuplicateKeys, Errors, Kind, Plan, Row, parse_bool

KINDS_OF_NETWORK = {
    Network.VK: {SourceKind.SEARCH, SourceKind.WALL, SourceKind.COMMENTS},
    Network.TELEGRAM: {SourceKind.CHAT},
    Network.OK: {SourceKind.WALL, SourceKind.COMMENTS},
    Network.FEED: {SourceKind.WALL},
}
RUSSIAN = {"network": "Сеть", "name": "Название", "kind": "Вид", "target": "Цель", "api_base": "Адрес API",
           "token": "Токен", "territory": "Территория", "organization": "Организация", "is_active": "Действует"}
KEYS = ("network", "name", "kind", "target", "api_base", "token", "territory", "organization", "is_active")
REQUIRED = {"network", "name", "kind", "target"}


def bilingual_columns(russian: dict[str, str]) -> tuple[Column, ...]:
    """The Russian headers come first: the English ones name the columns in messages and exports. A token
    is read on import and never exported."""
    return (*(Column(key, header, import_only=True) for key, header in russian.items()),
            *(Column(key, key, import_only=key == "token") for key in russian))


class _ConnectionKind(Kind):
    required: frozenset[str] = frozenset()

    def check_columns(self, present: set[str], errors: Errors) -> None:
        for key in sorted(self.required - present):
            errors.add(None, key, _("The column is missing."))


class SocialSources(_ConnectionKind):
    slug = "social_sources"
    title = gettext_lazy("Social network sources")
    columns = bilingual_columns({key: RUSSIAN[key] for key in KEYS})
    required = frozenset(REQUIRED)

    def export_rows(self) -> Iterator[dict[str, str]]:
        for source in Source.objects.select_related("territory", "organization").order_by("network", "name"):
            yield {"network": source.network, "name": source.name, "kind": source.kind, "target": source.target,
                   "api_base": source.api_base, "territory": source.territory.name if source.territory else "",
                   "organization": source.organization.name if source.organization else "",
                   "is_active": "да" if source.is_active else "нет"}

    def prepare(self, rows: list[Row], errors: Errors) -> Plan:

        plan = Plan()
        saved = {source.name: source for source in Source.objects.all()}
        organizations = {org.name.lower(): org for org in Organization.objects.all()}
        territories: dict[str, list[Territory]] = {}
        for each in Territory.objects.all():
            territories.setdefault(each.name.lower(), []).append(each)
        duplicates = DuplicateKeys()
        for row in rows:
            values: dict[str, Any] = {}
            name = row.get("name").strip()
            if not name:
                errors.add(row, "name", _("Give the source a name."))
            elif duplicates.check(name, row, "name", errors):
                values["name"] = name
            network = row.get("network").strip().lower()
            if network not in Network.values:
                errors.add(row, "network", _("The network is one of: %(choices)s.") % {
                    "choices": ", ".join(Network.values)})
            kind = row.get("kind").strip().lower()
            if kind not in SourceKind.values:
                errors.add(row, "kind", _("The kind is one of: %(choices)s.") % {
                    "choices": ", ".join(SourceKind.values)})
            elif network in Network.values and kind not in KINDS_OF_NETWORK[Network(network)]:
                errors.add(row, "kind", _("This network has no sources of this kind."))
            target = row.get("target").strip()
            if not target:
                errors.add(row, "target", _("Give the query, the owner id, the chat id or the feed address."))
            api_base = row.get("api_base").strip()
            if api_base and not api_base.startswith(("http://", "https://")):
                errors.add(row, "api_base", _("The API address starts with http:// or https://."))
            token = row.get("token").strip()
            existing = saved.get(name)
            if not token and network in (Network.VK, Network.TELEGRAM, Network.OK) and not (
                    existing and existing.token):
                errors.add(row, "token", _("This network needs a token."))
            if network == Network.OK and token and token.count(":") < 2:
                errors.add(row, "token", _("An OK token is written as application_key:secret_key:access_token."))
            territory: Territory | None = None
            if row.get("territory").strip():
                found = territories.get(row.get("territory").strip().lower(), [])
                if len(found) != 1:
                    errors.add(row, "territory", _("No territory “%(name)s”.") % {"name": row.get("territory")}
                               if not found else _("Several territories are called “%(name)s”.")
                               % {"name": row.get("territory")})
                else:
                    territory = found[0]
            organization: Organization | None = None
            if row.get("organization").strip():
                organization = organizations.get(row.get("organization").strip().lower())
                if organization is None:
                    errors.add(row, "organization", _("No organisation “%(name)s”.") % {
                        "name": row.get("organization")})
            is_active = True
            if row.get("is_active").strip():
                try:
                    is_active = parse_bool(row.get("is_active"))
                except ValidationError as problem:
                    errors.add_validation(row, "is_active", problem)
            if errors.in_row(row):
                continue
            parsed = {"network": network, "kind": kind, "target": target, "api_base": api_base, "token": token,
                      "territory": territory, "organization": organization, "is_active": is_active}
            # A column the file does not have leaves the field as it is.
            values.update({key: value for key, value in parsed.items() if row.has(key) or key in REQUIRED})
            changed = existing is None or token != "" or any(
                getattr(existing, key) != value for key, value in values.items() if key != "token")
            plan.count("create" if existing is None else "update" if changed else "same")
            if changed:
                plan.writes.append(_writer(existing, values))
        return plan


def _writer(source: Source | None, values: dict[str, Any]) -> Callable[[User | None], None]:
    def write(actor: User | None) -> None:
        from otklik.intake.social.services import source_save

        source_save(source=source, values=values)

    return write


ACCOUNT_RUSSIAN = {"organization": "Организация", "network": "Сеть", "target": "Страница", "url": "Ссылка",
                   "api_base": "Адрес API", "token": "Токен", "is_active": "Действует"}
ACCOUNT_KEYS = tuple(ACCOUNT_RUSSIAN)
ACCOUNT_REQUIRED = {"organization", "network", "target"}


class OfficialAccounts(_ConnectionKind):
    """The register of official pages (``manage.py import_registry official_accounts FILE``)."""

    slug = "official_accounts"
    title = gettext_lazy("Official accounts")
    columns = bilingual_columns(ACCOUNT_RUSSIAN)
    required = frozenset(ACCOUNT_REQUIRED)

    def export_rows(self) -> Iterator[dict[str, str]]:
        for account in OfficialAccount.objects.select_related("organization").order_by("organization__name",
                                                                                         "network"):
            yield {"organization": account.organization.name, "network": account.network, "target": account.target,
                   "url": account.url, "api_base": account.api_base, "is_active": "да" if account.is_active else "нет"}

    def prepare(self, rows: list[Row], errors: Errors) -> Plan:
        plan = Plan()
        saved = {(a.network, a.target): a for a in OfficialAccount.objects.all()}
        organizations = {org.name.lower(): org for org in Organization.objects.all()}
        duplicates = DuplicateKeys()
        for row in rows:
            network = row.get("network").strip().lower()
            if network not in (Network.VK, Network.OK, Network.FEED, Network.TELEGRAM):
                errors.add(row, "network", _("The network is one of: %(choices)s.") % {
                    "choices": ", ".join(Network.values)})
            target = row.get("target").strip()
            if not target:
                errors.add(row, "target", _("Give the page: the owner id, the group id or the feed address."))
            elif not duplicates.check((network, target), row, "target", errors):
                continue
            organization = organizations.get(row.get("organization").strip().lower())
            if organization is None:
                errors.add(row, "organization", _("No organisation “%(name)s”.") % {"name": row.get("organization")})
            url = row.get("url").strip()
            if url and not url.startswith(("http://", "https://")):
                errors.add(row, "url", _("The link starts with http:// or https://."))
            is_active = True
            if row.get("is_active").strip():
                try:
                    is_active = parse_bool(row.get("is_active"))
                except ValidationError as problem:
                    errors.add_validation(row, "is_active", problem)
            if errors.in_row(row):
                continue
            existing = saved.get((network, target))
            parsed = {"organization": organization, "network": network, "target": target, "url": url,
                      "api_base": row.get("api_base").strip(), "token": row.get("token").strip(),
                      "is_active": is_active}
            values = {key: value for key, value in parsed.items() if row.has(key) or key in ACCOUNT_REQUIRED}
            changed = existing is None or bool(values.get("token")) or any(
                getattr(existing, key) != value for key, value in values.items() if key != "token")
            plan.count("create" if existing is None else "update" if changed else "same")
            if changed:
                plan.writes.append(_account_writer(existing, values))
        return plan


def _account_writer(account: OfficialAccount | None, values: dict[str, Any]) -> Callable[[User | None], None]:
    def write(actor: User | None) -> None:
        from otklik.intake.social.services import account_save

        account_save(account=account, values=values)

    return write
