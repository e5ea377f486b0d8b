"""Gate services: readiness, evidence, reviews and sign-offs."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gates.models import Criterion, Evidence, EvidenceStatus, GateStatus, SignOff
from gates.services import evidence_review, evidence_submit, readiness_refresh, signoff_record
from portfolio.models import Pilot
from tests.factories import (
    criteria,
    criterion_meet,
    gate_meet,
    make_chartered_pilot,
    make_pilot,
    reviewer,
)


def status(pilot: Pilot, key: str) -> GateStatus:
    return GateStatus.objects.get(pilot=pilot, gate__key=key)


def statuses(pilot: Pilot) -> dict[str, str]:
    return dict(GateStatus.objects.filter(pilot=pilot).values_list("gate__key", "status"))


def required(key: str, *, function: str | None = None) -> Criterion:
    """The first required criterion of a gate (with that function, when given)."""
    return next(
        c for c in criteria(key) if c.required and (function is None or c.function == function)
    )


def accepted_evidence(pilot: Pilot, criterion: Criterion, by) -> Evidence:
    evidence = evidence_submit(pilot=pilot, criterion=criterion, by=by, text="Proof")
    return evidence_review(
        evidence=evidence, by=reviewer(criterion.function or "business"), accept=True
    )


def sign(pilot: Pilot, criterion: Criterion, verdict: str = "signed_off", comment: str = ""):
    return signoff_record(
        pilot=pilot,
        criterion=criterion,
        by=reviewer(criterion.function),
        verdict=verdict,
        comment=comment,
    )


# --- Statuses by risk tier --------------------------------------------------------


def test_it_gives_a_new_medium_pilot_six_open_gates(alice):
    pilot = make_pilot(deployment_owner=alice, risk_tier="medium")

    assert statuses(pilot) == dict.fromkeys(
        ["ownership", "data", "integration", "value", "adoption", "governance"], "open"
    )
    assert (
        status(pilot, "ownership").criteria_met,
        status(pilot, "ownership").criteria_required,
    ) == (
        0,
        2,
    )


def test_it_puts_a_low_tier_pilot_on_the_fast_track(alice):
    pilot = make_pilot(deployment_owner=alice, risk_tier="low")

    assert statuses(pilot) == {
        "ownership": "open",
        "data": "not_applicable",
        "integration": "open",
        "value": "open",
        "adoption": "not_applicable",
        "governance": "not_applicable",
    }
    assert status(pilot, "data").criteria_required == 0


@pytest.mark.parametrize("tier", ["low", "medium", "high"])
def test_it_passes_a_gate_on_its_required_criteria_only(alice, tier):
    # given: the ownership gate has a criterion that is not required
    optional = [c for c in criteria("ownership") if not c.required]
    assert optional
    pilot = make_chartered_pilot(owner=alice, risk_tier=tier)

    # when
    gate_meet(pilot=pilot, key="ownership", by=alice)

    # then
    ownership = status(pilot, "ownership")
    assert (ownership.status, ownership.criteria_met, ownership.criteria_required) == (
        "passed",
        2,
        2,
    )
    assert not Evidence.objects.filter(pilot=pilot, criterion__in=optional).exists()


def test_it_passes_a_gate_when_every_required_criterion_is_met(alice):
    # given
    pilot = make_chartered_pilot(owner=alice)
    integration = [c for c in criteria("integration") if c.required]

    # when: all but the last
    for criterion in integration[:-1]:
        criterion_meet(pilot=pilot, criterion=criterion, by=alice)

    # then
    gate = status(pilot, "integration")
    assert (gate.status, gate.criteria_met, gate.criteria_required) == (
        "open",
        len(integration) - 1,
        len(integration),
    )
    criterion_meet(pilot=pilot, criterion=integration[-1], by=alice)
    assert status(pilot, "integration").status == "passed"
    assert statuses(pilot)["data"] == "open"


def test_it_keeps_a_criterion_unmet_with_accepted_evidence_but_no_sign_off(alice):
    pilot = make_chartered_pilot(owner=alice)
    criterion = required("value", function="finance")

    accepted_evidence(pilot, criterion, alice)

    assert status(pilot, "value").criteria_met == 0


def test_it_keeps_a_criterion_unmet_with_a_sign_off_but_no_accepted_evidence(alice):
    pilot = make_chartered_pilot(owner=alice)
    criterion = required("value", function="finance")
    evidence_submit(pilot=pilot, criterion=criterion, by=alice, text="Plan attached")

    sign(pilot, criterion)

    assert status(pilot, "value").criteria_met == 0


def test_it_meets_a_criterion_without_function_on_accepted_evidence_alone(alice):
    # given: "Baseline measured before the pilot" belongs to no function
    pilot = make_chartered_pilot(owner=alice)
    criterion = required("value", function="")

    # when
    accepted_evidence(pilot, criterion, alice)

    # then
    assert status(pilot, "value").criteria_met == 1


def test_it_does_not_count_pending_evidence(alice):
    pilot = make_chartered_pilot(owner=alice)
    criterion = required("value", function="")

    evidence = evidence_submit(pilot=pilot, criterion=criterion, by=alice, link="https://x.test/b")
    readiness_refresh(pilot_ids=[pilot.id])

    assert Evidence.objects.get(pk=evidence.pk).status == EvidenceStatus.PENDING
    assert status(pilot, "value").criteria_met == 0


def test_it_does_not_count_rejected_evidence(alice):
    # given
    pilot = make_chartered_pilot(owner=alice)
    criterion = required("value", function="")
    evidence = evidence_submit(pilot=pilot, criterion=criterion, by=alice, text="A guess")

    # when
    evidence_review(
        evidence=evidence, by=reviewer("business"), accept=False, comment="Not measured"
    )

    # then
    evidence.refresh_from_db()
    assert (evidence.status, evidence.review_comment) == ("rejected", "Not measured")
    assert evidence.reviewed_by == reviewer("business")
    assert status(pilot, "value").criteria_met == 0


def test_it_counts_new_accepted_evidence_after_a_rejection(alice):
    pilot = make_chartered_pilot(owner=alice)
    criterion = required("value", function="")
    first = evidence_submit(pilot=pilot, criterion=criterion, by=alice, text="A guess")
    evidence_review(evidence=first, by=reviewer("business"), accept=False, comment="Not measured")

    accepted_evidence(pilot, criterion, alice)

    assert status(pilot, "value").criteria_met == 1


def test_it_counts_evidence_only_for_its_own_pilot(alice, bob):
    pilot = make_chartered_pilot(owner=alice)
    other = make_chartered_pilot(owner=bob, title="Other")

    gate_meet(pilot=other, key="ownership", by=bob)

    assert status(other, "ownership").status == "passed"
    assert status(pilot, "ownership").status == "open"


# --- Objections -------------------------------------------------------------------


def test_it_blocks_a_gate_on_an_objection(alice):
    # given: a passed gate
    pilot = make_chartered_pilot(owner=alice)
    gate_meet(pilot=pilot, key="data", by=alice)
    assert status(pilot, "data").status == "passed"

    # when
    objection = sign(
        pilot, required("data", function="legal"), "objected", comment="  No DPIA yet "
    )

    # then
    objection.refresh_from_db()
    assert (objection.function, objection.verdict, objection.comment) == (
        "legal",
        "objected",
        "No DPIA yet",
    )
    gate = status(pilot, "data")
    assert (gate.status, gate.criteria_met) == ("blocked", 3)


def test_it_blocks_a_gate_on_an_objection_to_a_criterion_that_is_not_required(alice):
    pilot = make_chartered_pilot(owner=alice)
    optional = next(c for c in criteria("ownership") if not c.required and c.function)

    sign(pilot, optional, "objected", comment="Nobody drives this after the pilot")

    assert status(pilot, "ownership").status == "blocked"


def test_it_lets_a_later_sign_off_supersede_an_objection(alice):
    # given
    pilot = make_chartered_pilot(owner=alice)
    criterion = required("data", function="legal")
    for other in criteria("data"):
        if other != criterion:
            criterion_meet(pilot=pilot, criterion=other, by=alice)
    accepted_evidence(pilot, criterion, alice)
    sign(pilot, criterion, "objected", comment="No DPIA yet")
    assert status(pilot, "data").status == "blocked"

    # when
    sign(pilot, criterion, "signed_off", comment="DPIA done")

    # then
    assert status(pilot, "data").status == "passed"
    assert list(
        SignOff.objects.filter(pilot=pilot, criterion=criterion).values_list("verdict", flat=True)
    ) == ["objected", "signed_off"]


def test_it_lets_a_later_objection_supersede_a_sign_off(alice):
    pilot = make_chartered_pilot(owner=alice)
    gate_meet(pilot=pilot, key="integration", by=alice)
    assert status(pilot, "integration").status == "passed"

    sign(pilot, required("integration", function="it"), "objected", comment="Fallback fails")

    gate = status(pilot, "integration")
    assert (gate.status, gate.criteria_met) == ("blocked", gate.criteria_required - 1)


def test_it_refuses_a_sign_off_by_a_reviewer_of_another_function(alice):
    # given
    pilot = make_chartered_pilot(owner=alice)
    criterion = required("data", function="legal")
    accepted_evidence(pilot, criterion, alice)
    before = statuses(pilot)

    # when
    with pytest.raises(PermissionDenied) as error:
        signoff_record(pilot=pilot, criterion=criterion, by=reviewer("it"), verdict="signed_off")

    # then
    assert str(error.value).startswith("Only a Legal stakeholder reviewer signs this criterion")
    assert not SignOff.objects.exists()
    assert statuses(pilot) == before


def test_it_refuses_an_objection_without_a_comment(alice):
    pilot = make_chartered_pilot(owner=alice)
    criterion = required("data", function="legal")

    with pytest.raises(ValidationError) as error:
        sign(pilot, criterion, "objected", comment="   ")

    assert error.value.message_dict == {
        "comment": ["An objection needs a comment saying what is wrong."]
    }
    assert not SignOff.objects.exists()
    assert status(pilot, "data").status == "open"


def test_it_refuses_a_sign_off_on_a_criterion_without_function(alice):
    pilot = make_chartered_pilot(owner=alice)

    with pytest.raises(ValidationError) as error:
        signoff_record(
            pilot=pilot,
            criterion=required("value", function=""),
            by=reviewer("business"),
            verdict="signed_off",
        )

    assert error.value.messages == [
        "This criterion needs no sign-off: accepted evidence proves it."
    ]
    assert not SignOff.objects.exists()


def test_it_refuses_a_sign_off_on_a_criterion_outside_the_tier(alice):
    pilot = make_chartered_pilot(owner=alice, risk_tier="low")

    with pytest.raises(ValidationError) as error:
        sign(pilot, required("data", function="legal"))

    assert error.value.messages == [
        "This criterion does not apply to a low (fast track) risk pilot."
    ]
    assert not SignOff.objects.exists()


def test_it_never_edits_or_deletes_a_sign_off(alice):
    pilot = make_chartered_pilot(owner=alice)
    signoff = sign(pilot, required("data", function="legal"), "objected", comment="No DPIA")

    signoff.verdict = "signed_off"
    with pytest.raises(ValidationError) as error:
        signoff.save()
    assert error.value.messages == ["A sign-off is never edited."]
    with pytest.raises(ValidationError) as error:
        signoff.delete()
    assert error.value.messages == ["A sign-off is never deleted."]
    assert list(SignOff.objects.values_list("verdict", flat=True)) == ["objected"]
    assert status(pilot, "data").status == "blocked"


# --- Evidence ---------------------------------------------------------------------


def test_it_submits_evidence_awaiting_review(alice):
    pilot = make_chartered_pilot(owner=alice)
    criterion = required("ownership")

    evidence = evidence_submit(
        pilot=pilot, criterion=criterion, by=alice, text=" Org chart ", link=" https://x.test/o "
    )

    evidence.refresh_from_db()
    assert (evidence.text, evidence.link, evidence.status, evidence.submitted_by) == (
        "Org chart",
        "https://x.test/o",
        "pending",
        alice,
    )
    assert evidence.reviewed_by is None


@pytest.mark.parametrize("text, link", [("", ""), ("  ", " ")])
def test_it_refuses_evidence_without_text_or_link(alice, text, link):
    pilot = make_chartered_pilot(owner=alice)

    with pytest.raises(ValidationError) as error:
        evidence_submit(
            pilot=pilot, criterion=required("ownership"), by=alice, text=text, link=link
        )

    assert error.value.messages == ["Evidence needs a text, a link or a file."]
    assert not Evidence.objects.exists()


def test_it_refuses_evidence_with_a_link_that_is_not_a_url(alice):
    pilot = make_chartered_pilot(owner=alice)

    with pytest.raises(ValidationError) as error:
        evidence_submit(pilot=pilot, criterion=required("ownership"), by=alice, link="not a url")

    assert list(error.value.message_dict) == ["link"]
    assert not Evidence.objects.exists()


def test_it_refuses_evidence_on_a_criterion_that_does_not_apply_to_the_tier(alice):
    # given: a low-tier pilot and a governance criterion
    pilot = make_chartered_pilot(owner=alice, risk_tier="low")

    # when
    with pytest.raises(ValidationError) as error:
        evidence_submit(pilot=pilot, criterion=required("governance"), by=alice, text="Risk memo")

    # then
    assert error.value.messages == [
        "This criterion does not apply to a low (fast track) risk pilot."
    ]
    assert not Evidence.objects.exists()


def test_it_refuses_to_review_the_same_evidence_twice(alice):
    # given
    pilot = make_chartered_pilot(owner=alice)
    evidence = accepted_evidence(pilot, required("value", function=""), alice)
    reviewed_at = evidence.reviewed_at

    # when
    with pytest.raises(ValidationError) as error:
        evidence_review(evidence=evidence, by=reviewer("business"), accept=False, comment="No")

    # then
    assert error.value.messages == ["This evidence has already been reviewed."]
    evidence.refresh_from_db()
    assert (evidence.status, evidence.reviewed_by, evidence.reviewed_at) == (
        "accepted",
        reviewer("business"),
        reviewed_at,
    )
    assert evidence.review_comment == ""
    assert status(pilot, "value").criteria_met == 1


def test_it_refuses_a_review_from_a_stale_copy_of_the_evidence(alice):
    pilot = make_chartered_pilot(owner=alice)
    evidence = evidence_submit(
        pilot=pilot, criterion=required("value", function=""), by=alice, text="Baseline"
    )
    stale = Evidence.objects.get(pk=evidence.pk)
    evidence_review(evidence=evidence, by=reviewer("business"), accept=False, comment="Too old")

    with pytest.raises(ValidationError):
        evidence_review(evidence=stale, by=reviewer("business"), accept=True)

    assert Evidence.objects.get(pk=evidence.pk).status == "rejected"
    assert status(pilot, "value").criteria_met == 0


def test_it_refuses_a_rejection_without_a_comment(alice):
    pilot = make_chartered_pilot(owner=alice)
    evidence = evidence_submit(pilot=pilot, criterion=required("ownership"), by=alice, text="X")

    with pytest.raises(ValidationError) as error:
        evidence_review(
            evidence=evidence,
            by=reviewer(required("ownership").function or "business"),
            accept=False,
            comment=" ",
        )

    assert error.value.message_dict == {"review_comment": ["Say why the evidence is rejected."]}
    evidence.refresh_from_db()
    assert (evidence.status, evidence.reviewed_by) == ("pending", None)


# --- Refreshing readiness ---------------------------------------------------------


def test_it_refreshes_every_pilot_when_no_ids_are_given(alice, bob):
    # given: two pilots, and a governance admin drops the data gate for medium risk
    first = make_chartered_pilot(owner=alice)
    second = make_chartered_pilot(owner=bob, title="Other")
    Criterion.objects.filter(gate__key="data").update(applies_to_medium=False)
    assert statuses(first)["data"] == statuses(second)["data"] == "open"

    # when
    written = readiness_refresh(pilot_ids=None)

    # then
    assert written == 12
    assert statuses(first)["data"] == statuses(second)["data"] == "not_applicable"
    assert GateStatus.objects.count() == 12


def test_it_restores_missing_gate_statuses(alice):
    pilot = make_chartered_pilot(owner=alice)
    GateStatus.objects.all().delete()

    readiness_refresh(pilot_ids=None)

    assert len(statuses(pilot)) == 6


def test_it_refreshes_only_the_given_pilots(alice, bob):
    first = make_chartered_pilot(owner=alice)
    second = make_chartered_pilot(owner=bob, title="Other")
    Criterion.objects.filter(gate__key="data").update(applies_to_medium=False)

    assert readiness_refresh(pilot_ids=[first.id]) == 6

    assert (statuses(first)["data"], statuses(second)["data"]) == ("not_applicable", "open")


def _pilots_with_readiness(count: int, *, start: int) -> None:
    for n in range(start, start + count):
        owner = reviewer("business") if n % 2 else None
        delivery = reviewer("operations")  # records the evidence: edits the pilot
        pilot = make_pilot(title=f"Pilot {n}", deployment_owner=owner, delivery_owner=delivery)
        gate_meet(pilot=pilot, key="ownership", by=delivery)
        sign(pilot, required("data", function="legal"), "objected", comment="No DPIA")
        evidence_submit(pilot=pilot, criterion=required("value"), by=delivery, text="x")


def test_it_refreshes_readiness_in_a_number_of_queries_independent_of_pilots(db):
    # given
    _pilots_with_readiness(2, start=0)
    with CaptureQueriesContext(connection) as few:
        assert readiness_refresh(pilot_ids=None) == 12
    _pilots_with_readiness(10, start=2)

    # when
    with CaptureQueriesContext(connection) as many:
        written = readiness_refresh(pilot_ids=None)

    # then
    assert written == 72
    assert len(many) == len(few)
    assert GateStatus.objects.filter(gate__key="ownership", status="passed").count() == 12
    assert GateStatus.objects.filter(gate__key="data", status="blocked").count() == 12


def test_it_refuses_evidence_from_someone_who_does_not_edit_the_pilot(alice, charlie):
    # given: alice owns the pilot; charlie has nothing to do with it
    pilot = make_chartered_pilot(owner=alice)

    # when / then
    with pytest.raises(PermissionDenied):
        evidence_submit(pilot=pilot, criterion=required("value"), by=charlie, text="Trust me")
    assert not Evidence.objects.exists()
    evidence_submit(pilot=pilot, criterion=required("value"), by=alice, text="Baseline study")
    assert Evidence.objects.count() == 1
