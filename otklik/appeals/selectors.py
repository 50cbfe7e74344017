"""Every staff read of appeals. The one place that decides who may see what.

- moderator, regional coordinator, administrator: the whole region;
- coordinator, head: every appeal of their organisations (own or, while standing in, the absent person's);
- executor: the appeals they execute, and those of the people they stand in for.

The work queues of the staff workspace are defined here too: each queue is a filter applied on top of
``visible_appeals``, so a queue can never show more than the user may see.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import snowballstemmer
from django.db import connections
from django.db.models import BooleanField, Count, F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from otklik.accounts.models import Role, User
from otklik.accounts.permissions import Capacity, capacities, find_capacity
from otklik.appeals import chain
from otklik.appeals.lifecycle import APPLICANT, OPEN_STATES, SYSTEM, Action, Regime, State, actions_from
from otklik.appeals.models import MODERATED_STATES, Appeal, AppealEvent
from otklik.registry.models import Category, Territory
from otklik.registry.selectors import region_settings

ORGANIZATION_WIDE_ROLES = frozenset({Role.COORDINATOR, Role.HEAD})
# Who registers appeals that arrive on paper, by e-mail or at a personal reception.
REGISTRAR_ROLES = frozenset({Role.MODERATOR, Role.REGIONAL_COORDINATOR, Role.COORDINATOR})
OPEN = sorted(str(s) for s in OPEN_STATES)


def _scope(caps: list[Capacity], user: User) -> Q | None:
    """A filter for the appeals these capacities see; None means the whole region."""
    if any(cap.region_wide for cap in caps):
        return None
    condition = Q(pk__in=[])
    org_ids = {cap.organization_id for cap in caps if cap.role in ORGANIZATION_WIDE_ROLES}
    if org_ids:
        condition |= Q(organization_id__in=org_ids)
    executor_pairs = {
        (cap.organization_id, cap.acting_for_id or user.pk) for cap in caps if cap.role == Role.EXECUTOR
    }
    for org_id, executor_id in executor_pairs:
        condition |= Q(organization_id=org_id, executor_id=executor_id)
    return condition


def visible_appeals(user: User, *, at: dt.datetime | None = None) -> QuerySet[Appeal]:
    caps = capacities(user, at=at)
    if not caps:
        return Appeal.objects.none()
    scope = _scope(caps, user)
    queryset = Appeal.objects.all()
    return queryset if scope is None else queryset.filter(scope)


# --- full-text search -------------------------------------------------------------------------------

# The search index is created by migration appeals/0002_search_index: an FTS5 table on SQLite, a GIN
# expression index on PostgreSQL. The expression below must stay identical to the indexed one, or
# PostgreSQL stops using the index.
PG_DOCUMENT = (
    "to_tsvector('russian'::regconfig, "
    "COALESCE(\"appeals_appeal\".\"text\", '') || ' ' || COALESCE(\"appeals_appeal\".\"address\", ''))"
)
SQLITE_FTS_TABLE = "appeals_appeal_fts"
NUMBER_RE = re.compile(r"^\d{4}-\d{1,9}$")
WORD_RE = re.compile(r"\w+", re.UNICODE)


# FTS5 has no Russian stemmer: the query's words are stemmed with Snowball, the algorithm behind
# PostgreSQL's ``russian`` configuration, and matched as prefixes of the indexed words, so both
# databases find the same appeals.
_STEMMER = snowballstemmer.stemmer("russian")


def _stem(word: str) -> str:
    return str(_STEMMER.stemWord(word.replace("ё", "е")))


def _fts5_query(needle: str) -> str:
    """An FTS5 MATCH expression: every word must occur, matched by prefix on its stem
    («ямы» finds «яма», «фонари» finds «фонарь»). Words are quoted, so the user's text is never
    FTS5 syntax."""
    terms = [f'"{_stem(word)}"*' for word in WORD_RE.findall(needle.lower())]
    return " ".join(terms[:12])


def text_search(queryset: QuerySet[Appeal], query: str) -> QuerySet[Appeal]:
    """Appeals whose number is ``query`` or whose text and address contain its words.

    Full text on both databases: FTS5 on SQLite, the ``russian`` configuration on PostgreSQL.
    """
    needle = (query or "").strip()[:200]
    if not needle:
        return queryset
    if NUMBER_RE.match(needle):
        return queryset.filter(number=needle)
    vendor = connections[queryset.db].vendor
    if vendor == "postgresql":
        # A condition on the row itself (not "id IN (subquery)"): the planner then combines the GIN
        # index with the scope's own indexes, and a count needs no second pass over the table.
        matches = RawSQL(f"{PG_DOCUMENT} @@ websearch_to_tsquery('russian'::regconfig, %s)", [needle],
                         output_field=BooleanField())
        return queryset.filter(matches)
    if vendor == "sqlite":
        match = _fts5_query(needle)
        if not match:
            return queryset.none()
        ids = RawSQL(f"SELECT rowid FROM {SQLITE_FTS_TABLE} WHERE {SQLITE_FTS_TABLE} MATCH %s", [match])
        return queryset.filter(pk__in=ids)
    return queryset.filter(Q(text__icontains=needle) | Q(address__icontains=needle))


# --- filters and search -----------------------------------------------------------------------------


# Lists fetch their page of appeals first and the related rows after, in a query each: joined into
# the list query, the joins would run over every matching row before the sort picks fifty.
LIST_RELATED = ("category__parent", "organization", "executor", "territory")


@dataclass(frozen=True)
class AppealFilters:
    state: list[str] | None = None
    organization_id: int | None = None
    category_id: int | None = None
    territory_id: int | None = None
    regime: str | None = None
    executor_id: int | None = None
    overdue: bool | None = None
    due_before: dt.datetime | None = None
    text: str | None = None


def apply_filters(queryset: QuerySet[Appeal], filters: AppealFilters, *, now: dt.datetime) -> QuerySet[Appeal]:
    if filters.state:
        queryset = queryset.filter(state__in=filters.state)
    if filters.organization_id:
        queryset = queryset.filter(organization_id=filters.organization_id)
    if filters.category_id:
        queryset = queryset.filter(Q(category_id=filters.category_id) | Q(category__parent_id=filters.category_id))
    if filters.territory_id:
        queryset = queryset.filter(
            Q(territory_id=filters.territory_id) | Q(territory__parent_id=filters.territory_id)
        )
    if filters.regime:
        queryset = queryset.filter(regime=filters.regime)
    if filters.executor_id:
        queryset = queryset.filter(executor_id=filters.executor_id)
    if filters.overdue is True:
        queryset = queryset.filter(state__in=OPEN, due_at__lt=now)
    elif filters.overdue is False:
        queryset = queryset.exclude(state__in=OPEN, due_at__lt=now)
    if filters.due_before:
        queryset = queryset.filter(due_at__lte=filters.due_before)
    if filters.text:
        queryset = text_search(queryset, filters.text)
    return queryset


def search_appeals(user: User, filters: AppealFilters, *, now: dt.datetime | None = None) -> QuerySet[Appeal]:
    now = now or timezone.now()
    queryset = apply_filters(visible_appeals(user, at=now), filters, now=now)
    return queryset.prefetch_related(*LIST_RELATED)


def appeal_for_user(user: User, appeal_id: int) -> Appeal | None:
    return (
        visible_appeals(user)
        .select_related("category", "category__parent", "organization", "executor", "coordinator", "territory")
        .filter(pk=appeal_id)
        .first()
    )


@dataclass(frozen=True)
class RegistrationReferences:
    """What a registered appeal's payload names: None where it names nothing, or nothing known."""

    category: Category | None
    territory: Territory | None


def registration_references(user: User, *, category_id: int | None,
                            territory_id: int | None) -> RegistrationReferences | None:
    """The active category and the territory a registrar's payload names; None where the user's role
    registers no appeals (the operation answers 403 before reading anything)."""
    if not any(cap.role in REGISTRAR_ROLES for cap in capacities(user)):
        return None
    category = Category.objects.filter(pk=category_id, is_active=True).first() if category_id else None
    territory = Territory.objects.filter(pk=territory_id).first() if territory_id else None
    return RegistrationReferences(category=category, territory=territory)


def appeal_history(appeal: Appeal) -> QuerySet[AppealEvent]:
    return appeal.events.select_related("actor", "acting_for", "organization").order_by("at", "id")


def _offered(action: Action, appeal: Appeal, role: str, confirmer: str) -> bool:
    """Whether an action the table allows makes sense for this appeal now (the services' guards
    refuse the others anyway; this keeps them off the page)."""
    if action == Action.MARK_SIGNIFICANT:
        return not appeal.significant
    if action == Action.CLEAR_SIGNIFICANT:
        return appeal.significant
    if action in {Action.POSTPONE, Action.DECLINE_POSTPONEMENT}:
        return role == confirmer and (action == Action.POSTPONE or appeal.proposed_until is not None)
    if action == Action.PROPOSE_POSTPONEMENT:
        return role != confirmer
    if action == Action.RESOLVE:
        return appeal.resolution_on is not None and appeal.resolved_at is None
    return True


def allowed_actions(user: User, appeal: Appeal, *, at: dt.datetime | None = None) -> list[Action]:
    """Actions the user may offer on this appeal now (guards may still refuse particular input)."""
    result = []
    confirmer = region_settings().postponement_confirmed_by
    for row in actions_from(appeal.state, appeal.regime):
        staff_roles = row.roles - {SYSTEM, APPLICANT}
        cap = find_capacity(user, staff_roles, appeal.organization_id, at=at)
        if cap is None or not _offered(row.action, appeal, cap.role, confirmer):
            continue
        if row.own_executor and cap.role == Role.EXECUTOR:
            own_ids = {user.pk} | {
                c.acting_for_id for c in capacities(user, at=at) if c.role == Role.EXECUTOR and c.acting_for_id
            }
            if appeal.executor_id not in own_ids:
                continue
        result.append(row.action)
    return result


# Roles whose work needs the applicant's contacts (152-FZ): to check, route, answer and sign the answer.
# The administrator, the authorised person and the privacy officer do not get them.
PERSONAL_DATA_ROLES = frozenset({Role.MODERATOR, Role.REGIONAL_COORDINATOR, Role.COORDINATOR, Role.HEAD,
                                 Role.EXECUTOR})


def can_see_personal_data(user: User, appeal: Appeal) -> bool:
    """Applicant's contacts go only to those whose work needs them (152-FZ)."""
    if find_capacity(user, PERSONAL_DATA_ROLES, appeal.organization_id) is None:
        return False
    return visible_appeals(user).filter(pk=appeal.pk).exists()


def sees_personal_data_in(user: User, organization_id: int | None) -> bool:
    """Whether the user's role for this organisation needs applicants' data (lists: texts unmasked)."""
    return find_capacity(user, PERSONAL_DATA_ROLES, organization_id) is not None


def executors_for(user: User, organization_ids: Iterable[int]) -> QuerySet[User]:
    """Executors the user may assign: active executors of the given organisations that the user
    coordinates (a regional coordinator coordinates every organisation)."""
    wanted = {
        org_id for org_id in organization_ids
        if find_capacity(user, {Role.COORDINATOR, Role.REGIONAL_COORDINATOR}, org_id) is not None
    }
    return (
        User.objects.filter(is_active=True, memberships__role=Role.EXECUTOR, memberships__organization_id__in=wanted)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


# --- work queues ------------------------------------------------------------------------------------


def _anything(now: dt.datetime) -> Q:
    return Q()


@dataclass(frozen=True)
class Queue:
    """A work queue of one role: the appeals in ``states`` (open ones only) that also meet ``extra``, in
    which order by default."""

    key: str
    roles: frozenset[str]
    states: tuple[str, ...]
    extra: Callable[[dt.datetime], Q] = _anything
    default_sort: str = "due"
    # Bulk actions offered on the page (action names of the lifecycle).
    bulk: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # The side menu counts a scope's appeals in the queues' states (queue_counts): closed ones never count.
        if not {str(state) for state in self.states} <= set(OPEN):
            raise ValueError(f"queue {self.key}: closed states {self.states}")

    def condition(self, now: dt.datetime) -> Q:
        return Q(state__in=[str(state) for state in self.states]) & self.extra(now)


WORKING_STATES = (State.EXECUTION, State.POSTPONED)

QUEUES: dict[str, Queue] = {
    queue.key: queue
    for queue in [
        # Moderator: incoming messages and social posts to accept, reject or route.
        Queue("moderation", frozenset({Role.MODERATOR}), MODERATED_STATES, lambda now: ~Q(regime=Regime.SOCIAL),
              default_sort="received", bulk=(Action.ROUTE,)),
        Queue("social", frozenset({Role.MODERATOR}), MODERATED_STATES, lambda now: Q(regime=Regime.SOCIAL),
              default_sort="received", bulk=(Action.ROUTE,)),
        # Coordinator: to distribute; postponed ones that need an executor again (the 75 % rule);
        # approaching and overdue; redirected to the organisation by another one.
        Queue("distribute", frozenset({Role.COORDINATOR}), (State.COORDINATION,),
              bulk=(Action.ASSIGN, Action.REDIRECT)),
        Queue("needs_executor", frozenset({Role.COORDINATOR}), (State.POSTPONED,),
              lambda now: Q(executor_alarm_at__lte=now), bulk=(Action.ASSIGN,)),
        # Postponements the executors proposed: the coordinator (or head) confirms or declines them.
        Queue("postponement_proposals", frozenset({Role.COORDINATOR, Role.HEAD}), WORKING_STATES,
              lambda now: Q(proposed_until__isnull=False), default_sort="received"),
        Queue("approaching", frozenset({Role.COORDINATOR, Role.HEAD}), tuple(OPEN),
              lambda now: Q(warn_at__lte=now, due_at__gte=now)),
        Queue("overdue", frozenset({Role.COORDINATOR, Role.HEAD}), tuple(OPEN), lambda now: Q(due_at__lt=now)),
        Queue("redirected", frozenset({Role.COORDINATOR}), (State.COORDINATION,),
              lambda now: Q(redirect_count__gt=0), bulk=(Action.ASSIGN,)),
        # Executor: their own appeals, nearest deadline first.
        # Approved answers are theirs to place (seed 001 §8).
        Queue("mine", frozenset({Role.EXECUTOR}), (State.EXECUTION, State.POSTPONED, State.APPROVED)),
        # Head: answers to approve, approved answers to publish.
        Queue("approval", frozenset({Role.HEAD}), (State.APPROVAL,)),
        Queue("publication", frozenset({Role.HEAD, Role.COORDINATOR}), (State.APPROVED,)),
        # Regional coordinator: the whole region, and what is overdue in it.
        Queue("region", frozenset({Role.REGIONAL_COORDINATOR}), tuple(OPEN)),
        Queue("region_overdue", frozenset({Role.REGIONAL_COORDINATOR}), tuple(OPEN), lambda now: Q(due_at__lt=now)),
        Queue("significant", frozenset({Role.REGIONAL_COORDINATOR}), tuple(OPEN), lambda now: Q(significant=True),
              default_sort="received"),
    ]
}

SORTS: dict[str, tuple[Any, ...]] = {
    "due": (F("due_at").asc(nulls_last=True), "id"),
    "-due": (F("due_at").desc(nulls_last=True), "-id"),
    "received": ("-received_at", "-id"),
    "-received": ("received_at", "id"),
    "stage_due": (F("stage_due_at").asc(nulls_last=True), "id"),
    "number": ("number",),
}


@dataclass(frozen=True)
class QueueView:
    """A queue as one user sees it: in their own capacity or standing in for an absent colleague."""

    queue: Queue
    organization_ids: frozenset[int] | None  # None: the whole region
    acting_for_id: int | None = None
    acting_for_name: str = ""
    count: int | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        return self.queue.key


def user_queues(user: User, *, at: dt.datetime | None = None) -> list[QueueView]:
    """The queues of every capacity the user holds, own ones first, in the order of QUEUES."""
    caps = capacities(user, at=at)
    groups: dict[tuple[str, int | None], tuple[set[int], bool]] = {}
    for cap in caps:
        for queue in QUEUES.values():
            if cap.role not in queue.roles:
                continue
            orgs, region_wide = groups.setdefault((queue.key, cap.acting_for_id), (set(), False))
            orgs.add(cap.organization_id)
            groups[(queue.key, cap.acting_for_id)] = (orgs, region_wide or cap.region_wide)
    absent_ids = {acting_for for _key, acting_for in groups if acting_for}
    people = {person.pk: person.display_name for person in User.objects.filter(pk__in=absent_ids)} if absent_ids else {}
    order = list(QUEUES)
    result = [
        QueueView(queue=QUEUES[key], organization_ids=None if region_wide else frozenset(orgs),
                  acting_for_id=acting_for, acting_for_name=people.get(acting_for or 0, ""))
        for (key, acting_for), (orgs, region_wide) in groups.items()
    ]
    result.sort(key=lambda view: (view.acting_for_id is not None, view.acting_for_id or 0, order.index(view.key)))
    return result


def find_queue(user: User, key: str, acting_for_id: int | None = None, *,
               at: dt.datetime | None = None) -> QueueView | None:
    for view in user_queues(user, at=at):
        if view.key == key and view.acting_for_id == acting_for_id:
            return view
    return None


def queue_appeals(
    user: User, view: QueueView, filters: AppealFilters | None = None, *, sort: str = "",
    now: dt.datetime | None = None,
) -> QuerySet[Appeal]:
    """The appeals of one queue, scoped by visibility first, then by the queue's own condition."""
    now = now or timezone.now()
    queryset = visible_appeals(user, at=now).filter(view.queue.condition(now))
    org_ids, executor_id = _queue_scope(user, view)
    if org_ids is not None:
        queryset = queryset.filter(organization_id__in=sorted(org_ids))
    if executor_id is not None:
        queryset = queryset.filter(executor_id=executor_id)
    if filters is not None:
        queryset = apply_filters(queryset, filters, now=now)
    ordering = SORTS.get(sort) or SORTS[view.queue.default_sort]
    return queryset.prefetch_related(*LIST_RELATED).order_by(*ordering)


def _queue_scope(user: User, view: QueueView) -> tuple[frozenset[int] | None, int | None]:
    """What narrows a queue before its own condition: organisations, and the executor for executors' queues."""
    executor_id = (view.acting_for_id or user.pk) if Role.EXECUTOR in view.queue.roles else None
    return view.organization_ids, executor_id


def queue_counts(user: User, views: list[QueueView], *, now: dt.datetime | None = None) -> list[QueueView]:
    """The same views with the number of appeals in each.

    Queues with the same scope are counted in one query (a conditional count per queue over the
    rows that match any of them): the side menu costs a query or two, not one per queue.
    """
    now = now or timezone.now()
    groups: dict[tuple[frozenset[int] | None, int | None], list[int]] = {}
    for index, view in enumerate(views):
        groups.setdefault(_queue_scope(user, view), []).append(index)
    counts: dict[int, int] = {}
    visible = visible_appeals(user, at=now)
    for (org_ids, executor_id), members in groups.items():
        base = visible
        if org_ids is not None:
            base = base.filter(organization_id__in=sorted(org_ids))
        if executor_id is not None:
            base = base.filter(executor_id=executor_id)
        conditions = {f"q{index}": views[index].queue.condition(now) for index in members}
        # Counted over the scope's appeals in the queues' states, counting a column the index holds (state
        # is never empty): one range of a covering index (appeals/models.py), not a visit to every row.
        states = sorted({str(state) for index in members for state in views[index].queue.states})
        row = base.filter(state__in=states).aggregate(
            **{key: Count("state", filter=cond) for key, cond in conditions.items()})
        counts.update({index: int(row[f"q{index}"] or 0) for index in members})
    return [
        QueueView(queue=view.queue, organization_ids=view.organization_ids, acting_for_id=view.acting_for_id,
                  acting_for_name=view.acting_for_name, count=counts[index])
        for index, view in enumerate(views)
    ]


@dataclass(frozen=True)
class OrganizationOverdue:
    organization_id: int | None
    name: str
    overdue: int
    open: int


def overdue_by_organization(user: User, *, now: dt.datetime | None = None) -> list[OrganizationOverdue]:
    """Open and overdue appeals per organisation, worst first (regional coordinator's view)."""
    now = now or timezone.now()
    rows = (
        visible_appeals(user, at=now).filter(state__in=OPEN)
        .values("organization_id", "organization__name", "organization__short_name")
        # Counting a column the index holds: the open appeals are read from appeal_state_due alone.
        .annotate(open=Count("state"), overdue=Count("state", filter=Q(due_at__lt=now)))
        .filter(overdue__gt=0)
        .order_by("-overdue", "organization__name")
    )
    return [
        OrganizationOverdue(
            organization_id=row["organization_id"],
            name=row["organization__short_name"] or row["organization__name"] or "",
            overdue=row["overdue"], open=row["open"],
        )
        for row in rows
    ]


def appeal_for_applicant(appeal_id: int) -> Appeal:
    """The appeal as its applicant sees it after an action they were allowed to take (the caller has
    already proved the right: the tracking secret or the applicant's account)."""
    return Appeal.objects.select_related("category", "organization").get(pk=appeal_id)


def chain_breaks(*, batch: int = 2000) -> tuple[int, list[chain.Break]]:
    """Every break of the event log's hash chain (manage.py verify_events), with the number of appeals
    checked. Reads the log in batches of appeals, in log order."""
    breaks: list[chain.Break] = []
    checked = 0
    last_id = 0
    while True:
        appeals = list(
            Appeal.objects.filter(pk__gt=last_id).order_by("pk").values_list("pk", "last_event_hash")[:batch]
        )
        if not appeals:
            return checked, breaks
        events: dict[int, list[AppealEvent]] = {pk: [] for pk, _hash in appeals}
        for event in AppealEvent.objects.filter(appeal_id__in=list(events)).order_by("appeal_id", "at", "id"):
            events[event.appeal_id].append(event)
        for pk, last_hash in appeals:
            breaks.extend(chain.verify(events[pk], last_hash, pk))
        checked += len(appeals)
        last_id = appeals[-1][0]
