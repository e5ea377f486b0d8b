"""The checklist's forms: evidence, its review, a function's sign-off or objection."""

from django import forms
from rules import has_perm

from gates.models import EvidenceStatus, Gate, Verdict
from gates.selectors import ChecklistGate, MoveChoice, pilot_checklist
from portfolio.lib.dates import BoundedDateField
from portfolio.lib.forms import needed
from portfolio.models import Function, Pilot


class EvidenceForm(forms.Form):
    # Each is optional on its own; the evidence needs one of the three at least.
    text = needed(
        forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000),
        "a text, a link or a file is needed",
    )
    link = needed(
        forms.URLField(required=False, max_length=500, assume_scheme="https"),
        "or a text or a file",
    )
    file = needed(
        forms.FileField(
            required=False, help_text="PDF, image, Office document, CSV or text; at most 10 MB."
        ),
        "or a text or a link",
    )
    expires_on = BoundedDateField(
        required=False,
        label="Expires on",
        help_text="When it stops holding, if known (a certificate's end date).",
    )


class EvidenceReviewForm(forms.Form):
    # No verdict chosen beforehand: the reviewer picks one.
    verdict = forms.ChoiceField(
        choices=[("accept", "Accept"), ("reject", "Reject")], widget=forms.RadioSelect
    )
    comment = needed(
        forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000),
        "needed to reject",
    )


class SignOffForm(forms.Form):
    verdict = forms.ChoiceField(
        choices=[(Verdict.SIGNED_OFF, "Sign off"), (Verdict.OBJECTED, "Object")],
        widget=forms.RadioSelect,
    )
    comment = needed(
        forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000),
        "needed for an objection",
    )


def checklist_with_forms(
    user, pilot: Pilot, failed: tuple | None = None, *, open_gate: str = ""
) -> list[ChecklistGate]:
    """The gate checklist with the forms the user may use on each criterion: fresh
    ones, except `failed` ((kind, object id), bound form) shown with its errors.

    The gate `open_gate` (a key) is shown unfolded, alone; without it, every gate not
    yet settled is."""
    failed_key, failed_form = failed or (None, None)

    def form(kind: str, obj_id: int, form_class):
        return failed_form if failed_key == (kind, obj_id) else form_class(prefix=f"{kind}{obj_id}")

    can_edit = has_perm("portfolio.edit_pilot", user, pilot)
    checklist = pilot_checklist(pilot=pilot)
    for group in checklist:
        for item in group.items:
            criterion = item.criterion
            if can_edit:
                item.forms["evidence"] = form("evidence", criterion.id, EvidenceForm)
            if criterion.function and has_perm("gates.review_criterion", user, criterion):
                item.forms["signoff"] = form("signoff", criterion.id, SignOffForm)
            if has_perm("gates.review_evidence", user, criterion):
                for evidence in item.evidence:
                    if evidence.status == EvidenceStatus.PENDING:
                        evidence.review_form = form("review", evidence.id, EvidenceReviewForm)
            if can_edit and item.evidence:
                latest = item.evidence[-1]
                if latest.expired or latest.expiring:
                    latest.reconfirm_form = form("reconfirm", latest.id, forms.Form)
    if open_gate not in {group.gate.key for group in checklist}:
        open_gate = ""
    for group in checklist:
        group.is_open = group.gate.key == open_gate if open_gate else not group.settled
    return checklist


class CriterionDraftForm(forms.Form):
    """A criterion of the checklist's next version."""

    gate = forms.ModelChoiceField(queryset=Gate.objects.all(), empty_label=None)
    text = forms.CharField(max_length=300)
    required = forms.BooleanField(required=False, initial=True)
    function = forms.ChoiceField(
        choices=[("", "None: evidence suffices"), *Function.choices], required=False
    )
    validity_months = forms.IntegerField(
        required=False, min_value=1, max_value=120, label="Valid for (months)"
    )
    applies_to_low = forms.BooleanField(required=False, label="Low tier")
    applies_to_medium = forms.BooleanField(required=False, initial=True, label="Medium tier")
    applies_to_high = forms.BooleanField(required=False, initial=True, label="High tier")


class PublishForm(forms.Form):
    move = forms.ChoiceField(
        choices=MoveChoice.choices,
        widget=forms.RadioSelect,
        label="Which pilots move to the new version",
    )
