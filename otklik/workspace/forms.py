"""Forms of the staff workspace. Action forms check their fields and call one service each; the
service's own refusals (AppealError) come back as errors next to the field they name."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from otklik.accounts.models import User
from otklik.appeals import selectors, services
from otklik.appeals.lifecycle import Action, Regime, State
from otklik.appeals.models import Appeal
from otklik.registry.models import Category, Organization, Territory

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class ActionForm(forms.Form):
    """One lifecycle action as a form. ``perform`` calls the service with the cleaned data."""

    action: ClassVar[str]
    submit_label: ClassVar[Any] = _("Do it")
    # Actions that change a lot and cannot be undone by the same person ask for confirmation.
    confirm: ClassVar[Any] = None

    def __init__(self, *args: Any, appeal: Appeal, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", self.action)
        super().__init__(*args, **kwargs)
        self.appeal = appeal
        self.user = user

    def perform(self) -> Appeal:
        raise NotImplementedError

    def add_service_error(self, error: services.AppealError) -> None:
        field = error.field if error.field in self.fields else None
        self.add_error(field, error.message)


def _organizations(exclude: int | None = None) -> Any:
    queryset = Organization.objects.filter(is_active=True).order_by("name")
    return queryset.exclude(pk=exclude) if exclude else queryset


class RegisterForm(ActionForm):
    action = Action.REGISTER
    submit_label = _("Register")

    def perform(self) -> Appeal:
        return services.appeal_register(appeal_id=self.appeal.pk, user=self.user)


class AcceptForm(ActionForm):
    action = Action.ACCEPT
    submit_label = _("Accept")
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(), required=False, label=_("Organisation"),
        empty_label=_("by the routing table"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = _organizations()  # type: ignore[attr-defined]

    def perform(self) -> Appeal:
        org = self.cleaned_data.get("organization")
        return services.appeal_accept(appeal_id=self.appeal.pk, user=self.user,
                                      organization_id=org.pk if org else None)


class RouteForm(ActionForm):
    action = Action.ROUTE
    submit_label = _("Route")
    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Organisation"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = _organizations()  # type: ignore[attr-defined]

    def perform(self) -> Appeal:
        return services.appeal_route(appeal_id=self.appeal.pk, user=self.user,
                                     organization_id=self.cleaned_data["organization"].pk)


class RejectForm(ActionForm):
    action = Action.REJECT
    submit_label = _("Reject")
    confirm = _("Reject the message? The applicant will be told.")
    reason = forms.ChoiceField(label=_("Reason"))
    duplicate_of = forms.CharField(label=_("Number of the original message (for a duplicate)"), required=False,
                                   max_length=32)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", "—"), *services.REJECT_REASONS.items()]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        number = (data.get("duplicate_of") or "").strip()
        data["duplicate_of_id"] = None
        if data.get("reason") == "duplicate":
            if not number:
                self.add_error("duplicate_of", _("Name the appeal this one duplicates."))
            else:
                original = selectors.visible_appeals(self.user).filter(number=number).exclude(
                    pk=self.appeal.pk).first()
                if original is None:
                    self.add_error("duplicate_of", _("No appeal with this number."))
                else:
                    data["duplicate_of_id"] = original.pk
        return data

    def perform(self) -> Appeal:
        return services.appeal_reject(
            appeal_id=self.appeal.pk, user=self.user, reason=self.cleaned_data["reason"],
            comment=self.cleaned_data.get("comment", ""), duplicate_of_id=self.cleaned_data.get("duplicate_of_id"),
        )


class ReclassifyForm(ActionForm):
    action = Action.RECLASSIFY
    submit_label = _("Change the category")
    category = forms.ModelChoiceField(queryset=Category.objects.none(), label=_("Category"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = (  # type: ignore[attr-defined]
            Category.objects.filter(is_active=True).select_related("parent").order_by("parent__name", "name")
        )
        self.fields["category"].initial = self.appeal.category_id

    def perform(self) -> Appeal:
        return services.appeal_reclassify(appeal_id=self.appeal.pk, user=self.user,
                                          category_id=self.cleaned_data["category"].pk)


class RedirectForm(ActionForm):
    action = Action.REDIRECT
    submit_label = _("Redirect")
    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Organisation"))
    reason = forms.CharField(label=_("Why it is not our competence"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = _organizations(exclude=self.appeal.organization_id)  # type: ignore[attr-defined]

    def perform(self) -> Appeal:
        return services.appeal_redirect(appeal_id=self.appeal.pk, user=self.user,
                                        organization_id=self.cleaned_data["organization"].pk,
                                        reason=self.cleaned_data["reason"])


class ReturnToModerationForm(ActionForm):
    action = Action.RETURN_TO_MODERATION
    submit_label = _("Return to moderation")
    reason = forms.CharField(label=_("Why it is not our competence"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def perform(self) -> Appeal:
        return services.appeal_return_to_moderation(appeal_id=self.appeal.pk, user=self.user,
                                                    reason=self.cleaned_data["reason"])


class AssignForm(ActionForm):
    action = Action.ASSIGN
    submit_label = _("Assign")
    executor = PersonChoiceField(queryset=User.objects.none(), label=_("Executor"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org_ids = [self.appeal.organization_id] if self.appeal.organization_id else []
        self.fields["executor"].queryset = selectors.executors_for(self.user, org_ids)  # type: ignore[attr-defined]
        self.fields["executor"].initial = self.appeal.executor_id

    def perform(self) -> Appeal:
        return services.appeal_assign(appeal_id=self.appeal.pk, user=self.user,
                                      executor_id=self.cleaned_data["executor"].pk)


class AnswerForm(ActionForm):
    """The answer editor: save the draft, or send it for approval."""

    action = "answer"
    OPS = (Action.DRAFT, Action.SEND_FOR_APPROVAL)
    text = forms.CharField(label=_("Answer"), max_length=20000,
                           widget=forms.Textarea(attrs={"rows": 12, "id": "answer-text"}))
    resolution_on = forms.DateField(label=_("The answer promises the problem solved by"), required=False,
                                    widget=DATE_WIDGET)
    op = forms.ChoiceField(choices=[(op, op) for op in OPS], required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].initial = self.appeal.draft_answer
        self.fields["resolution_on"].initial = self.appeal.draft_resolution_on

    def perform(self) -> Appeal:
        text, on = self.cleaned_data["text"], self.cleaned_data.get("resolution_on")
        if self.cleaned_data.get("op") == Action.SEND_FOR_APPROVAL:
            return services.appeal_send_for_approval(appeal_id=self.appeal.pk, user=self.user, text=text,
                                                     resolution_on=on)
        return services.appeal_draft(appeal_id=self.appeal.pk, user=self.user, text=text, resolution_on=on)


class IntermediateForm(ActionForm):
    action = Action.INTERMEDIATE
    submit_label = _("Send the intermediate answer")
    text = forms.CharField(label=_("What is being done"), max_length=20000,
                           widget=forms.Textarea(attrs={"rows": 4}))
    planned_date = forms.DateField(label=_("When the problem will be solved"), widget=DATE_WIDGET)

    def clean_planned_date(self) -> dt.date:
        value: dt.date = self.cleaned_data["planned_date"]
        if value < timezone.localdate():
            raise forms.ValidationError(_("Choose today or a later date."))
        return value

    def perform(self) -> Appeal:
        return services.appeal_intermediate(appeal_id=self.appeal.pk, user=self.user,
                                            text=self.cleaned_data["text"],
                                            planned_date=self.cleaned_data["planned_date"])


class ProposePostponementForm(ActionForm):
    action = Action.PROPOSE_POSTPONEMENT
    submit_label = _("Propose the postponement")
    until = forms.DateField(label=_("New date of the answer"), widget=DATE_WIDGET)
    reason = forms.CharField(label=_("Why the answer is postponed"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def perform(self) -> Appeal:
        return services.appeal_propose_postponement(appeal_id=self.appeal.pk, user=self.user,
                                                    until=self.cleaned_data["until"],
                                                    reason=self.cleaned_data["reason"])


class PostponeForm(ActionForm):
    """The confirming role's decision: the proposal's date and reason, or its own."""

    action = Action.POSTPONE
    submit_label = _("Postpone")
    confirm = _("The applicant will be told the new date. Postpone the answer?")
    until = forms.DateField(label=_("New date of the answer"), widget=DATE_WIDGET)
    reason = forms.CharField(label=_("Why the answer is postponed"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.appeal.proposed_until:
            self.fields["until"].initial = self.appeal.proposed_until
            self.fields["reason"].initial = self.appeal.proposed_reason

    def perform(self) -> Appeal:
        return services.appeal_postpone(appeal_id=self.appeal.pk, user=self.user, until=self.cleaned_data["until"],
                                        reason=self.cleaned_data["reason"])


class DeclinePostponementForm(ActionForm):
    action = Action.DECLINE_POSTPONEMENT
    submit_label = _("Decline the postponement")
    reason = forms.CharField(label=_("Why the postponement is declined"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def perform(self) -> Appeal:
        return services.appeal_decline_postponement(appeal_id=self.appeal.pk, user=self.user,
                                                    reason=self.cleaned_data["reason"])


class MarkSignificantForm(ActionForm):
    action = Action.MARK_SIGNIFICANT
    submit_label = _("Mark as socially significant")
    reason = forms.CharField(label=_("Why the appeal is socially significant"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def perform(self) -> Appeal:
        return services.appeal_mark_significant(appeal_id=self.appeal.pk, user=self.user,
                                                reason=self.cleaned_data["reason"])


class ClearSignificantForm(ActionForm):
    action = Action.CLEAR_SIGNIFICANT
    submit_label = _("Clear the mark")
    reason = forms.CharField(label=_("Why the appeal is no longer socially significant"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def perform(self) -> Appeal:
        return services.appeal_clear_significant(appeal_id=self.appeal.pk, user=self.user,
                                                 reason=self.cleaned_data["reason"])


class ResolveForm(ActionForm):
    action = Action.RESOLVE
    submit_label = _("The problem is solved")
    comment = forms.CharField(label=_("What was done"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def perform(self) -> Appeal:
        return services.appeal_resolve(appeal_id=self.appeal.pk, user=self.user,
                                       comment=self.cleaned_data.get("comment", ""))


class ApproveForm(ActionForm):
    action = Action.APPROVE
    submit_label = _("Approve")

    def perform(self) -> Appeal:
        return services.appeal_approve(appeal_id=self.appeal.pk, user=self.user)


class ReworkForm(ActionForm):
    action = Action.RETURN_FOR_REWORK
    submit_label = _("Return for rework")
    reason = forms.ChoiceField(label=_("Reason"))
    comment = forms.CharField(label=_("What must be fixed"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", "—"), *services.rework_reasons().items()]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("reason") == "other" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Explain what must be fixed."))
        return data

    def perform(self) -> Appeal:
        return services.appeal_return_for_rework(appeal_id=self.appeal.pk, user=self.user,
                                                 reason=self.cleaned_data["reason"],
                                                 comment=self.cleaned_data.get("comment", ""))


class PublishForm(ActionForm):
    action = Action.PUBLISH
    submit_label = _("Publish the answer")
    confirm = _("Send the answer to the applicant?")

    def perform(self) -> Appeal:
        return services.appeal_publish(appeal_id=self.appeal.pk, user=self.user)


class ReconsiderForm(ActionForm):
    action = Action.RECONSIDER
    submit_label = _("Reconsider")
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def perform(self) -> Appeal:
        return services.appeal_reconsider(appeal_id=self.appeal.pk, user=self.user,
                                          reason=self.cleaned_data["reason"])


class CloseForm(ActionForm):
    action = Action.CLOSE
    submit_label = _("Close")

    def perform(self) -> Appeal:
        return services.appeal_close(appeal_id=self.appeal.pk, user=self.user)


class ExtendForm(ActionForm):
    action = Action.EXTEND
    submit_label = _("Extend the term")
    days = forms.IntegerField(label=_("By how many days"), min_value=1, max_value=30)
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def perform(self) -> Appeal:
        return services.appeal_extend(appeal_id=self.appeal.pk, user=self.user, days=self.cleaned_data["days"],
                                      reason=self.cleaned_data["reason"])


class LeaveWithoutAnswerForm(ActionForm):
    action = Action.LEAVE_WITHOUT_ANSWER
    submit_label = _("Leave without an answer")
    confirm = _("Leave the appeal without an answer?")
    ground = forms.ChoiceField(label=_("Ground (Art. 11 of 59-FZ)"))
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ground"].choices = [("", "—"), *services.FZ59_NO_ANSWER_GROUNDS.items()]  # type: ignore[attr-defined]

    def perform(self) -> Appeal:
        return services.appeal_leave_without_answer(appeal_id=self.appeal.pk, user=self.user,
                                                    ground=self.cleaned_data["ground"],
                                                    comment=self.cleaned_data.get("comment", ""))


class TransferForm(ActionForm):
    action = Action.TRANSFER
    submit_label = _("Forward")
    department = forms.CharField(label=_("Body the appeal is forwarded to"), max_length=500)
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def perform(self) -> Appeal:
        return services.appeal_transfer(appeal_id=self.appeal.pk, user=self.user,
                                        department=self.cleaned_data["department"],
                                        reason=self.cleaned_data["reason"])


_FORMS: list[type[ActionForm]] = [
    RegisterForm, AcceptForm, RouteForm, RejectForm, ReclassifyForm, AssignForm, AnswerForm, IntermediateForm,
    ProposePostponementForm, PostponeForm, DeclinePostponementForm, ApproveForm, ReworkForm, PublishForm,
    RedirectForm, ReturnToModerationForm, ExtendForm, TransferForm, LeaveWithoutAnswerForm, ReconsiderForm,
    CloseForm, ResolveForm, MarkSignificantForm, ClearSignificantForm,
]
ACTION_FORMS: dict[str, type[ActionForm]] = {str(form.action): form for form in _FORMS}

# The action most people in that state came for: its form is open; the others are folded.
PRIMARY: dict[str, str] = {
    State.RECEIVED: Action.REGISTER, State.MODERATION: Action.ACCEPT, State.COORDINATION: Action.ASSIGN,
    State.EXECUTION: "answer", State.POSTPONED: "answer", State.APPROVAL: Action.APPROVE,
    State.APPROVED: Action.PUBLISH,
}


def form_names_for(actions: list[Action]) -> list[str]:
    """Forms to show for the allowed actions, in the order of ACTION_FORMS."""
    allowed = {str(a) for a in actions}
    names = []
    for name in ACTION_FORMS:
        if name == "answer":
            if allowed & {Action.DRAFT, Action.SEND_FOR_APPROVAL}:
                names.append(name)
        elif name in allowed:
            names.append(name)
    return names


# --- lists ------------------------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    """Filters, search and sorting of a queue or of the search page (GET parameters)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("number, words, address")}))
    state = forms.ChoiceField(label=_("State"), required=False)
    category = forms.ModelChoiceField(queryset=Category.objects.none(), required=False, label=_("Category"),
                                      empty_label=_("any"))
    territory = forms.ModelChoiceField(queryset=Territory.objects.none(), required=False, label=_("Territory"),
                                       empty_label=_("any"))
    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), required=False,
                                          label=_("Organisation"), empty_label=_("any"))
    regime = forms.ChoiceField(label=_("Kind of appeal"), required=False)
    overdue = forms.BooleanField(label=_("Only overdue"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=[
        ("due", _("deadline, nearest first")), ("-due", _("deadline, latest first")),
        ("received", _("newest first")), ("-received", _("oldest first")),
        ("stage_due", _("stage deadline")), ("number", _("number")),
    ])

    def __init__(self, *args: Any, organizations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("any")), *State.choices]  # type: ignore[attr-defined]
        self.fields["regime"].choices = [("", _("any")), *Regime.choices]  # type: ignore[attr-defined]
        self.fields["category"].queryset = (  # type: ignore[attr-defined]
            Category.objects.filter(is_active=True).select_related("parent").order_by("parent__name", "name")
        )
        self.fields["territory"].queryset = Territory.objects.order_by("name")  # type: ignore[attr-defined]
        if organizations is None:
            del self.fields["organization"]
        else:
            self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]

    def filters(self) -> selectors.AppealFilters:
        data = self.cleaned_data if self.is_valid() else {}
        org = data.get("organization")
        return selectors.AppealFilters(
            state=[data["state"]] if data.get("state") else None,
            organization_id=org.pk if org else None,
            category_id=data["category"].pk if data.get("category") else None,
            territory_id=data["territory"].pk if data.get("territory") else None,
            regime=data.get("regime") or None,
            overdue=True if data.get("overdue") else None,
            text=data.get("q") or None,
        )

    def sort_key(self) -> str:
        return (self.cleaned_data.get("sort") or "") if self.is_valid() else ""


class BulkForm(forms.Form):
    """One action on several appeals of a queue; every row gets its own result."""

    ids = forms.TypedMultipleChoiceField(coerce=int, label=_("Appeals"), error_messages={
        "required": _("Tick at least one appeal.")})
    action = forms.ChoiceField(label=_("Action"))
    executor = PersonChoiceField(queryset=User.objects.none(), required=False, label=_("Executor"))
    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), required=False,
                                          label=_("Organisation"))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)

    def __init__(self, *args: Any, actions: list[str], ids: list[int], executors: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ids"].choices = [(i, str(i)) for i in ids]  # type: ignore[attr-defined]
        self.fields["action"].choices = [(a, Action(a).label) for a in actions]  # type: ignore[attr-defined]
        self.fields["executor"].queryset = executors  # type: ignore[attr-defined]
        self.fields["organization"].queryset = _organizations()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action == Action.ASSIGN and not data.get("executor"):
            self.add_error("executor", _("Choose an executor."))
        if action in {Action.ROUTE, Action.REDIRECT} and not data.get("organization"):
            self.add_error("organization", _("Choose an organisation."))
        if action == Action.REDIRECT and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Explain why the appeals are redirected."))
        return data

