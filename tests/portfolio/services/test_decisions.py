"""What a stage-gate decision needs and leaves behind: a Scale's readiness (gates met
or waived, the close-out answered), waivers, the conditions a Stop or Research
withdraws, the snapshot, stale forms and decisions taken at once."""

import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from gates.models import Criterion, Gate
from gates.services import signoff_record
from portfolio.models import (
    ConditionDecision,
    Decision,
    PilotCondition,
    Stage,
    StageChange,
    Waiver,
)
from portfolio.selectors.decisions import decision_version, scale_gaps
from portfolio.services.decisions import STALE_MESSAGE, WaiverInput, waiver_close
from portfolio.services.lifecycle import decision_record
from portfolio.services.parts import EditConflict, condition_add, cost_line_add, reading_add
from tests.conftest import run_at_once, sqlite_cannot
from tests.factories import (
    close_out,
    gate_meet,
    make_awaiting_pilot,
    reviewer,
    scale_ready,
    scale_waivers,
)

DAY = date(2026, 3, 2)
LATER = DAY + timedelta(days=30)
DUE = LATER + timedelta(days=90)


def _nothing_written(pilot) -> None:
    assert not Decision.objects.exists() and not Waiver.objects.exists()
    pilot.refresh_from_db()
    assert (pilot.stage, pilot.stage_entered_on) == (Stage.AWAITING_DECISION, DAY)
    assert not StageChange.objects.filter(pilot=pilot, from_stage=Stage.AWAITING_DECISION)


def _scale(pilot, by, **extra):
    return decision_record(pilot=pilot, outcome="scale", by=by, rationale="Go", on=LATER, **extra)


def _objection(pilot, text: str):
    criterion = Criterion.objects.get(text=text)
    return signoff_record(
        pilot=pilot,
        criterion=criterion,
        by=reviewer(criterion.function),
        verdict="objected",
        comment="Not yet",
    )


def test_it_refuses_a_scale_with_nothing_met_listing_what_is_missing(alice):
    # given: a medium-risk pilot with none of its criteria met, nothing closed out
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, risk_tier="medium")
    condition_add(pilot=pilot, kind="data_access", description="Raw ticket export")

    # when
    with pytest.raises(ValidationError) as error:
        _scale(pilot, alice)

    # then
    assert error.value.messages == [
        "A Scale needs what is still missing: "
        "gate 1. Business ownership: 2 required criteria not met: meet them or record a waiver; "
        "gate 2. Production data: 4 required criteria not met: meet them or record a waiver; "
        "gate 3. Workflow integration: 4 required criteria not met: meet them or record a waiver; "
        "gate 4. Value measurement: 4 required criteria not met: meet them or record a waiver; "
        "gate 5. Adoption and change: 3 required criteria not met: meet them or record a waiver; "
        "gate 6. Governance and risk: 4 required criteria not met: meet them or record a waiver; "
        "every pilot condition made permanent or withdrawn (undecided: Raw ticket export); "
        "at least one production KPI with its time horizon; "
        "a named delivery owner."
    ]
    _nothing_written(pilot)


@pytest.mark.parametrize(
    "gap", ["every pilot condition", "at least one production KPI", "a named delivery owner"]
)
def test_it_refuses_a_scale_whose_close_out_is_not_answered(alice, gap):
    # given: every gate waived, one close-out answer missing
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, risk_tier="low")
    condition_add(pilot=pilot, kind="permission", description="Admin rights")
    ready = scale_ready(pilot, by=alice)
    if gap == "every pilot condition":
        condition_add(pilot=pilot, kind="permission", description="Weekend access")
    elif gap == "at least one production KPI":
        pilot.production_kpis.all().delete()
    else:
        pilot.delivery_owner = None
        pilot.save(update_fields=["delivery_owner"])

    # when
    with pytest.raises(ValidationError) as error:
        _scale(pilot, alice, **ready)

    # then
    assert error.value.messages[0].startswith("A Scale needs what is still missing: " + gap)
    assert "gate" not in error.value.messages[0]
    _nothing_written(pilot)


def test_it_scales_a_pilot_whose_gates_all_pass_without_a_waiver(alice):
    # given: a low-risk pilot (gates 1, 3 and 4) with every required criterion met
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, risk_tier="low")
    for key in ("ownership", "integration", "value"):
        gate_meet(pilot=pilot, key=key, by=alice)
    close_out(pilot)

    # when
    decision = _scale(pilot, alice)

    # then
    assert decision.waivers.count() == 0
    assert [gate["status"] for gate in decision.snapshot["gates"]] == ["passed"] * 3
    assert pilot.stage == Stage.SCALING


def test_it_records_the_waivers_with_the_scale_that_needs_them(alice):
    # given
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, risk_tier="low")
    gate_meet(pilot=pilot, key="ownership", by=alice)
    close_out(pilot)
    waivers = scale_waivers(pilot, owner=alice, due_on=DUE)

    # when
    decision = _scale(pilot, alice, waivers=waivers)

    # then
    rows = list(
        decision.waivers.order_by("gate__number").values_list(
            "gate__key", "waived_by__email", "owner__email", "due_on", "closed_on"
        )
    )
    assert rows == [
        ("integration", "alice@example.com", "alice@example.com", DUE, None),
        ("value", "alice@example.com", "alice@example.com", DUE, None),
    ]
    assert [w["gate"] for w in decision.snapshot["waivers"]] == [
        "3. Workflow integration",
        "4. Value measurement",
    ]


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("reason", " ", "A waiver says why."),
        ("condition", "", "A waiver says the condition attached."),
        ("owner", None, "A waiver names who closes it."),
        ("due_on", DAY, f"A waiver is due on a date, not before {LATER}."),
    ],
)
def test_it_refuses_an_incomplete_waiver(alice, field, value, message):
    # given
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, risk_tier="low")
    close_out(pilot)
    waivers = scale_waivers(pilot, owner=alice, due_on=DUE)
    first = waivers[0]
    waivers[0] = WaiverInput(**{**first.__dict__, field: value})

    # when
    with pytest.raises(ValidationError) as error:
        _scale(pilot, alice, waivers=waivers)

    # then
    key = f"{first.key}-{field}"
    assert error.value.message_dict == {
        key: [f"1. Business ownership: 2 required criteria not met: {message}"]
    }
    _nothing_written(pilot)


def test_it_lets_only_an_executive_waive_an_open_objection(alice, executive):
    # given: a low-risk pilot whose integration gate has an IT objection
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, risk_tier="low")
    objection = _objection(pilot, "Integration stability")
    close_out(pilot)
    by_owner = scale_waivers(pilot, owner=alice, due_on=DUE)

    # when: the owner (the decision maker) tries, then an executive
    with pytest.raises(ValidationError) as refused:
        _scale(pilot, alice, waivers=by_owner)
    decision = _scale(pilot, executive, waivers=by_owner)

    # then
    key = f"objection-{objection.id}"
    assert refused.value.message_dict[f"{key}-reason"] == [
        "3. Workflow integration: the IT objection to “Integration stability”: "
        "Only an executive may waive an open objection; otherwise the IT function signs it off."
    ]
    waiver = decision.waivers.get(gate__key="integration")
    assert (waiver.objection, waiver.waived_by) == (objection, executive)
    assert decision.snapshot["objections"][0]["function"] == "IT"


def test_it_takes_the_objecting_function_s_sign_off_instead_of_an_executive_s_waiver(alice):
    # given: the IT objection is later signed off by IT
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, risk_tier="low")
    objection = _objection(pilot, "Integration stability")
    signoff_record(
        pilot=pilot,
        criterion=objection.criterion,
        by=reviewer("it"),
        verdict="signed_off",
    )

    # when
    gaps = scale_gaps(pilot)

    # then: the gate is only open now, which its decision maker may waive
    integration = Gate.objects.get(key="integration")
    assert [need.key for need in gaps.waivers if need.gate == integration] == [
        f"gate-{integration.id}"
    ]
    decision = _scale(pilot, alice, **scale_ready(pilot, by=alice))
    assert decision.waivers.get(gate=integration).objection is None


@pytest.mark.parametrize("outcome", ["stop", "research"])
def test_it_withdraws_the_undecided_conditions_on_stop_and_research(alice, outcome):
    # given
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY)
    condition_add(pilot=pilot, kind="data_access", description="Raw ticket export")
    condition_add(pilot=pilot, kind="permission", description="Admin", decision="permanent")

    # when
    decision = decision_record(pilot=pilot, outcome=outcome, by=alice, rationale="Not now")

    # then
    assert dict(PilotCondition.objects.values_list("description", "decision")) == {
        "Raw ticket export": ConditionDecision.WITHDRAWN,
        "Admin": ConditionDecision.PERMANENT,
    }
    withdrawn = PilotCondition.objects.get(description="Raw ticket export")
    assert withdrawn.history.first().history_user == alice
    assert decision.snapshot["conditions_withdrawn"] == ["Raw ticket export"]
    assert decision.snapshot["conditions"]["undecided"] == [
        {"kind": "data_access", "description": "Raw ticket export"}
    ]


def test_it_redesigns_with_a_rationale_alone_and_leaves_the_conditions(alice):
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY)
    condition_add(pilot=pilot, kind="data_access", description="Raw ticket export")

    decision_record(pilot=pilot, outcome="redesign", by=alice, rationale="Narrow it")

    assert PilotCondition.objects.get().decision == ConditionDecision.UNDECIDED


def test_it_freezes_what_the_decision_maker_saw(alice, executive):
    # given: a pilot with a reading, costs and an objection, scaled by an executive
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, risk_tier="low")
    reading_add(pilot=pilot, measured_on=DAY, value=70)
    cost_line_add(pilot=pilot, category="integration", phase="pilot", amount=1200)
    cost_line_add(pilot=pilot, category="integration", phase="transition", amount=9000)
    _objection(pilot, "Rollback procedure")
    decision = _scale(pilot, executive, **scale_ready(pilot, by=executive))
    seen = Decision.objects.get(pk=decision.pk).snapshot

    # when: the pilot changes afterwards
    reading_add(pilot=pilot, measured_on=LATER, value=50)
    cost_line_add(pilot=pilot, category="data", phase="transition", amount=500)
    gate_meet(pilot=pilot, key="value", by=alice)

    # then
    snapshot = Decision.objects.get(pk=decision.pk).snapshot
    assert snapshot == seen
    assert snapshot["metric"]["latest"] == {"value": "70", "measured_on": DAY.isoformat()}
    assert snapshot["metric"]["target_reached"] is False
    assert snapshot["costs"]["pilot"] == {"EUR": "1200"}
    assert snapshot["costs"]["transition"] == {"EUR": "9000"}
    assert [g["criteria_met"] for g in snapshot["gates"]] == [0, 0, 0]
    assert snapshot["objections"][0]["criterion"] == "Rollback procedure"
    with pytest.raises(ValidationError):
        decision.save()


def test_it_refuses_a_decision_on_a_pilot_changed_since_the_form_was_shown(alice):
    # given: the form was shown, then a criterion was met
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, risk_tier="low")
    shown = decision_version(pilot)
    gate_meet(pilot=pilot, key="ownership", by=alice)

    # when
    with pytest.raises(EditConflict) as error:
        decision_record(
            pilot=pilot,
            outcome="stop",
            by=alice,
            rationale="No",
            stage=Stage.AWAITING_DECISION,
            version=shown,
        )

    # then
    assert error.value.messages == [STALE_MESSAGE]
    _nothing_written(pilot)


def test_it_refuses_a_decision_shown_for_another_stage(alice):
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY)

    with pytest.raises(EditConflict):
        decision_record(pilot=pilot, outcome="stop", by=alice, rationale="No", stage="piloting")

    _nothing_written(pilot)


def test_it_closes_a_waiver_once_by_its_owner_or_the_decision_maker(alice, bob, charlie):
    # given: bob owns a waiver on alice's pilot
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, risk_tier="low")
    close_out(pilot)
    decision = _scale(pilot, alice, waivers=scale_waivers(pilot, owner=bob, due_on=DUE))
    first, second = decision.waivers.order_by("id")[:2]

    # when / then: charlie may not; bob and alice may, once
    with pytest.raises(PermissionDenied):
        waiver_close(waiver=first, by=charlie)
    waiver_close(waiver=first, by=bob, on=LATER)
    waiver_close(waiver=second, by=alice, on=LATER)
    with pytest.raises(ValidationError) as twice:
        waiver_close(waiver=first, by=bob)
    assert twice.value.messages == ["This waiver is already closed."]
    assert list(Waiver.objects.order_by("id").values_list("closed_on", flat=True)) == [
        LATER,
        LATER,
        None,
    ]


def test_it_tells_an_overdue_open_waiver(alice):
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, risk_tier="low")
    close_out(pilot)
    decision = _scale(pilot, alice, waivers=scale_waivers(pilot, owner=alice, due_on=DUE))
    waiver = decision.waivers.first()

    assert not waiver.is_overdue(DUE) and waiver.is_overdue(DUE + timedelta(days=1))
    waiver_close(waiver=waiver, by=alice, on=LATER)
    assert not waiver.is_overdue(DUE + timedelta(days=1))


# --- Decisions taken at once -------------------------------------------------------

OUTCOMES = ["scale", "redesign", "stop", "research"]


@pytest.mark.needs_services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@sqlite_cannot
def test_of_twenty_decisions_at_once_with_mixed_outcomes_exactly_one_lands(alice, executive):
    # given: twenty people hold the same decision form
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, risk_tier="low")
    ready = scale_ready(pilot, by=executive)
    shown = {"stage": Stage.AWAITING_DECISION, "version": decision_version(pilot)}

    def decide(outcome: str):
        extra = ready if outcome == "scale" else {}
        return decision_record(
            pilot=type(pilot).objects.get(pk=pilot.pk),
            outcome=outcome,
            by=executive,
            rationale=outcome,
            **shown,
            **extra,
        )

    # when
    landed, refused = run_at_once(
        *[lambda outcome=OUTCOMES[n % 4]: decide(outcome) for n in range(20)]
    )

    # then
    assert len(landed) == 1 and Decision.objects.count() == 1
    assert len(refused) == 19 and all(isinstance(e, EditConflict) for e in refused)
    assert StageChange.objects.filter(pilot=pilot, from_stage=Stage.AWAITING_DECISION).count() == 1


DECIDE_SCRIPT = """
import datetime, json, os, time
from portfolio.models import Pilot, User
from portfolio.services.decisions import WaiverInput
from portfolio.services.lifecycle import decision_record
from portfolio.services.parts import EditConflict
given = json.loads(os.environ["DECISION"])
user = User.objects.get(email=given["by"])
pilot = Pilot.objects.get(pk=given["pilot"])
due = datetime.date(2099, 12, 31)
waivers = [
    WaiverInput(key=key, reason="r", condition="c", owner=user, due_on=due)
    for key in given["keys"]
]
time.sleep(max(0, given["start"] - time.time()))
try:
    decision_record(
        pilot=pilot,
        outcome=given["outcome"],
        by=user,
        rationale="At once",
        stage="awaiting_decision",
        version=given["version"],
        waivers=waivers if given["outcome"] == "scale" else [],
    )
    print("landed")
except EditConflict:
    print("refused")
"""


@pytest.mark.needs_services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@sqlite_cannot
def test_of_decisions_from_several_processes_at_once_exactly_one_lands(alice, executive):
    # given: four processes, one per outcome, post the same form at the same moment
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, risk_tier="low")
    close_out(pilot)
    keys = [need.key for need in scale_gaps(pilot).waivers]
    version = decision_version(pilot)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
    }
    env.pop("REDIS_URL", None)
    given = {
        "pilot": pilot.id,
        "by": executive.email,
        "version": version,
        "keys": keys,
        "start": time.time() + 8,  # each process waits until then: they decide together
    }

    # when
    processes = [
        subprocess.Popen(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", DECIDE_SCRIPT],
            cwd=Path(__file__).resolve().parents[3],
            env={**env, "DECISION": json.dumps({**given, "outcome": outcome})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for outcome in OUTCOMES
    ]
    said = sorted(process.communicate(timeout=120)[0].strip() for process in processes)

    # then
    assert said == ["landed", "refused", "refused", "refused"]
    assert Decision.objects.count() == 1
    assert StageChange.objects.filter(pilot=pilot, from_stage=Stage.AWAITING_DECISION).count() == 1
