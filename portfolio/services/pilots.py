"""Writes for a pilot's charter: proposing a pilot and changing its answers and people."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from gates.services import readiness_refresh
from portfolio.models import BusinessUnit, Pilot, Stage, StageChange, User
from portfolio.services.parts import locked_current, require_edit


@transaction.atomic
def pilot_create(
    *,
    title: str,
    business_unit: BusinessUnit,
    by: User | None = None,
    stage: str = Stage.PROPOSED,
    stage_entered_on: date | None = None,
    **fields,
) -> Pilot:
    """Create a pilot. A pilot recorded in a later stage (an inventory import) is
    kept as it is; the charter rule governs the moves, see `pilot_stage_move`."""
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
    pilot.full_clean()
    pilot.save()
    StageChange.objects.create(
        pilot=pilot,
        from_stage="",
        to_stage=stage,
        changed_on=pilot.stage_entered_on,
        changed_by=by,
        reason="Recorded",
    )
    readiness_refresh(pilot_ids=[pilot.id])
    return pilot


@transaction.atomic
def pilot_update(
    *, pilot: Pilot, by: User | None = None, version: str | None = None, **fields
) -> Pilot:
    """Change a pilot's own fields (not its stage: see `pilot_stage_move`).

    With `by`, only someone who may edit the pilot; with `version` (what an editor
    saw, see `edit_version`), refused if those fields changed meanwhile. Only the
    fields asked for are written: a stale copy must not put back an old stage.
    """
    if "stage" in fields or "stage_entered_on" in fields:
        raise ValidationError("The stage changes through a stage move or a decision.")
    current = locked_current(pilot, fields, version)
    if by is not None:
        require_edit(current, by)
        current._history_user = by
    tier_before = current.risk_tier
    for name, value in fields.items():
        setattr(current, name, value)
    current.full_clean()
    current.save(update_fields=[*fields, "updated_at"])
    if current.risk_tier != tier_before:
        readiness_refresh(pilot_ids=[current.id])
    for name in fields:
        setattr(pilot, name, getattr(current, name))
    return current
