"""Pilot services: charter, stage moves, decisions, deferrals, risk approval, edits."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from gates.models import GateStatus
from portfolio.models import (
    Pilot,
    Stage,
    StageChange,
    User,
)
from portfolio.services.lifecycle import (
    decision_record,
    pilot_stage_move,
)
from portfolio.services.people import user_create
from tests.factories import make_awaiting_pilot, make_chartered_pilot, scale_ready

DAY = date(2025, 3, 3)
LATER = DAY + timedelta(days=30)


def _stages(pilot: Pilot) -> list[tuple[str, str]]:
    return list(
        StageChange.objects.filter(pilot=pilot).order_by("id").values_list("from_stage", "to_stage")
    )


def _gate_statuses(pilot: Pilot) -> dict[str, str]:
    return dict(GateStatus.objects.filter(pilot=pilot).values_list("gate__key", "status"))


def _in_stage(*, owner, stage: str, **fields) -> Pilot:
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


# --- People -----------------------------------------------------------------------


def test_it_refuses_a_second_user_with_the_same_email(alice):
    with pytest.raises(ValidationError) as error:
        user_create(email=" ALICE@example.com ", name="Alice Again")

    assert error.value.message_dict == {
        "email": ["A user with the email alice@example.com already exists."]
    }
    assert User.objects.filter(email="alice@example.com").count() == 1
