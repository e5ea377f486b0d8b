"""Pilot services: charter, stage moves, decisions, deferrals, risk approval, edits."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portfolio.models import (
    Decision,
    Deferral,
    PathItem,
    Pilot,
    RiskApproval,
    Stage,
    StageChange,
    SuccessMetric,
)
from portfolio.services.lifecycle import (
    decision_defer,
    decision_record,
    pilot_stage_move,
    risk_approval_record,
)
from portfolio.services.pilots import pilot_update
from tests.factories import (
    UserFactory,
    make_awaiting_pilot,
    make_chartered_pilot,
    make_pilot,
    scale_ready,
)
from tests.portfolio.services.helpers import DAY, LATER, pilot_in_stage, stage_changes_of

MISSING_OWNER = "who is accountable for deployment (a named deployment owner)"
MISSING_METRIC = "what success looks like (a success metric with baseline and target)"
MISSING_PATH = "the path to production (at least one path-to-production item)"
MISSING_DATES = "when it runs (a planned start and a planned end)"


# --- The charter and the stage moves ----------------------------------------------


def test_it_refuses_to_start_a_pilot_whose_charter_is_empty(alice):
    # given
    pilot = make_pilot(stage_entered_on=DAY)

    # when
    with pytest.raises(ValidationError) as error:
        pilot_stage_move(pilot=pilot, to_stage=Stage.PILOTING, by=None, on=LATER)

    # then
    assert error.value.messages == [
        "The pilot cannot start before its charter answers: "
        f"{MISSING_OWNER}; {MISSING_METRIC}; {MISSING_PATH}; {MISSING_DATES}."
    ]
    pilot.refresh_from_db()
    assert (pilot.stage, pilot.stage_entered_on) == (Stage.PROPOSED, DAY)
    assert stage_changes_of(pilot) == [("", Stage.PROPOSED)]


@pytest.mark.parametrize(
    "remove, missing",
    [
        ("owner", MISSING_OWNER),
        ("metric", MISSING_METRIC),
        ("target", MISSING_METRIC),
        ("baseline", MISSING_METRIC),
        ("path", MISSING_PATH),
        ("pilot_start", MISSING_DATES),
        ("pilot_end_planned", MISSING_DATES),
    ],
)
def test_it_names_exactly_the_missing_charter_answer(alice, remove, missing):
    # given: a chartered pilot with one answer taken away
    pilot = make_chartered_pilot(owner=alice)
    if remove == "owner":
        pilot_update(pilot=pilot, deployment_owner=None)
    elif remove == "metric":
        SuccessMetric.objects.filter(pilot=pilot).delete()
    elif remove in ("target", "baseline"):
        SuccessMetric.objects.filter(pilot=pilot).update(**{remove: None})
    elif remove == "path":
        PathItem.objects.filter(pilot=pilot).delete()
    else:
        pilot_update(pilot=pilot, **{remove: None})

    # when
    with pytest.raises(ValidationError) as error:
        pilot_stage_move(pilot=pilot, to_stage=Stage.PILOTING, by=None)

    # then
    assert error.value.messages == [
        f"The pilot cannot start before its charter answers: {missing}."
    ]
    assert Pilot.objects.get(pk=pilot.pk).stage == Stage.PROPOSED
    assert StageChange.objects.filter(pilot=pilot).count() == 1


def test_it_does_not_take_the_sponsor_as_deployment_owner(alice):
    pilot = make_chartered_pilot(owner=alice)
    pilot_update(pilot=pilot, deployment_owner=None, sponsor=alice)

    with pytest.raises(ValidationError) as error:
        pilot_stage_move(pilot=pilot, to_stage=Stage.PILOTING, by=None)

    assert MISSING_OWNER in error.value.messages[0]
    assert Pilot.objects.get(pk=pilot.pk).stage == Stage.PROPOSED


def test_it_starts_a_chartered_pilot_and_records_who_when_and_why(alice):
    # given
    pilot = make_chartered_pilot(owner=alice, stage_entered_on=DAY)

    # when
    change = pilot_stage_move(
        pilot=pilot, to_stage=Stage.PILOTING, by=alice, on=LATER, reason="Kick-off"
    )

    # then
    pilot.refresh_from_db()
    assert (pilot.stage, pilot.stage_entered_on) == (Stage.PILOTING, LATER)
    change.refresh_from_db()
    assert (change.from_stage, change.to_stage, change.changed_on, change.changed_by) == (
        Stage.PROPOSED,
        Stage.PILOTING,
        LATER,
        alice,
    )
    assert change.reason == "Kick-off"
    assert change.recorded_at is not None


@pytest.mark.parametrize(
    "from_stage, to_stage",
    [
        (Stage.PROPOSED, Stage.PILOTING),
        (Stage.PILOTING, Stage.AWAITING_DECISION),
        (Stage.SCALING, Stage.IN_PRODUCTION),
    ],
)
def test_it_makes_the_legal_manual_moves(alice, from_stage, to_stage):
    # given
    pilot = pilot_in_stage(owner=alice, stage=from_stage)
    changes_before = StageChange.objects.filter(pilot=pilot).count()

    # when
    pilot_stage_move(pilot=pilot, to_stage=to_stage, by=alice, on=LATER)

    # then
    assert Pilot.objects.get(pk=pilot.pk).stage == to_stage
    assert StageChange.objects.filter(pilot=pilot).count() == changes_before + 1
    assert stage_changes_of(pilot)[-1] == (from_stage, to_stage)


@pytest.mark.parametrize(
    "from_stage, to_stage, message",
    [
        (
            Stage.PROPOSED,
            Stage.AWAITING_DECISION,
            "A pilot cannot go from Proposed to Awaiting decision.",
        ),
        (
            Stage.PILOTING,
            Stage.SCALING,
            "A pilot cannot go from Piloting to Scaling by hand: that takes a stage-gate decision.",
        ),
        (
            Stage.AWAITING_DECISION,
            Stage.SCALING,
            "A pilot cannot go from Awaiting decision to Scaling by hand: that takes a "
            "stage-gate decision.",
        ),
        (
            Stage.AWAITING_DECISION,
            Stage.STOPPED,
            "A pilot cannot go from Awaiting decision to Stopped by hand: that takes a "
            "stage-gate decision.",
        ),
        (
            Stage.AWAITING_DECISION,
            Stage.PILOTING,
            "A pilot cannot go from Awaiting decision to Piloting by hand: that takes a "
            "stage-gate decision.",
        ),
        (Stage.PILOTING, Stage.IN_PRODUCTION, "A pilot cannot go from Piloting to In production."),
        (Stage.PILOTING, Stage.PROPOSED, "A pilot cannot go from Piloting to Proposed."),
        (
            Stage.SCALING,
            Stage.STOPPED,
            "A pilot cannot go from Scaling to Stopped by hand: that takes a stage-gate decision.",
        ),
        (
            Stage.IN_PRODUCTION,
            Stage.SCALING,
            "A pilot cannot go from In production to Scaling by hand: that takes a "
            "stage-gate decision.",
        ),
        (Stage.STOPPED, Stage.PROPOSED, "A pilot cannot go from Stopped to Proposed."),
        (
            Stage.RESEARCH,
            Stage.PILOTING,
            "A pilot cannot go from Research to Piloting by hand: that takes a stage-gate "
            "decision.",
        ),
    ],
)
def test_it_refuses_an_illegal_manual_move(alice, from_stage, to_stage, message):
    # given
    pilot = pilot_in_stage(owner=alice, stage=from_stage)
    before = list(StageChange.objects.filter(pilot=pilot).values_list("id", flat=True))

    # when
    with pytest.raises(ValidationError) as error:
        pilot_stage_move(pilot=pilot, to_stage=to_stage, by=alice, on=LATER)

    # then
    assert error.value.messages == [message]
    fresh = Pilot.objects.get(pk=pilot.pk)
    assert (fresh.stage, fresh.stage_entered_on) == (from_stage, DAY)
    assert list(StageChange.objects.filter(pilot=pilot).values_list("id", flat=True)) == before


def test_it_sets_the_go_live_date_when_a_scaling_pilot_goes_live(alice):
    # given
    pilot = pilot_in_stage(owner=alice, stage=Stage.SCALING)
    assert pilot.go_live_on is None

    # when
    pilot_stage_move(pilot=pilot, to_stage=Stage.IN_PRODUCTION, by=alice, on=LATER)

    # then
    pilot.refresh_from_db()
    assert (pilot.stage, pilot.go_live_on, pilot.stage_entered_on) == (
        Stage.IN_PRODUCTION,
        LATER,
        LATER,
    )


def test_it_records_every_stage_change_of_a_pilot_s_life(alice, executive):
    # given
    pilot = make_chartered_pilot(owner=alice, stage_entered_on=DAY)

    # when
    pilot_stage_move(pilot=pilot, to_stage=Stage.PILOTING, by=alice, on=DAY)
    pilot_stage_move(
        pilot=pilot, to_stage=Stage.AWAITING_DECISION, by=alice, on=DAY + timedelta(days=1)
    )
    decision_record(
        pilot=pilot,
        outcome="redesign",
        by=executive,
        rationale="Narrow to one queue",
        on=DAY + timedelta(days=2),
    )
    pilot_stage_move(
        pilot=pilot, to_stage=Stage.AWAITING_DECISION, by=alice, on=DAY + timedelta(days=3)
    )
    decision_record(
        pilot=pilot,
        outcome="scale",
        by=alice,
        rationale="Target hit",
        on=DAY + timedelta(days=4),
        **scale_ready(pilot, by=alice),
    )
    pilot_stage_move(
        pilot=pilot, to_stage=Stage.IN_PRODUCTION, by=alice, on=DAY + timedelta(days=5)
    )

    # then
    rows = list(
        StageChange.objects.filter(pilot=pilot)
        .order_by("id")
        .values_list("from_stage", "to_stage", "changed_on", "changed_by__email", "reason")
    )
    assert rows == [
        ("", "proposed", DAY, None, "Recorded"),
        ("proposed", "piloting", DAY, "alice@example.com", ""),
        ("piloting", "awaiting_decision", DAY + timedelta(days=1), "alice@example.com", ""),
        (
            "awaiting_decision",
            "piloting",
            DAY + timedelta(days=2),
            "erin@example.com",
            "Decision: Redesign. Narrow to one queue",
        ),
        ("piloting", "awaiting_decision", DAY + timedelta(days=3), "alice@example.com", ""),
        (
            "awaiting_decision",
            "scaling",
            DAY + timedelta(days=4),
            "alice@example.com",
            "Decision: Scale. Target hit",
        ),
        ("scaling", "in_production", DAY + timedelta(days=5), "alice@example.com", ""),
    ]


def test_it_refuses_a_stale_stage_move_instead_of_applying_it_twice(alice):
    # given: two copies of the same pilot; the first moves it
    pilot = make_chartered_pilot(owner=alice, stage_entered_on=DAY)
    stale = Pilot.objects.get(pk=pilot.pk)
    pilot_stage_move(pilot=pilot, to_stage=Stage.PILOTING, by=alice, on=DAY)

    # when
    with pytest.raises(ValidationError) as error:
        pilot_stage_move(pilot=stale, to_stage=Stage.PILOTING, by=alice, on=LATER)

    # then
    assert error.value.messages == ["The pilot's stage changed meanwhile; reload and try again."]
    pilot.refresh_from_db()
    assert (pilot.stage, pilot.stage_entered_on) == (Stage.PILOTING, DAY)
    assert stage_changes_of(pilot) == [("", Stage.PROPOSED), (Stage.PROPOSED, Stage.PILOTING)]


# --- Stage-gate decisions ---------------------------------------------------------


@pytest.mark.parametrize(
    "outcome, stage",
    [
        ("scale", Stage.SCALING),
        ("redesign", Stage.PILOTING),
        ("stop", Stage.STOPPED),
        ("research", Stage.RESEARCH),
    ],
)
def test_it_moves_the_pilot_where_the_decision_sends_it(alice, outcome, stage):
    # given
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY)
    ready = scale_ready(pilot, by=alice) if outcome == "scale" else {}

    # when
    decision = decision_record(
        pilot=pilot,
        outcome=outcome,
        by=alice,
        rationale="  The numbers say so ",
        conditions=" Review in 3 months ",
        on=LATER,
        **ready,
    )

    # then
    decision.refresh_from_db()
    assert (decision.pilot, decision.outcome, decision.decided_by, decision.decided_on) == (
        pilot,
        outcome,
        alice,
        LATER,
    )
    assert (decision.rationale, decision.conditions) == ("The numbers say so", "Review in 3 months")
    assert decision.supersedes is None
    pilot.refresh_from_db()
    assert (pilot.stage, pilot.stage_entered_on) == (stage, LATER)
    assert stage_changes_of(pilot)[-1] == (Stage.AWAITING_DECISION, stage)


@pytest.mark.parametrize("stage", [Stage.PROPOSED, Stage.PILOTING])
def test_it_stops_a_pilot_early_for_a_recorded_reason(alice, stage):
    pilot = pilot_in_stage(owner=alice, stage=stage)

    decision_record(
        pilot=pilot, outcome="stop", by=alice, rationale="The data does not exist", on=LATER
    )

    assert Pilot.objects.get(pk=pilot.pk).stage == Stage.STOPPED
    assert Decision.objects.get(pilot=pilot).outcome == "stop"


@pytest.mark.parametrize(
    "stage, outcome, message",
    [
        (
            Stage.PILOTING,
            "scale",
            "A Scale decision cannot be taken on a pilot that is piloting.",
        ),
        (
            Stage.PROPOSED,
            "research",
            "A Research decision cannot be taken on a pilot that is proposed.",
        ),
        (
            Stage.SCALING,
            "stop",
            "A Stop decision cannot be taken on a pilot that is scaling.",
        ),
        (
            Stage.STOPPED,
            "redesign",
            "A Redesign decision cannot be taken on a pilot that is stopped.",
        ),
    ],
)
def test_it_refuses_a_decision_from_the_wrong_stage(alice, stage, outcome, message):
    pilot = pilot_in_stage(owner=alice, stage=stage)
    decisions_before = Decision.objects.count()

    with pytest.raises(ValidationError) as error:
        decision_record(pilot=pilot, outcome=outcome, by=alice, rationale="Because")

    assert error.value.messages == [message]
    assert Decision.objects.count() == decisions_before
    assert Pilot.objects.get(pk=pilot.pk).stage == stage


@pytest.mark.parametrize("rationale", ["", "   \n "])
def test_it_refuses_a_decision_without_rationale(alice, rationale):
    # given
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY)

    # when
    with pytest.raises(ValidationError) as error:
        decision_record(pilot=pilot, outcome="stop", by=alice, rationale=rationale)

    # then
    assert error.value.message_dict == {"rationale": ["A decision needs its rationale."]}
    assert not Decision.objects.exists()
    assert Pilot.objects.get(pk=pilot.pk).stage == Stage.AWAITING_DECISION


def test_it_refuses_an_unknown_outcome(alice):
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY)

    with pytest.raises(ValidationError) as error:
        decision_record(pilot=pilot, outcome="pivot", by=alice, rationale="Because")

    assert error.value.message_dict == {"outcome": ["Unknown outcome 'pivot'."]}
    assert not Decision.objects.exists()


@pytest.mark.parametrize("decider", ["bob", "charlie"])
def test_it_refuses_a_decision_by_someone_without_decision_rights(
    request, alice, bob, charlie, decider
):
    # given: bob owns another pilot, charlie owns none
    make_awaiting_pilot(owner=bob, entered_on=DAY, title="Bob's pilot")
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY)
    user = request.getfixturevalue(decider)

    # when
    with pytest.raises(PermissionDenied) as error:
        decision_record(pilot=pilot, outcome="scale", by=user, rationale="Go")

    # then
    assert str(error.value) == "Only the pilot's decision maker or an executive decides on it."
    assert not Decision.objects.exists()
    pilot.refresh_from_db()
    assert (pilot.stage, pilot.stage_entered_on) == (Stage.AWAITING_DECISION, DAY)


def test_it_lets_an_executive_decide_on_any_pilot(alice, executive):
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY)

    decision = decision_record(
        pilot=pilot, outcome="research", by=executive, rationale="Not for production yet"
    )

    assert Decision.objects.get().decided_by == executive == decision.decided_by
    assert Pilot.objects.get(pk=pilot.pk).stage == Stage.RESEARCH


def test_it_gives_the_decision_to_the_named_decision_maker_instead_of_the_owner(alice, bob):
    # given: bob is named decision maker on alice's pilot
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, decision_maker=bob)

    # when: alice tries
    with pytest.raises(PermissionDenied):
        decision_record(pilot=pilot, outcome="scale", by=alice, rationale="Go")

    # then: nothing was written, and bob may decide
    assert not Decision.objects.exists()
    assert Pilot.objects.get(pk=pilot.pk).stage == Stage.AWAITING_DECISION
    decision_record(pilot=pilot, outcome="stop", by=bob, rationale="Not viable")
    assert Decision.objects.get().decided_by == bob
    assert Pilot.objects.get(pk=pilot.pk).stage == Stage.STOPPED


def test_it_lets_only_an_executive_decide_when_nobody_is_named(alice, executive):
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY)
    pilot_update(pilot=pilot, deployment_owner=None)

    with pytest.raises(PermissionDenied):
        decision_record(pilot=pilot, outcome="stop", by=alice, rationale="No owner")
    assert not Decision.objects.exists()

    decision_record(pilot=pilot, outcome="stop", by=executive, rationale="No owner")
    assert Pilot.objects.get(pk=pilot.pk).stage == Stage.STOPPED


def test_it_refuses_a_high_risk_scale_without_the_risk_owner_s_approval(alice, bob):
    # given
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, risk_tier="high", risk_owner=bob)

    # when
    with pytest.raises(ValidationError) as error:
        decision_record(pilot=pilot, outcome="scale", by=alice, rationale="Go")

    # then
    assert error.value.messages == [
        "A high-risk pilot cannot be scaled before its risk owner's approval is recorded."
    ]
    assert not Decision.objects.exists()
    assert Pilot.objects.get(pk=pilot.pk).stage == Stage.AWAITING_DECISION


def test_it_refuses_a_high_risk_scale_without_a_named_risk_owner(alice):
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, risk_tier="high")

    with pytest.raises(ValidationError) as error:
        decision_record(pilot=pilot, outcome="scale", by=alice, rationale="Go")

    assert error.value.messages == ["A high-risk pilot needs a named risk owner before Scale."]
    assert not Decision.objects.exists()


def test_it_scales_a_high_risk_pilot_after_the_risk_owner_s_approval(alice, bob):
    # given
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, risk_tier="high", risk_owner=bob)
    approval = risk_approval_record(pilot=pilot, by=bob, note=" Controls in place ", on=DAY)

    ready = scale_ready(pilot, by=alice)

    # when
    decision_record(pilot=pilot, outcome="scale", by=alice, rationale="Go", on=LATER, **ready)

    # then
    approval.refresh_from_db()
    assert (approval.approved_by, approval.approved_on, approval.note) == (
        bob,
        DAY,
        "Controls in place",
    )
    assert Pilot.objects.get(pk=pilot.pk).stage == Stage.SCALING


def test_it_needs_the_current_risk_owner_s_approval_not_a_former_one(alice, bob, charlie):
    # given: bob approved, then charlie became the risk owner
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, risk_tier="high", risk_owner=bob)
    risk_approval_record(pilot=pilot, by=bob)
    pilot_update(pilot=pilot, risk_owner=charlie)
    ready = scale_ready(pilot, by=alice)

    # when / then
    with pytest.raises(ValidationError) as error:
        decision_record(pilot=pilot, outcome="scale", by=alice, rationale="Go", **ready)
    assert error.value.messages == [
        "A high-risk pilot cannot be scaled before its risk owner's approval is recorded."
    ]
    assert Pilot.objects.get(pk=pilot.pk).stage == Stage.AWAITING_DECISION


@pytest.mark.parametrize("outcome", ["stop", "redesign", "research"])
def test_it_needs_no_risk_approval_for_other_high_risk_outcomes(alice, bob, outcome):
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, risk_tier="high", risk_owner=bob)

    decision_record(pilot=pilot, outcome=outcome, by=alice, rationale="Because")

    assert Decision.objects.get(pilot=pilot).outcome == outcome


def test_it_needs_no_risk_approval_to_scale_a_medium_risk_pilot(alice):
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, risk_tier="medium")

    decision_record(
        pilot=pilot, outcome="scale", by=alice, rationale="Go", **scale_ready(pilot, by=alice)
    )

    assert Pilot.objects.get(pk=pilot.pk).stage == Stage.SCALING


@pytest.mark.parametrize("approver", ["alice", "charlie", "executive"])
def test_it_lets_only_the_risk_owner_record_the_risk_approval(
    request, alice, bob, charlie, executive, approver
):
    # given
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, risk_tier="high", risk_owner=bob)

    # when
    with pytest.raises(PermissionDenied) as error:
        risk_approval_record(pilot=pilot, by=request.getfixturevalue(approver))

    # then
    assert str(error.value) == "Only the pilot's named risk owner approves its risk."
    assert not RiskApproval.objects.exists()


def test_it_refuses_a_risk_approval_when_no_risk_owner_is_named(alice):
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, risk_tier="high")

    with pytest.raises(PermissionDenied):
        risk_approval_record(pilot=pilot, by=alice)

    assert not RiskApproval.objects.exists()


def test_it_supersedes_the_earlier_decision_with_a_later_one(alice):
    # given
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY)
    first = decision_record(
        pilot=pilot, outcome="redesign", by=alice, rationale="Narrow the scope", on=DAY
    )
    pilot_stage_move(pilot=pilot, to_stage=Stage.AWAITING_DECISION, by=alice, on=LATER)

    # when
    second = decision_record(
        pilot=pilot,
        outcome="scale",
        by=alice,
        rationale="Target hit",
        on=LATER,
        **scale_ready(pilot, by=alice),
    )

    # then
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.supersedes == first
    assert first.superseded_by == second
    assert first.outcome == "redesign"
    assert first.rationale == "Narrow the scope"
    assert Decision.objects.filter(pilot=pilot).count() == 2


def test_it_refuses_a_stale_decision_instead_of_applying_it_twice(alice, executive):
    # given: two copies of the same awaiting pilot; the first is decided
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY)
    stale = Pilot.objects.get(pk=pilot.pk)
    ready = scale_ready(pilot, by=alice)
    decision_record(pilot=pilot, outcome="scale", by=alice, rationale="Go", on=LATER, **ready)

    # when
    with pytest.raises(ValidationError) as error:
        decision_record(pilot=stale, outcome="stop", by=executive, rationale="No")

    # then
    assert error.value.messages == ["The pilot's stage changed meanwhile; reload and try again."]
    assert list(Decision.objects.values_list("outcome", flat=True)) == ["scale"]
    pilot.refresh_from_db()
    assert (pilot.stage, pilot.stage_entered_on) == (Stage.SCALING, LATER)
    assert stage_changes_of(pilot)[-1] == (Stage.AWAITING_DECISION, Stage.SCALING)
    assert StageChange.objects.filter(pilot=pilot, to_stage=Stage.STOPPED).count() == 0


def test_it_refuses_a_stale_decision_on_a_pilot_decided_before(alice, executive):
    # given: a redesigned pilot back awaiting; two people hold it, the first decides
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY)
    first = decision_record(pilot=pilot, outcome="redesign", by=alice, rationale="Narrow", on=DAY)
    pilot_stage_move(pilot=pilot, to_stage=Stage.AWAITING_DECISION, by=alice, on=DAY)
    stale = Pilot.objects.get(pk=pilot.pk)
    second = decision_record(
        pilot=pilot,
        outcome="scale",
        by=alice,
        rationale="Go",
        on=LATER,
        **scale_ready(pilot, by=alice),
    )

    # when
    with pytest.raises(ValidationError) as error:
        decision_record(pilot=stale, outcome="stop", by=executive, rationale="No")

    # then
    assert error.value.messages == ["The pilot's stage changed meanwhile; reload and try again."]
    assert list(Decision.objects.order_by("id")) == [first, second]
    assert Pilot.objects.get(pk=pilot.pk).stage == Stage.SCALING


def test_it_refuses_a_redesign_when_the_charter_no_longer_answers(alice):
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY)
    PathItem.objects.filter(pilot=pilot).delete()

    with pytest.raises(ValidationError) as error:
        decision_record(pilot=pilot, outcome="redesign", by=alice, rationale="Rescope")

    assert error.value.messages == [
        f"The pilot cannot start before its charter answers: {MISSING_PATH}."
    ]
    assert not Decision.objects.exists()
    assert Pilot.objects.get(pk=pilot.pk).stage == Stage.AWAITING_DECISION


# --- Deferrals --------------------------------------------------------------------


def test_it_records_a_deferral_and_keeps_the_pilot_awaiting(alice):
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY)

    deferral = decision_defer(pilot=pilot, by=alice, reason=" Waiting for legal ", on=LATER)

    deferral.refresh_from_db()
    assert (deferral.pilot, deferral.deferred_by, deferral.deferred_on, deferral.reason) == (
        pilot,
        alice,
        LATER,
        "Waiting for legal",
    )
    pilot.refresh_from_db()
    assert (pilot.stage, pilot.stage_entered_on) == (Stage.AWAITING_DECISION, DAY)
    assert not Decision.objects.exists()


@pytest.mark.parametrize(
    "stage", [Stage.PROPOSED, Stage.PILOTING, Stage.SCALING, Stage.STOPPED, Stage.IN_PRODUCTION]
)
def test_it_defers_only_a_decision_that_is_due(alice, stage):
    pilot = pilot_in_stage(owner=alice, stage=stage)

    with pytest.raises(ValidationError) as error:
        decision_defer(pilot=pilot, by=alice, reason="Next meeting")

    assert error.value.messages == ["Only a decision that is due can be deferred."]
    assert not Deferral.objects.exists()


@pytest.mark.parametrize("reason", ["", "  "])
def test_it_refuses_a_deferral_without_reason(alice, reason):
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY)

    with pytest.raises(ValidationError) as error:
        decision_defer(pilot=pilot, by=alice, reason=reason)

    assert error.value.message_dict == {"reason": ["A deferral needs its reason."]}
    assert not Deferral.objects.exists()


def test_it_refuses_a_deferral_by_someone_without_decision_rights(alice, charlie, executive):
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY)

    with pytest.raises(PermissionDenied):
        decision_defer(pilot=pilot, by=charlie, reason="Next meeting")
    assert not Deferral.objects.exists()

    decision_defer(pilot=pilot, by=executive, reason="Next meeting")
    assert Deferral.objects.get().deferred_by == executive


def test_it_refuses_a_deferral_on_a_stale_pilot_already_decided(alice):
    # given: two copies of the same awaiting pilot; the first is decided
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY)
    stale = Pilot.objects.get(pk=pilot.pk)
    decision_record(pilot=pilot, outcome="stop", by=alice, rationale="No", on=LATER)

    # when
    with pytest.raises(ValidationError) as error:
        decision_defer(pilot=stale, by=alice, reason="Next meeting")

    # then
    assert error.value.messages == ["The pilot's stage changed meanwhile; reload and try again."]
    assert not Deferral.objects.exists()


# --- Immutable records ------------------------------------------------------------


def test_it_never_edits_or_deletes_a_decision(alice):
    # given
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY)
    decision = decision_record(pilot=pilot, outcome="stop", by=alice, rationale="No")

    # when / then
    decision.rationale = "Rewritten history"
    with pytest.raises(ValidationError) as error:
        decision.save()
    assert error.value.messages == ["A stage-gate decision is never edited."]
    with pytest.raises(ValidationError) as error:
        decision.delete()
    assert error.value.messages == ["A stage-gate decision is never deleted."]
    assert list(Decision.objects.values_list("rationale", flat=True)) == ["No"]


def test_it_never_edits_or_deletes_a_deferral(alice):
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY)
    deferral = decision_defer(pilot=pilot, by=alice, reason="Next meeting")

    deferral.reason = "Something else"
    with pytest.raises(ValidationError) as error:
        deferral.save()
    assert error.value.messages == ["A deferral is never edited."]
    with pytest.raises(ValidationError) as error:
        deferral.delete()
    assert error.value.messages == ["A deferral is never deleted."]
    assert list(Deferral.objects.values_list("reason", flat=True)) == ["Next meeting"]


def test_it_never_edits_or_deletes_a_risk_approval(alice, bob):
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY, risk_tier="high", risk_owner=bob)
    approval = risk_approval_record(pilot=pilot, by=bob, note="Fine")

    approval.note = "Changed"
    with pytest.raises(ValidationError):
        approval.save()
    with pytest.raises(ValidationError):
        approval.delete()
    assert list(RiskApproval.objects.values_list("note", flat=True)) == ["Fine"]


# --- Dates and stale copies -------------------------------------------------------


def test_it_refuses_a_move_dated_before_the_stage_began(alice):
    pilot = make_chartered_pilot(owner=alice, stage_entered_on=LATER)

    with pytest.raises(ValidationError) as error:
        pilot_stage_move(pilot=pilot, to_stage=Stage.PILOTING, by=alice, on=DAY)

    assert error.value.messages == [
        f"The date {DAY} comes before the pilot entered its stage on {LATER}."
    ]
    pilot.refresh_from_db()
    assert pilot.stage == Stage.PROPOSED


def test_it_refuses_a_second_decision_taken_from_a_stale_copy(alice, executive):
    # given: two people hold the same pilot awaiting decision; one decides
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY)
    stale = Pilot.objects.get(pk=pilot.pk)
    decision_record(pilot=pilot, outcome="stop", by=alice, rationale="No value")

    # when
    with pytest.raises(ValidationError) as error:
        decision_record(pilot=stale, outcome="scale", by=executive, rationale="Go")

    # then: the first decision stands alone
    assert error.value.messages == ["The pilot's stage changed meanwhile; reload and try again."]
    assert [d.outcome for d in pilot.decisions.all()] == ["stop"]
    pilot.refresh_from_db()
    assert pilot.stage == Stage.STOPPED


@pytest.mark.parametrize("role", ["admin", "reviewer", "owner"])
def test_it_refuses_a_stage_move_by_someone_who_does_not_own_the_pilot(alice, role):
    # given: a chartered pilot of alice's, and a governance admin, a reviewer or another owner
    pilot = make_chartered_pilot(owner=alice, stage_entered_on=DAY)
    outsider = UserFactory(role=role)

    # when / then: refused, nothing recorded
    with pytest.raises(PermissionDenied):
        pilot_stage_move(pilot=pilot, to_stage=Stage.PILOTING, by=outsider, on=LATER)
    pilot.refresh_from_db()
    assert pilot.stage == Stage.PROPOSED
    assert stage_changes_of(pilot) == [("", Stage.PROPOSED)]
