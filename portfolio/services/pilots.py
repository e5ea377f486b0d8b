"""Writes for a pilot's charter: proposing a pilot and changing its answers and people."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from gates.services import readiness_refresh
from portfolio.models import BusinessUnit, Pilot, Stage, StageChange, User
from portfolio.services.parts import locked_current
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
    # Whoever proposes names the people (the pilot has not started), within the duties.
    pilot_duties_check(pilot)
    pilot.save()
    StageChange.objects.create(
        pilot=pilot,
        from_stage="",
        to_stage=stage,
        changed_on=pilot.stage_entered_on,
        changed_by=by,
        reason="Recorded",
    )
    if refresh:
        readiness_refresh(pilot_ids=[pilot.id])
    return pilot


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
