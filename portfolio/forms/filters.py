"""The dashboard's and the board report's forms: the pilot table's filters, a period, a day."""

from datetime import timedelta

from django import forms
from django.utils import timezone

from gates.models import GATE_KEYS
from portfolio.lib.dates import BoundedDateField
from portfolio.models import (
    BusinessUnit,
    RiskTier,
    Stage,
    User,
)

STATES = [
    ("", "Any"),
    ("stalling", "Stalled or drifting"),
    ("stalled", "Stalled"),
    ("drifting", "Drifting"),
    ("decision_due", "Decision due"),
    ("past_end", "Past the planned end"),
]
READINESS = [
    ("", "Any"),
    ("passed_all", "Passed all gates"),
    ("blocked", "Blocked at a gate"),
    ("lapsed", "Readiness lapsed (in production)"),
]
VALUES = [
    ("", "Any"),
    ("measured", "Measured post-launch value"),
    ("process_change", "Durable process change"),
    ("reached", "Post-launch value: target reached"),
    ("on_the_way", "Post-launch value: on the way"),
    ("leaking", "Post-launch value: leaking since go-live"),
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
    start = BoundedDateField(required=False)
    end = BoundedDateField(required=False)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "The end of the period comes before its start.")
        today = timezone.localdate()
        for name in ("start", "end"):
            if cleaned.get(name) and cleaned[name] > today and name not in self.errors:
                self.add_error(name, "That day has not come yet: choose today or before.")
        return cleaned

    def period(self):
        today = timezone.localdate()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        end = data.get("end") or today
        return data.get("start") or end - timedelta(days=90), end


# The pilot page's action forms. Each only shapes and checks the input; the rules
# (stage moves, decision rights, the charter, the risk owner's approval) are in the
# services the views call (through `portfolio.lib.forms.submit`).


class AsOfForm(forms.Form):
    """The day the dashboard shows the portfolio as of: today unless given."""

    as_of = BoundedDateField(
        label="As of", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_as_of(self):
        day = self.cleaned_data["as_of"]
        if day and day > timezone.localdate():
            raise forms.ValidationError("That day has not come yet: choose today or before.")
        return day

    def day(self):
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return data.get("as_of") or timezone.localdate()
