"""Writes for a pilot's charter: proposing a pilot and changing its answers and people."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from gates.selectors import current_version
from gates.services import readiness_refresh, signoffs_void
from portfolio.models import BusinessUnit, Pilot, Stage, StageChange, SuccessMetric, User
from portfolio.services.parts import BATCH, locked_current, metric_new, metrics_create_many
from portfolio.services.risk import pilot_changes_check, pilot_duties_check


@transaction.atomic
def pilot_create(
    *,
    title: str,
    business_unit: BusinessUnit,
    by: User | None = None,
    stage: str = Stage.PROPOSED,
    stage_entered_on: date | None = None,
    refresh: bool = True,
    **fields,
) -> Pilot:
    """Create a pilot. A pilot recorded in a later stage (an inventory import) is
    kept as it is; the charter rule governs the moves, see `pilot_stage_move`. The
    proposer names its people and tier, but nobody as risk owner of a pilot they own
    or deliver (`services.risk`). `refresh=False`: the caller derives the gate
    statuses of many new pilots at once (`readiness_refresh`) before it commits."""
    pilot = _pilot_build(
        title=title,
        business_unit=business_unit,
        by=by,
        stage=stage,
        stage_entered_on=stage_entered_on,
        **fields,
    )
    pilot.checklist_version = current_version()  # the checklist it starts under
    pilot.full_clean()
    # Whoever proposes names the people (the pilot has not started), within the duties.
    pilot_duties_check(pilot)
    pilot.save()
    StageChange.objects.create(**_first_stage_change(pilot, by))
    if refresh:
        readiness_refresh(pilot_ids=[pilot.id])
    return pilot


def _pilot_build(
    *,
    title: str,
    business_unit: BusinessUnit,
    by: User | None,
    stage: str,
    stage_entered_on: date | None,
    **fields,
) -> Pilot:
    """A new pilot, not saved yet: its fields, its go-live date if it is live, its author."""
    pilot = Pilot(
        title=title.strip(),
        business_unit=business_unit,
        stage=stage,
        stage_entered_on=stage_entered_on or timezone.localdate(),
        **fields,
    )
    if stage == Stage.IN_PRODUCTION and pilot.go_live_on is None:
        pilot.go_live_on = pilot.stage_entered_on
    if by is not None:
        pilot._history_user = by  # the history's author, outside a request too
    return pilot


def _first_stage_change(pilot: Pilot, by: User | None) -> dict:
    return {
        "pilot": pilot,
        "from_stage": "",
        "to_stage": pilot.stage,
        "changed_on": pilot.stage_entered_on,
        "changed_by": by,
        "reason": "Recorded",
    }


@dataclass(frozen=True)
class NewPilot:
    """A pilot to create with its success metric, built and checked by `pilot_new`."""

    pilot: Pilot
    metric: SuccessMetric | None = None


class NewPilotRefused(ValidationError):
    """`pilots_create_many` refused the pilot at `index` of those given."""

    def __init__(self, index: int, error: ValidationError):
        super().__init__(error.error_dict if hasattr(error, "error_dict") else error.messages)
        self.index = index


def pilot_new(
    *,
    title: str,
    business_unit: BusinessUnit,
    by: User | None = None,
    stage: str = Stage.PROPOSED,
    stage_entered_on: date | None = None,
    metric: dict | None = None,
    **fields,
) -> NewPilot:
    """A pilot (and its success metric, `metric_new`) to create with others by
    `pilots_create_many`, checked now by the rules of `pilot_create` that need no
    query: raises the ValidationError `pilot_create` would. Its unit and people are
    saved rows, not looked up again; its reference is checked with all the others'."""
    pilot = _pilot_build(
        title=title,
        business_unit=business_unit,
        by=by,
        stage=stage,
        stage_entered_on=stage_entered_on,
        **fields,
    )
    # Its one constraint (the planned end not before the start) is its `clean()`.
    pilot.full_clean(
        exclude=_saved_relations(pilot), validate_unique=False, validate_constraints=False
    )
    pilot_duties_check(pilot)
    return NewPilot(pilot=pilot, metric=metric_new(**metric) if metric else None)


def _saved_relations(obj) -> list[str]:
    """The foreign keys of `obj` given as saved rows: they exist, no lookup needed."""
    names = []
    for field in obj._meta.concrete_fields:
        if field.is_relation and field.is_cached(obj):
            related = field.get_cached_value(obj)
            if related is not None and not related._state.adding:
                names.append(field.name)
    return names


@transaction.atomic
def pilots_create_many(
    *, new: list[NewPilot], by: User | None = None, refresh: bool = True
) -> list[Pilot]:
    """Create the pilots of `pilot_new`, as `pilot_create` does each, in a number of
    queries that does not grow with theirs.

    1. Their references are checked unique, a batch at a time: a reference already
       used refuses them all (`NewPilotRefused`, naming which).
    2. The pilots, BATCH to a statement, with their history rows (`by` their author),
       under the current checklist version, then their recorded stage changes.
    3. Their success metrics (`metrics_create_many`); with `refresh`, their gate
       statuses (`readiness_refresh`).
    """
    pilots = [item.pilot for item in new]
    _references_check(pilots)
    version = current_version()
    for pilot in pilots:
        pilot.checklist_version = version
    bulk_create_with_history(pilots, Pilot, batch_size=BATCH, default_user=by)
    StageChange.objects.bulk_create(
        [StageChange(**_first_stage_change(pilot, by)) for pilot in pilots], batch_size=BATCH
    )
    metrics = []
    for item in new:
        if item.metric is not None:
            item.metric.pilot = item.pilot
            metrics.append(item.metric)
    metrics_create_many(metrics=metrics, by=by)
    if refresh:
        readiness_refresh(pilot_ids=[pilot.id for pilot in pilots])
    return pilots


def _references_check(pilots: list[Pilot]) -> None:
    """Refuse a reference used by an existing pilot or twice among `pilots`, with the
    message of `full_clean`."""
    index_of: dict[str, int] = {}
    clashes = []
    for index, pilot in enumerate(pilots):
        if pilot.reference in index_of:
            clashes.append(index)
        elif pilot.reference:
            index_of[pilot.reference] = index
    references = list(index_of)
    for start in range(0, len(references), BATCH):
        used = Pilot.objects.filter(reference__in=references[start : start + BATCH])
        clashes += [index_of[reference] for reference in used.values_list("reference", flat=True)]
    if clashes:
        index = min(clashes)
        error = pilots[index].unique_error_message(Pilot, ["reference"])
        raise NewPilotRefused(index, ValidationError({"reference": error}))


# A change of these voids the sign-offs judged on them (`gates.services.signoffs_void`).
MATERIAL_FIELDS = ["summary", "risk_tier"]


def _material_change(pilot: Pilot, *, changed: list[str], before: dict, by: User | None) -> None:
    reasons = []
    if "risk_tier" in changed:
        old = dict(Pilot._meta.get_field("risk_tier").flatchoices)[before["risk_tier"]]
        reasons.append(f"risk tier changed from {old} to {pilot.get_risk_tier_display()}")
    if "summary" in changed:
        reasons.append("scope (summary) changed")
    if not signoffs_void(pilot=pilot, reason=f"To re-confirm: {'; '.join(reasons)}.", by=by):
        readiness_refresh(pilot_ids=[pilot.id])


@transaction.atomic
def pilot_update(
    *,
    pilot: Pilot,
    by: User | None = None,
    version: str | None = None,
    reason: str = "",
    **fields,
) -> Pilot:
    """Change a pilot's own fields (not its stage: see `pilot_stage_move`).

    With `by`, only what they may change (`services.risk.pilot_changes_check`: the
    people and the risk tier are named from above the pilot); with `version` (what an
    editor saw, see `edit_version`), refused if those fields changed meanwhile. Only
    the fields asked for are written: a stale copy must not put back an old stage.
    Lowering the tier of a started pilot needs `reason`, kept in its history.
    """
    if "stage" in fields or "stage_entered_on" in fields:
        raise ValidationError("The stage changes through a stage move or a decision.")
    current = locked_current(pilot, fields, version)
    pilot_changes_check(pilot=current, fields=fields, by=by, reason=reason)
    if by is not None:
        current._history_user = by
    if reason.strip():
        current._change_reason = reason.strip()
    before = {name: getattr(current, name) for name in MATERIAL_FIELDS}
    for name, value in fields.items():
        setattr(current, name, value)
    current.full_clean()
    current.save(update_fields=[*fields, "updated_at"])
    changed = [name for name in MATERIAL_FIELDS if getattr(current, name) != before[name]]
    if changed:
        _material_change(current, changed=changed, before=before, by=by)
    for name in fields:
        setattr(pilot, name, getattr(current, name))
    return current
