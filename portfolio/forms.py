from datetime import timedelta

from django import forms
from django.utils import timezone

from gates.models import Verdict
from portfolio.models import BusinessUnit, Outcome, RiskTier, Stage, User
from portfolio.selectors import GATE_KEYS

STATES = [
    ("", "Any"),
    ("stalling", "Stalled or drifting"),
    ("stalled", "Stalled"),
    ("drifting", "Drifting"),
]
READINESS = [("", "Any"), ("passed_all", "Passed all gates"), ("blocked", "Blocked at a gate")]
VALUES = [
    ("", "Any"),
    ("measured", "Measured post-launch value"),
    ("process_change", "Durable process change"),
]
SORT_CHOICES = [
    ("title", "Title"),
    ("days", "Longest in stage"),
    ("-days", "Newest in stage"),
    ("stage", "Stage"),
    ("unit", "Business unit"),
    ("owner", "Owner"),
]


class PilotFilterForm(forms.Form):
    """The dashboard's filters; they live in the URL, so a filtered view is a link."""

    q = forms.CharField(label="Search", required=False, max_length=100)
    business_unit = forms.ModelChoiceField(
        queryset=BusinessUnit.objects.all(), required=False, empty_label="Any"
    )
    stage = forms.ChoiceField(choices=[("", "Any"), *Stage.choices], required=False)
    risk_tier = forms.ChoiceField(choices=[("", "Any"), *RiskTier.choices], required=False)
    owner = forms.ModelChoiceField(
        queryset=User.objects.filter(owned_pilots__isnull=False).distinct(),
        required=False,
        empty_label="Any",
        label="Deployment owner",
    )
    state = forms.ChoiceField(choices=STATES, required=False, label="Stalls")
    readiness = forms.ChoiceField(choices=READINESS, required=False, label="Gates")
    blocked_gate = forms.ChoiceField(
        choices=[("", "Any"), *[(key, key.title()) for key in GATE_KEYS]],
        required=False,
        label="Blocked at",
    )
    value = forms.ChoiceField(choices=VALUES, required=False, label="In production")
    sort = forms.ChoiceField(
        choices=[
            *SORT_CHOICES,
            ("-title", "Title, Z to A"),
            ("-stage", "Stage, last first"),
            ("-unit", "Business unit, Z to A"),
            ("-owner", "Owner, Z to A"),
        ],
        required=False,
    )

    def filters(self) -> dict:
        """The valid filters; an invalid one is dropped (and shown as an error)."""
        if not self.is_bound:
            return {"sort": "title"}
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if value}
        data.setdefault("sort", "title")
        return data


class PeriodForm(forms.Form):
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "The end of the period comes before its start.")
        return cleaned

    def period(self):
        today = timezone.localdate()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        end = data.get("end") or today
        return data.get("start") or end - timedelta(days=90), end


# The pilot page's action forms. Each only shapes and checks the input; the rules
# (stage moves, decision rights, the charter, the risk owner's approval) are in the
# services the views call.


def errors_from(form: forms.Form, exc) -> None:
    """Put a service's ValidationError on the form: on its field when the form has
    one, otherwise on the form as a whole."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class StageMoveForm(forms.Form):
    to_stage = forms.ChoiceField(choices=Stage.choices, widget=forms.HiddenInput)


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(choices=Outcome.choices)
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    conditions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, required=False
    )


class DeferralForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class RiskApprovalForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, required=False
    )


class EvidenceForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )
    link = forms.URLField(required=False, max_length=500, assume_scheme="https")
    file = forms.FileField(
        required=False,
        help_text="PDF, image, Office document, CSV or text; at most 10 MB.",
    )


class EvidenceReviewForm(forms.Form):
    verdict = forms.ChoiceField(choices=[("accept", "Accept"), ("reject", "Reject")])
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )


class SignOffForm(forms.Form):
    verdict = forms.ChoiceField(choices=Verdict.choices)
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )
