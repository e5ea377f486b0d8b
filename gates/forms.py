"""The checklist's forms: evidence, its review, a function's sign-off or objection."""

from django import forms
from rules import has_perm

from gates.models import EvidenceStatus, Verdict
from gates.selectors import ChecklistGate, pilot_checklist
from portfolio.lib.forms import needed
from portfolio.models import Pilot


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
    verdict = forms.ChoiceField(choices=Verdict.choices, widget=forms.RadioSelect)
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
    if open_gate not in {group.gate.key for group in checklist}:
        open_gate = ""
    for group in checklist:
        group.is_open = group.gate.key == open_gate if open_gate else not group.settled
    return checklist
