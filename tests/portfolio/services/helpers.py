"""Pilots in a given stage, and what a test reads back, for the service tests."""

from datetime import date, timedelta

from gates.models import GateStatus
from portfolio.models import Pilot, Stage, StageChange
from portfolio.services.lifecycle import decision_record, pilot_stage_move
from tests.factories import make_awaiting_pilot, make_chartered_pilot, scale_ready

DAY = date(2025, 3, 3)
LATER = DAY + timedelta(days=30)


def stage_changes_of(pilot: Pilot) -> list[tuple[str, str]]:
    return list(
        StageChange.objects.filter(pilot=pilot).order_by("id").values_list("from_stage", "to_stage")
    )


def gate_statuses_of(pilot: Pilot) -> dict[str, str]:
    return dict(GateStatus.objects.filter(pilot=pilot).values_list("gate__key", "status"))


def pilot_in_stage(*, owner, stage: str, **fields) -> Pilot:
    """A pilot brought to `stage` through the services, on DAY."""
    fields.setdefault("stage_entered_on", DAY)
    if stage == Stage.PROPOSED:
        return make_chartered_pilot(owner=owner, **fields)
    if stage == Stage.PILOTING:
        pilot = make_chartered_pilot(owner=owner, **fields)
        pilot_stage_move(pilot=pilot, to_stage=Stage.PILOTING, by=owner, on=DAY)
        return pilot
    pilot = make_awaiting_pilot(owner=owner, entered_on=DAY, **fields)
    if stage == Stage.AWAITING_DECISION:
        return pilot
    outcome = {
        Stage.SCALING: "scale",
        Stage.IN_PRODUCTION: "scale",
        Stage.STOPPED: "stop",
        Stage.RESEARCH: "research",
    }[stage]
    ready = scale_ready(pilot, by=owner) if outcome == "scale" else {}
    decision_record(pilot=pilot, outcome=outcome, by=owner, rationale="Why", on=DAY, **ready)
    if stage == Stage.IN_PRODUCTION:
        pilot_stage_move(pilot=pilot, to_stage=Stage.IN_PRODUCTION, by=owner, on=DAY)
    return pilot
