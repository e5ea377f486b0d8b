"""The parts of a pilot its owners list, add, edit and remove in place on the pilot
page: which form and service each kind uses, and the sections the page shows."""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Model, QuerySet

from portfolio.forms import (
    ConditionForm,
    CostLineForm,
    KpiForm,
    PartForm,
    PathItemForm,
    ReadingForm,
)
from portfolio.lib.display import money
from portfolio.lib.display import shown as display_value
from portfolio.models import CostLine, MetricReading, PathItem, Pilot, PilotCondition, ProductionKpi
from portfolio.services.parts import (
    condition_add,
    cost_line_add,
    kpi_add,
    part_version,
    path_item_add,
    reading_add,
)


@dataclass(frozen=True)
class Part:
    kind: str  # in the URLs and the section's id
    title: str
    noun: str
    form: type[PartForm]
    add: Callable  # the service that records a new one
    model: type[Model]
    empty: str
    add_label: str
    pilot_lookup: str = "pilot"  # the lookup from the model to its pilot

    def items(self, pilot: Pilot) -> list:
        """The pilot's parts of this kind, from what `pilot_page_queryset` prefetched."""
        if self.model is MetricReading:
            metric = getattr(pilot, "success_metric", None)
            return list(metric.readings.all()) if metric else []
        return list(getattr(pilot, self.related_name).all())

    @property
    def related_name(self) -> str:
        return self.model._meta.get_field("pilot").related_query_name()

    def of(self, pilot: Pilot) -> QuerySet:
        return self.model.objects.filter(**{self.pilot_lookup: pilot})


PARTS = {
    part.kind: part
    for part in [
        Part(
            kind="readings",
            title="Readings",
            noun="reading",
            form=ReadingForm,
            add=reading_add,
            model=MetricReading,
            pilot_lookup="metric__pilot",
            empty="No reading of the metric yet (readings come once it is defined).",
            add_label="Add a reading",
        ),
        Part(
            kind="path",
            title="Path to production",
            noun="path item",
            form=PathItemForm,
            add=path_item_add,
            model=PathItem,
            empty="No path to production yet: name a system to integrate, a data pipeline "
            "to build or a process to change, each with its owner.",
            add_label="Add a path item",
        ),
        Part(
            kind="kpis",
            title="Production KPIs",
            noun="KPI",
            form=KpiForm,
            add=kpi_add,
            model=ProductionKpi,
            empty="No production KPI yet.",
            add_label="Add a KPI",
        ),
        Part(
            kind="conditions",
            title="Pilot conditions",
            noun="condition",
            form=ConditionForm,
            add=condition_add,
            model=PilotCondition,
            empty="No exception made for this pilot.",
            add_label="Add a condition",
        ),
        Part(
            kind="costs",
            title="Costs",
            noun="cost line",
            form=CostLineForm,
            add=cost_line_add,
            model=CostLine,
            empty="No cost recorded yet.",
            add_label="Add a cost line",
        ),
    ]
}


@dataclass
class Editing:
    """What the page shows in edit mode: the section `kind` (a part kind, "charter" or
    "metric"), the form (bound with its errors, or after a conflict), on the part
    `part_id` or, without it, the add form or the single record."""

    kind: str
    form: PartForm | None = None
    part_id: int | None = None
    done: str = ""
    error: str = ""


@dataclass
class Row:
    item: Model
    cells: list[str]
    form: PartForm | None = None
    version: str = ""


@dataclass
class Section:
    part: Part
    headers: list[str]
    rows: list[Row]
    add_form: PartForm | None
    can_edit: bool
    done: str = ""
    error: str = ""
    totals: list[str] = field(default_factory=list)


def shown(item: Model, name: str) -> str:
    """A field's value as the page shows it."""
    display = getattr(item, f"get_{name}_display", None)
    value = display() if display else getattr(item, name)
    return money(value) if name == "amount" and value is not None else display_value(value)


def _totals(lines: list[CostLine]) -> list[str]:
    """The cost lines summed by phase and currency: "Pilot: 12,000.00 EUR"."""
    sums: dict[tuple[str, str], Decimal] = {}
    for line in lines:
        key = (line.get_phase_display(), line.currency)
        sums[key] = sums.get(key, Decimal(0)) + line.amount
    return [f"{phase}: {money(amount)} {currency}" for (phase, currency), amount in sums.items()]


def part_sections(pilot: Pilot, *, can_edit: bool, editing: Editing | None) -> dict[str, Section]:
    """Every part section of the pilot page, from what `pilot_page_queryset` loaded:
    no query per part (the forms' choices of people are one query per form shown)."""
    sections = {}
    for kind, part in PARTS.items():
        here = editing if editing and editing.kind == kind else Editing(kind)
        names = part.form._meta.fields
        rows = []
        for item in part.items(pilot):
            row = Row(item=item, cells=[shown(item, name) for name in names])
            if can_edit:
                row.version = part_version(item)
                if here.part_id == item.id:
                    row.form = here.form
            rows.append(row)
        # A failed addition comes back with its errors; otherwise a fresh form, except
        # for readings before the metric they measure is defined.
        add_form = here.form if here.form is not None and here.part_id is None else None
        waiting = part.model is MetricReading and getattr(pilot, "success_metric", None) is None
        if add_form is None and can_edit and not waiting:
            add_form = part.form(prefix=f"add-{kind}")
        sections[kind] = Section(
            part=part,
            headers=[part.form.base_fields[name].label for name in names],
            rows=rows,
            add_form=add_form,
            can_edit=can_edit,
            done=here.done,
            error=here.error,
            totals=_totals([row.item for row in rows]) if part.model is CostLine else [],
        )
    return sections
