"""People and their roles: one row per role (person, organisation, role), matched by login.

The person's own columns repeat on each of their rows. A person's roles become exactly the ones the
file lists for them; people the file does not mention keep theirs. A new person gets no usable
password unless the file gives one, so nobody can sign in with a guessed default.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otklik.accounts.models import Membership, User
from otklik.registry.models import Organization
from otklik.registry.services import PersonImport, registry_import_people
from otklik.registry.transfer.base import Column, Errors, Kind, Plan, Row, RowParser, changed_fields, text_of

USER_FIELDS = ("last_name", "first_name", "patronymic", "email", "phone", "position", "is_active")


class People(Kind):
    slug = "people"
    title = gettext_lazy("People and roles")
    columns = (
        Column("username", "Логин", required=True),
        Column("last_name", "Фамилия"),
        Column("first_name", "Имя"),
        Column("patronymic", "Отчество"),
        Column("email", "Эл. почта"),
        Column("phone", "Телефон"),
        Column("position", "Должность"),
        Column("is_active", "Активен"),
        Column("organization", "Организация"),
        Column("role", "Роль"),
        Column("password", "Пароль", import_only=True),
    )

    def __init__(self, actor: User | None = None) -> None:
        self.actor = actor

    def export_rows(self) -> Iterator[dict[str, str]]:
        """People who hold a role; citizens' accounts are not registry data and stay out."""
        memberships = Membership.objects.select_related("user", "organization").order_by(
            "user__username", "organization__name", "role"
        )
        for membership in memberships:
            row = {name: text_of(getattr(membership.user, name)) for name in USER_FIELDS}
            row.update(username=membership.user.username, organization=membership.organization.name,
                       role=membership.role)
            yield row

    def check_columns(self, present: set[str], errors: Errors) -> None:
        # A role without its organisation (or the reverse) cannot be stored.
        for key, other in (("organization", "role"), ("role", "organization")):
            if key in present and other not in present:
                errors.add(None, other, _("The column is missing."))

    def prepare(self, rows: list[Row], errors: Errors) -> Plan:
        groups: dict[str, list[Row]] = {}
        for row in rows:
            groups.setdefault(row.get("username"), []).append(row)
        saved = {user.username: user for user in User.objects.filter(username__in=list(groups))}
        memberships: dict[int, set[tuple[int, str]]] = {}
        for user_id, org_id, role in Membership.objects.filter(user__in=saved.values()).values_list(
            "user_id", "organization_id", "role"
        ):
            memberships.setdefault(user_id, set()).add((org_id, role))
        organizations = dict(Organization.objects.values_list("name", "pk"))
        sync_roles = bool(rows) and rows[0].has("organization") and rows[0].has("role")

        plan = Plan()
        writes: list[PersonImport] = []
        for username, user_rows in groups.items():
            first = user_rows[0]
            try:
                User._meta.get_field("username").clean(username, None)
            except ValidationError as error:
                errors.add_validation(first, "username", error)
                continue
            instance = saved.get(username)
            if instance is not None and instance.is_superuser and self.actor is not None \
                    and not self.actor.is_superuser:
                errors.add(first, "username", _("Only a superuser may change a superuser's account."))
                continue
            values = self._person_values(user_rows, errors)
            password = self._agreed(user_rows, "password", errors)
            roles = self._roles(user_rows, organizations, errors) if sync_roles else None
            if password:
                candidate = instance or User(username=username)
                try:
                    password_validation.validate_password(password, candidate)
                except ValidationError as error:
                    errors.add_validation(next(r for r in user_rows if r.get("password")), "password", error)
            if any(errors.in_row(row) for row in user_rows):
                continue
            old_roles = memberships.get(instance.pk, set()) if instance is not None else set()
            changed = changed_fields(instance, values) or bool(password) or (roles is not None and roles != old_roles)
            plan.count("create" if instance is None else "update" if changed else "unchanged")
            if changed:
                writes.append(PersonImport(username=username, instance=instance, values=values, password=password,
                                           roles=roles, old_roles=old_roles))
        if writes:
            plan.writes.append(lambda actor: _write(actor, writes))
        return plan

    @staticmethod
    def _agreed(rows: list[Row], key: str, errors: Errors) -> str:
        """The one value a column has across a person's rows (blank cells do not count)."""
        value, where = "", 0
        for row in rows:
            text = row.get(key)
            if not text:
                continue
            if value and text != value:
                errors.add(row, key, _("Differs from row %(row)d of the same login.") % {"row": where})
            elif not value:
                value, where = text, row.number
        return value

    def _person_values(self, rows: list[Row], errors: Errors) -> dict[str, Any]:
        agreed = Row(number=rows[0].number, values={
            key: self._agreed(rows, key, errors) for key in USER_FIELDS if rows[0].has(key)
        })
        # Report problems with a value in the row that holds it.
        holder = {key: next((row for row in rows if row.get(key)), rows[0]) for key in agreed.values}
        values: dict[str, Any] = {}
        for key in agreed.values:
            values.update(RowParser(Row(holder[key].number, agreed.values), errors).fields(User, (key,)))
        return values

    @staticmethod
    def _roles(rows: list[Row], organizations: dict[str, int], errors: Errors) -> set[tuple[int, str]]:
        roles: dict[tuple[int, str], int] = {}
        for row in rows:
            name, role_text = row.get("organization"), row.get("role")
            if not name and not role_text:
                continue
            if not name or not role_text:
                errors.add(row, "role" if name else "organization",
                           _("Give both the organisation and the role, or neither."))
                continue
            organization_id = organizations.get(name)
            if organization_id is None:
                errors.add(row, "organization", _("No organisation “%(name)s”.") % {"name": name})
                continue
            role = RowParser(row, errors).value(Membership, "role")
            if role is None:
                continue
            first = roles.setdefault((organization_id, role), row.number)
            if first != row.number:
                errors.add(row, "role", _("The same entry is already in row %(row)d.") % {"row": first})
        return set(roles)


def _write(actor: User | None, rows: list[PersonImport]) -> None:
    registry_import_people(actor=actor, rows=rows)
