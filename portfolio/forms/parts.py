"""The forms of a pilot and its parts: the charter, the metric, readings, path items,
KPIs, conditions and cost lines; people pickers and named empty choices."""

from django import forms

from portfolio.lib.dates import BoundedDateField
from portfolio.lib.display import shown
from portfolio.lib.forms import needed
from portfolio.lib.widgets import PeopleSelect
from portfolio.models import (
    BusinessUnit,
    CostLine,
    MetricReading,
    PathItem,
    Pilot,
    PilotCondition,
    ProductionKpi,
    SuccessMetric,
    User,
)
from portfolio.services.parts import CONFLICT_MESSAGE, edit_version
from portfolio.services.risk import (
    REASON_MAX_LENGTH,
    charter_field_refusal,
    charter_fields_locked,
)

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


def people():
    """The people a form offers: every active user, by name."""
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
                field.queryset = people()
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
