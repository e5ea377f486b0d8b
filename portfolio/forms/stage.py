"""The stage panel's forms: a hand move, a stage-gate decision, a deferral, a risk approval."""

from django import forms

from portfolio.forms.parts import people
from portfolio.lib.dates import BoundedDateField
from portfolio.lib.forms import needed
from portfolio.lib.widgets import PeopleSelect
from portfolio.models import (
    Outcome,
    Stage,
)
from portfolio.services.decisions import WaiverInput


class StageMoveForm(forms.Form):
    to_stage = forms.ChoiceField(choices=Stage.choices, widget=forms.HiddenInput)


class DecisionForm(forms.Form):
    """A stage-gate decision, with the stage and the version of the pilot it is shown
    for, and for a Scale one waiver per gate (or objection) still open: `needs`, from
    `selectors.decisions.scale_gaps`. `cleaned_data` is what `decision_record` takes."""

    outcome = forms.ChoiceField(choices=[("", "Choose an outcome"), *Outcome.choices])
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    conditions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, required=False
    )
    stage = forms.CharField(widget=forms.HiddenInput, max_length=20)
    version = forms.CharField(widget=forms.HiddenInput, max_length=40)

    WAIVER_PARTS = ("reason", "condition", "owner", "due_on")

    def __init__(self, *args, needs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.needs = list(needs)
        for need in self.needs:
            self.fields[f"{need.key}-reason"] = forms.CharField(
                label="Why it is waived",
                widget=forms.Textarea(attrs={"rows": 2}),
                max_length=5000,
                required=False,
            )
            self.fields[f"{need.key}-condition"] = forms.CharField(
                label="Condition attached", max_length=5000, required=False
            )
            self.fields[f"{need.key}-owner"] = forms.ModelChoiceField(
                queryset=people(),
                required=False,
                label="Owner (closes it)",
                empty_label="Choose a person",
                widget=PeopleSelect,
            )
            self.fields[f"{need.key}-due_on"] = BoundedDateField(required=False, label="Closed by")

        for name, field in self.fields.items():
            if name.endswith(tuple(f"-{part}" for part in self.WAIVER_PARTS)):
                needed(field, "needed for a Scale")

    def waivers(self) -> list[tuple]:
        """Each waiver to record with a Scale: (the need, its four bound fields)."""
        return [
            (need, [self[f"{need.key}-{part}"] for part in self.WAIVER_PARTS])
            for need in self.needs
        ]

    def clean(self):
        data = super().clean()
        given = []
        for need in self.needs:
            values = {part: data.pop(f"{need.key}-{part}", None) for part in self.WAIVER_PARTS}
            if any(values.values()):
                given.append(
                    WaiverInput(
                        key=need.key,
                        reason=values["reason"] or "",
                        condition=values["condition"] or "",
                        owner=values["owner"],
                        due_on=values["due_on"],
                    )
                )
        data["waivers"] = given if data.get("outcome") == Outcome.SCALE else []
        return data


class DeferralForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class RiskApprovalForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, required=False
    )


# Forms that create and edit a pilot and its parts. They shape and check the input;
# the views pass `changes()` to the services, which write it.


# What a select offers when nothing is chosen yet, instead of Django's "---------".
