"""Evidence and sign-offs that expire: the day they stop counting, the daily job that
derives readiness again set-based, re-confirmation, the owners warned ahead, a live
system's lapse, and the sign-offs a material change voids."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gates.models import ChecklistEvent, Evidence, GateStatus, SignOff, Verdict
from gates.selectors import expiring_soon, pilot_checklist
from gates.services import (
    add_months,
    evidence_reconfirm,
    evidence_review,
    evidence_submit,
    readiness_expiry_record,
    signoff_record,
)
from portfolio.models import Pilot, Stage
from portfolio.services.parts import metric_set
from portfolio.services.pilots import pilot_update
from portfolio.tasks import daily_checks_record
from tests.factories import criteria, gate_meet, make_chartered_pilot, reviewer

ACCEPTED_ON = "2026-01-15 10:00:00+00:00"


def security_clearance():
    return next(c for c in criteria("data") if c.text == "Security clearance")


def gate_status(pilot: Pilot, key: str) -> str:
    return GateStatus.objects.get(pilot=pilot, gate__key=key).status


def data_gate_met(pilot: Pilot, owner) -> None:
    with time_machine.travel(ACCEPTED_ON, tick=False):
        gate_meet(pilot=pilot, key="data", by=owner)


def test_the_seeded_criteria_carry_their_validity_periods(db):
    validity = {c.text: c.validity_months for c in criteria("data") + criteria("integration")}

    assert validity["Security clearance"] == 12
    assert validity["Data privacy compliance"] == 12
    assert validity["Integration stability"] == 6
    assert validity["Rollback procedure"] is None


def test_it_adds_months_to_the_last_day_of_a_shorter_month():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 15), 12) == date(2027, 11, 15)
    assert add_months(date(2026, 8, 10), 6) == date(2027, 2, 10)


def test_it_holds_until_the_validity_and_expires_on_the_day(alice):
    # given: the data gate met on 15 January 2026 (security clearance valid 12 months)
    pilot = make_chartered_pilot(owner=alice)
    data_gate_met(pilot, alice)
    evidence = Evidence.objects.get(pilot=pilot, criterion=security_clearance())
    assert evidence.valid_until == date(2027, 1, 15)

    # when: the daily job the day before, then on the day
    with time_machine.travel("2027-01-14 06:00:00+00:00", tick=False):
        before = daily_checks_record(as_of=date(2027, 1, 14))
    assert before["expired_evidence"] == 0 and gate_status(pilot, "data") == "passed"
    with time_machine.travel("2027-01-15 06:00:00+00:00", tick=False):
        counts = readiness_expiry_record(as_of=date(2027, 1, 15))
        checklist = pilot_checklist(pilot=pilot)

    # then: the evidence and sign-offs of security clearance and data privacy compliance
    # (both valid 12 months) expired, the gate is open again
    assert counts == {"evidence": 2, "signoffs": 2, "pilots": 1}
    assert gate_status(pilot, "data") == "open"
    summaries = set(ChecklistEvent.objects.filter(pilot=pilot).values_list("summary", flat=True))
    assert summaries == {
        "Evidence for “Security clearance” expired: it no longer meets the criterion",
        "Security sign-off of “Security clearance” expired: to re-confirm",
        "Evidence for “Data privacy compliance” expired: it no longer meets the criterion",
        "Legal sign-off of “Data privacy compliance” expired: to re-confirm",
    }
    assert all(e.at.date() == date(2027, 1, 15) for e in ChecklistEvent.objects.all())
    item = next(i for g in checklist for i in g.items if i.criterion.text == "Security clearance")
    assert not item.met and item.signoff_expired and item.evidence[-1].expired
    assert item.next_step.startswith("Owner: the evidence expired")


def test_a_second_run_on_the_same_day_records_nothing(alice):
    pilot = make_chartered_pilot(owner=alice)
    data_gate_met(pilot, alice)

    first = readiness_expiry_record(as_of=date(2027, 2, 1))
    again = readiness_expiry_record(as_of=date(2027, 2, 1))

    assert first["evidence"] == 2  # security clearance and data privacy compliance
    assert again == {"evidence": 0, "signoffs": 0, "pilots": 0}


def test_the_stated_expiry_wins_when_earlier(alice):
    pilot = make_chartered_pilot(owner=alice)
    with time_machine.travel(ACCEPTED_ON, tick=False):
        evidence = evidence_submit(
            pilot=pilot,
            criterion=security_clearance(),
            by=alice,
            text="Pen test certificate",
            expires_on=date(2026, 6, 30),
        )
        evidence = evidence_review(evidence=evidence, by=reviewer("security"), accept=True)

    assert evidence.valid_until == date(2026, 6, 30)


def test_it_refuses_an_expiry_date_in_the_past(alice):
    pilot = make_chartered_pilot(owner=alice)

    with pytest.raises(ValidationError) as refused:
        evidence_submit(
            pilot=pilot,
            criterion=security_clearance(),
            by=alice,
            text="Old certificate",
            expires_on=date(2020, 1, 1),
        )
    assert "expires_on" in refused.value.error_dict
    assert not Evidence.objects.exists()


def test_the_daily_job_takes_the_same_queries_for_one_pilot_or_many(alice):
    def expiring_pilots(n: int) -> None:
        for i in range(n):
            data_gate_met(make_chartered_pilot(owner=alice, title=f"Pilot {n}-{i}"), alice)

    expiring_pilots(1)
    with CaptureQueriesContext(connection) as one:
        readiness_expiry_record(as_of=date(2027, 2, 1))
    expiring_pilots(6)
    with CaptureQueriesContext(connection) as six:
        counts = readiness_expiry_record(as_of=date(2027, 2, 1))

    assert counts["pilots"] == 6
    assert len(six) == len(one)


def test_it_is_reconfirmed_by_evidence_that_still_holds_accepted_again(alice):
    # given: expired evidence and sign-off
    pilot = make_chartered_pilot(owner=alice)
    data_gate_met(pilot, alice)
    clearance = security_clearance()
    with time_machine.travel("2027-01-20 08:00:00+00:00", tick=False):
        readiness_expiry_record(as_of=date(2027, 1, 20))
        old = Evidence.objects.filter(pilot=pilot, criterion=clearance).latest("id")

        # when: the owner says it still holds, a reviewer accepts it, the function signs
        again = evidence_reconfirm(evidence=old, by=alice)
        evidence_review(evidence=again, by=reviewer("security"), accept=True)
        signoff_record(
            pilot=pilot, criterion=clearance, by=reviewer("security"), verdict="signed_off"
        )
        # the other expired criterion, data privacy, re-confirmed with new evidence
        privacy = next(c for c in criteria("data") if c.text == "Data privacy compliance")
        fresh = evidence_submit(pilot=pilot, criterion=privacy, by=alice, text="New DPIA")
        evidence_review(evidence=fresh, by=reviewer("legal"), accept=True)
        signoff_record(pilot=pilot, criterion=privacy, by=reviewer("legal"), verdict="signed_off")

    # then
    again.refresh_from_db()
    assert again.text == old.text and again.valid_until == date(2028, 1, 20)
    assert gate_status(pilot, "data") == "passed"


def test_it_refuses_to_reconfirm_evidence_never_accepted(alice):
    pilot = make_chartered_pilot(owner=alice)
    pending = evidence_submit(pilot=pilot, criterion=security_clearance(), by=alice, text="x")

    with pytest.raises(ValidationError, match="Only accepted evidence"):
        evidence_reconfirm(evidence=pending, by=alice)


def test_it_lists_what_expires_within_30_days_for_each_owner(alice, bob):
    mine = make_chartered_pilot(owner=alice, title="Mine")
    data_gate_met(mine, alice)
    data_gate_met(make_chartered_pilot(owner=bob, title="Bob's"), bob)

    soon = expiring_soon(owner_ids=[alice.id], as_of=date(2026, 12, 20))
    later = expiring_soon(owner_ids=[alice.id], as_of=date(2026, 11, 1))

    assert set(soon) == {alice.id}
    assert {(item.pilot_title, item.criterion, item.what) for item in soon[alice.id]} == {
        ("Mine", "Security clearance", "evidence"),
        ("Mine", "Security clearance", "Security sign-off"),
        ("Mine", "Data privacy compliance", "evidence"),
        ("Mine", "Data privacy compliance", "Legal sign-off"),
    }
    assert all(item.valid_until == date(2027, 1, 15) for item in soon[alice.id])
    assert later == {}


def test_a_live_system_whose_governance_gate_lapses_shows_it(alice):
    # given: a pilot in production whose governance gate passed
    pilot = make_chartered_pilot(owner=alice)
    gate_meet(pilot=pilot, key="governance", by=alice)
    Pilot.objects.filter(id=pilot.id).update(stage=Stage.IN_PRODUCTION)

    # when: its risk tier goes up (a material change voiding the risk sign-offs)
    pilot_update(pilot=pilot, risk_tier="high")

    # then
    pilot.refresh_from_db()
    assert pilot.readiness_lapsed
    assert ChecklistEvent.objects.filter(pilot=pilot, kind="lapsed").count() == 1
    # and once signed off again, it no longer shows lapsed
    for signoff in SignOff.objects.filter(pilot=pilot, verdict=Verdict.TO_RECONFIRM):
        signoff_record(
            pilot=pilot,
            criterion=signoff.criterion,
            by=reviewer(signoff.function),
            verdict="signed_off",
        )
    pilot.refresh_from_db()
    assert not pilot.readiness_lapsed


def test_a_tier_change_returns_the_affected_sign_offs_to_reconfirm(alice):
    # given: governance and data gates passed
    pilot = make_chartered_pilot(owner=alice)
    gate_meet(pilot=pilot, key="governance", by=alice)
    gate_meet(pilot=pilot, key="data", by=alice)

    # when
    pilot_update(pilot=pilot, risk_tier="high")

    # then: risk, security and legal sign-offs return to "to re-confirm", with the reason
    voided = SignOff.objects.filter(pilot=pilot, verdict=Verdict.TO_RECONFIRM)
    assert set(voided.values_list("function", flat=True)) == {"risk", "security", "legal"}
    assert set(voided.values_list("comment", flat=True)) == {
        "To re-confirm: risk tier changed from Medium to High."
    }
    assert gate_status(pilot, "governance") == "open"
    assert gate_status(pilot, "data") == "open"
    checklist = pilot_checklist(pilot=pilot)
    item = next(i for g in checklist for i in g.items if i.criterion.text == "Security clearance")
    assert item.signoff.verdict == Verdict.TO_RECONFIRM
    assert item.next_step == "Security reviewer: re-confirm the sign-off"


def test_a_data_function_sign_off_survives_a_tier_change(alice):
    pilot = make_chartered_pilot(owner=alice)
    gate_meet(pilot=pilot, key="data", by=alice)

    pilot_update(pilot=pilot, risk_tier="high")

    assert not SignOff.objects.filter(pilot=pilot, function="data", verdict="to_reconfirm")


def test_a_change_of_scope_or_target_voids_them_too(alice):
    pilot = make_chartered_pilot(owner=alice)
    gate_meet(pilot=pilot, key="governance", by=alice)

    pilot_update(pilot=pilot, summary="Now also drafts replies for the complaints team")
    scope = set(
        SignOff.objects.filter(pilot=pilot, verdict="to_reconfirm").values_list(
            "comment", flat=True
        )
    )
    gate_meet(pilot=pilot, key="governance", by=alice)
    metric_set(
        pilot=pilot,
        name="Hours of manual review per week",
        direction="decrease",
        target=Decimal(40),
    )
    target = set(
        SignOff.objects.filter(pilot=pilot, verdict="to_reconfirm")
        .exclude(comment__in=scope)
        .values_list("comment", flat=True)
    )

    assert scope == {"To re-confirm: scope (summary) changed."}
    assert target == {"To re-confirm: success metric target changed from 60 to 40."}
    assert gate_status(pilot, "governance") == "open"


def test_an_unchanged_scope_voids_nothing(alice):
    pilot = make_chartered_pilot(owner=alice)
    gate_meet(pilot=pilot, key="governance", by=alice)

    pilot_update(pilot=pilot, summary=pilot.summary, title="Renamed")

    assert not SignOff.objects.filter(pilot=pilot, verdict="to_reconfirm").exists()
    assert gate_status(pilot, "governance") == "passed"
