"""The rules of a ballot and of the count, as pure functions of plain data: the service checks a ballot
with them, results and the auditor's recount count with them, and tests generate ballots for them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from otklik.participation.models import BudgetRule, Question


class BallotRefused(Exception):
    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True)
class ProjectRow:
    id: int
    cost: int
    title: str = ""


def rub(amount: int) -> str:
    return f"{amount:,}".replace(",", "\u00a0") + "\u00a0₽"


def check_budget_ballot(*, rule: str, budget: int, max_choices: int | None, projects: Sequence[ProjectRow],
                        chosen: Iterable[int]) -> list[int]:
    """The chosen project ids, sorted, or BallotRefused with a message the voter understands."""
    by_id = {p.id: p for p in projects}
    ids = sorted(set(chosen))
    if not ids:
        raise BallotRefused("empty", _("Choose at least one project."), "projects")
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise BallotRefused("unknown_project", _("This project is not on the ballot."), "projects")
    if rule == BudgetRule.CHOOSE_K and max_choices is not None and len(ids) > max_choices:
        raise BallotRefused("too_many", _("You may choose at most %(k)d projects; you chose %(n)d.")
                            % {"k": max_choices, "n": len(ids)}, "projects")
    if rule == BudgetRule.KNAPSACK:
        total = sum(by_id[i].cost for i in ids)
        if total > budget:
            raise BallotRefused("over_budget", _(
                "The chosen projects cost %(total)s, more than the budget of %(budget)s by %(over)s. "
                "Remove a project and vote again.") % {
                    "total": rub(total), "budget": rub(budget), "over": rub(total - budget)}, "projects")
    return ids


@dataclass
class BudgetResult:
    votes: dict[int, int]
    funded: list[int]
    spent: int
    ballots: int


def count_budget(*, budget: int, projects: Sequence[ProjectRow], ballots: Iterable[Mapping[str, Any]]) -> BudgetResult:
    """Votes per project, then funding greedily by votes within the budget: the most voted project
    first; one that no longer fits the remaining money is skipped and the next is tried. Ties go to
    the cheaper project, then to the one entered first."""
    votes = {p.id: 0 for p in projects}
    count = 0
    for ballot in ballots:
        count += 1
        for project_id in ballot.get("projects", []):
            if project_id in votes:
                votes[project_id] += 1
    order = sorted(projects, key=lambda p: (-votes[p.id], p.cost, p.id))
    funded: list[int] = []
    left = budget
    for project in order:
        if votes[project.id] == 0:
            break
        if project.cost <= left:
            funded.append(project.id)
            left -= project.cost
    return BudgetResult(votes=votes, funded=funded, spent=budget - left, ballots=count)


@dataclass(frozen=True)
class QuestionRow:
    id: int
    type: str
    required: bool
    options: tuple[int, ...] = ()
    scale_min: int = 1
    scale_max: int = 5
    show_if_question: int | None = None
    show_if_option: int | None = None


def question_rows(questions: Iterable[Question]) -> list[QuestionRow]:
    return [QuestionRow(id=q.pk, type=q.type, required=q.required,
                        options=tuple(o.pk for o in q.options.all()), scale_min=q.scale_min,
                        scale_max=q.scale_max, show_if_question=q.show_if_question_id,
                        show_if_option=q.show_if_option_id) for q in questions]


def _chosen(value: Any) -> set[int]:
    if isinstance(value, list):
        return {v for v in value if isinstance(v, int)}
    return {value} if isinstance(value, int) else set()


def shown(question: QuestionRow, answers: Mapping[str, Any]) -> bool:
    if question.show_if_question is None:
        return True
    return question.show_if_option in _chosen(answers.get(str(question.show_if_question)))


def check_poll_ballot(questions: Sequence[QuestionRow], raw: Mapping[str, Any]) -> dict[str, Any]:
    """Answers keyed by question id. Answers to a question that is not shown (its condition is not met)
    are dropped: without JavaScript the form shows every question."""
    answers: dict[str, Any] = {}
    for question in questions:
        key = str(question.id)
        if not shown(question, answers):
            continue
        value = raw.get(key)
        if value in (None, "", []):
            if question.required:
                raise BallotRefused("required", _("Answer question %(n)s.") % {"n": key}, f"q{key}")
            continue
        if question.type == Question.Type.SINGLE:
            if not isinstance(value, int) or value not in question.options:
                raise BallotRefused("bad_option", _("Choose one of the options."), f"q{key}")
        elif question.type == Question.Type.MULTIPLE:
            if not isinstance(value, list) or not value or any(v not in question.options for v in value):
                raise BallotRefused("bad_option", _("Choose from the options."), f"q{key}")
            value = sorted(set(value))
        elif question.type == Question.Type.SCALE:
            if not isinstance(value, int) or not question.scale_min <= value <= question.scale_max:
                raise BallotRefused("bad_scale", _("Choose a value from %(a)d to %(b)d.") % {
                    "a": question.scale_min, "b": question.scale_max}, f"q{key}")
        else:
            if not isinstance(value, str):
                raise BallotRefused("bad_text", _("Write the answer as text."), f"q{key}")
            value = value.strip()[:2000]
            if not value:
                continue
        answers[key] = value
    return answers


def count_poll(questions: Sequence[QuestionRow], ballots: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Per question: counts per option (or scale value), the number who answered, the mean of a scale and
    the free-text answers."""
    out: dict[str, Any] = {}
    for q in questions:
        if q.type == Question.Type.SCALE:
            counts = {str(v): 0 for v in range(q.scale_min, q.scale_max + 1)}
        elif q.type == Question.Type.TEXT:
            counts = {}
        else:
            counts = {str(o): 0 for o in q.options}
        out[str(q.id)] = {"counts": counts, "answered": 0, "texts": [], "sum": 0}
    total = 0
    for ballot in ballots:
        total += 1
        for key, value in ballot.get("answers", {}).items():
            row = out.get(key)
            if row is None:
                continue
            row["answered"] += 1
            if isinstance(value, str):
                row["texts"].append(value)
            else:
                for v in value if isinstance(value, list) else [value]:
                    row["counts"][str(v)] = row["counts"].get(str(v), 0) + 1
                    if not isinstance(value, list):
                        row["sum"] += v
    for q in questions:
        row = out[str(q.id)]
        row["mean"] = round(row.pop("sum") / row["answered"], 2) if q.type == Question.Type.SCALE and row[
            "answered"] else None
        row["texts"].sort()
    return {"ballots": total, "questions": out}
