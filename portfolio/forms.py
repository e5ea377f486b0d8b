from datetime import timedelta

from django import forms
from django.utils import timezone

from gates.models import GATE_KEYS
from portfolio.lib.dates import BoundedDateField
from portfolio.lib.display import shown
from portfolio.lib.forms import needed
from portfolio.lib.widgets import PeopleSelect
from portfolio.models import (
    BusinessUnit,
    CostLine,
    MetricReading,
    Outcome,
    PathItem,
    Pilot,
    PilotCondition,
    ProductionKpi,
    RiskTier,
    Stage,
    SuccessMetric,
    User,
)
from portfolio.services.decisions import WaiverInput
from portfolio.services.parts import CONFLICT_MESSAGE, edit_version
from portfolio.services.risk import (
    REASON_MAX_LENGTH,
    charter_field_refusal,
    charter_fields_locked,
)

STATES = [
    ("", "Any"),
    ("stalling", "Stalled or drifting"),
    ("stalled", "Stalled"),
    ("drifting", "Drifting"),
    ("decision_due", "Decision due"),
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
                queryset=_people(),
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
EMPTY_CHOICES = {User: "Choose a person", BusinessUnit: "Choose a business unit"}


def _people_picker(field: forms.ModelChoiceField) -> PeopleSelect:
    widget = PeopleSelect(attrs=field.widget.attrs)
    widget.choices, widget.is_required = field.choices, field.required
    return widget


def _name_the_empty_choice(field: forms.Field) -> None:
    if isinstance(field, forms.ModelChoiceField):
        field.empty_label = EMPTY_CHOICES.get(field.queryset.model, "Choose one")
    elif isinstance(field, forms.ChoiceField) and field.choices and field.choices[0][0] == "":
        field.choices = [("", "Choose one"), *field.choices[1:]]


def _people():
    return User.objects.filter(is_active=True).order_by("name", "email")


class PartForm(forms.ModelForm):
    """A form over some fields of a record. Editing one, it carries the fingerprint of
    the values it showed (`version`), which the service compares with the values at
    the time of the save (see services.edit_version)."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)

    # Set on a form shown again after a conflict: what the editor typed, not saved.
    conflict: str = ""
    unsaved: list[tuple[str, str]] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = edit_version(self.instance, self._meta.fields)
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField) and field.queryset.model is User:
                field.queryset = _people()
                field.widget = _people_picker(field)
            _name_the_empty_choice(field)
        for name, when in getattr(self, "needed", {}).items():
            needed(self.fields[name], when)

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}

    def version_seen(self) -> str:
        """The fingerprint the form was shown with ("" for a new record)."""
        return self.cleaned_data.get("version", "")

    def after_conflict(self, current) -> "PartForm":
        """A fresh form with the current values of `current`, saying what happened
        and listing what the editor had typed, to make the change again."""
        fresh = type(self)(instance=current, prefix=self.prefix)
        fresh.conflict = CONFLICT_MESSAGE
        fresh.unsaved = [
            (self.fields[name].label or name, shown(self.cleaned_data.get(name), empty="(empty)"))
            for name in self._meta.fields
            if name in self.changed_data
        ]
        return fresh


class PilotForm(PartForm):
    """The pilot's own fields and people: proposing one, and editing its charter."""

    needed = {
        "deployment_owner": "needed before the pilot starts",
        "pilot_start": "needed before the pilot starts",
        "pilot_end_planned": "needed before the pilot starts",
        "delivery_owner": "needed before a Scale",
    }

    class Meta:
        model = Pilot
        fields = [
            "title",
            "reference",
            "summary",
            "business_unit",
            "risk_tier",
            "pilot_start",
            "pilot_end_planned",
            "deployment_owner",
            "delivery_owner",
            "decision_maker",
            "sponsor",
            "risk_owner",
        ]
        labels = {"reference": "Reference", "pilot_end_planned": "Planned end"}
        help_texts = {
            "reference": "An id from another inventory, if it has one.",
            "deployment_owner": "Who is accountable for deployment if this works: a named "
            "line manager, not the sponsor by default.",
            "decision_maker": "Takes the go-live decision; the deployment owner when empty.",
            "risk_owner": "Accepts the risk; a high-risk pilot needs their approval to scale.",
        }
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
        }
        field_classes = {"pilot_start": BoundedDateField, "pilot_end_planned": BoundedDateField}

    def __init__(self, *args, user=None, **kwargs):
        """Editing a pilot's charter as `user`: the fields they may not change are
        shown disabled, and a reason is asked for lowering the risk tier."""
        super().__init__(*args, **kwargs)
        if not self.instance.pk or user is None:
            return
        self.fields["reason"] = forms.CharField(
            label="Reason for lowering the risk tier",
            required=False,
            max_length=REASON_MAX_LENGTH,
            help_text="Kept in the pilot's history.",
        )
        needed(self.fields["reason"], "needed to lower the tier of a started pilot")
        for name in charter_fields_locked(self.instance, user):
            self.fields[name].disabled = True

    def clean(self):
        # A disabled field keeps its value whatever is posted: a changed value posted
        # anyway is refused, not silently dropped.
        for name, field in self.fields.items():
            posted = self.data.get(self.add_prefix(name))
            if field.disabled and posted is not None and name in self._meta.fields:
                initial = self.get_initial_for_field(field, name)
                if str(posted) != str("" if initial is None else initial):
                    self.add_error(name, charter_field_refusal(name))
        return super().clean()

    def changes(self) -> dict:
        changes = super().changes()
        if "reason" in self.fields:
            changes["reason"] = self.cleaned_data.get("reason", "")
        return changes


class MetricForm(PartForm):
    needed = {
        "baseline": "needed before the pilot starts",
        "target": "needed before the pilot starts",
    }

    class Meta:
        model = SuccessMetric
        fields = ["name", "unit", "baseline", "target", "direction"]
        labels = {"name": "Business metric"}
        help_texts = {
            "name": 'In business terms, e.g. "hours of manual review per week".',
            "target": "The number that, if hit, triggers the production decision.",
        }


class ReadingForm(PartForm):
    class Meta:
        model = MetricReading
        fields = ["measured_on", "value", "note"]
        field_classes = {"measured_on": BoundedDateField}


class PathItemForm(PartForm):
    class Meta:
        model = PathItem
        fields = ["kind", "description", "owner", "status"]


class KpiForm(PartForm):
    class Meta:
        model = ProductionKpi
        fields = ["kind", "name", "target", "horizon_months"]
        labels = {"horizon_months": "Horizon (months)"}


class ConditionForm(PartForm):
    class Meta:
        model = PilotCondition
        fields = ["kind", "description", "decision"]
        help_texts = {
            "decision": "At the production decision: made permanent, or withdrawn.",
        }


class CostLineForm(PartForm):
    class Meta:
        model = CostLine
        fields = ["category", "phase", "amount", "currency", "note"]


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
