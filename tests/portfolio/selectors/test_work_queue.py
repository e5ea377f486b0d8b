"""My work: everything waiting for one person, grouped by what they must do."""

from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gates.models import Criterion, Gate
from gates.services import (
    checklist_draft_start,
    checklist_version_publish,
    criterion_draft_save,
    evidence_review,
    evidence_submit,
    signoff_record,
)
from portfolio.models import Role, Stage
from portfolio.selectors.work_queue import GROUPS, my_work, my_work_count
from portfolio.services.alert_links import snooze_create
from portfolio.services.decisions_due import decisions_due_record
from portfolio.services.lifecycle import decision_record, pilot_stage_move
from portfolio.services.parts import condition_add
from portfolio.services.pilots import pilot_update
from tests.factories import (
    UserFactory,
    gate_meet,
    make_awaiting_pilot,
    make_chartered_pilot,
    reviewer,
    scale_ready,
)

AS_OF = date(2026, 6, 1)


def items_of(user, group: str | None = None) -> list:
    groups = my_work(user=user, as_of=AS_OF)
    return [item for g in groups if group in (None, g.key) for item in g.items]


def piloting(owner, **fields):
    fields.setdefault("stage_entered_on", AS_OF)
    pilot = make_chartered_pilot(owner=owner, **fields)
    pilot_stage_move(pilot=pilot, to_stage=Stage.PILOTING, by=owner, on=AS_OF)
    return pilot


def privacy() -> Criterion:
    return Criterion.objects.get(text="Data privacy compliance")


# --- Decisions due ----------------------------------------------------------------


def test_it_lists_the_decisions_due_to_the_effective_decision_maker_only(alice, bob, charlie):
    # given: alice decides her own pilot; bob is named decision maker of another of hers
    make_awaiting_pilot(owner=alice, entered_on=AS_OF - timedelta(days=12), title="Hers")
    make_awaiting_pilot(owner=alice, entered_on=AS_OF, title="Bob decides", decision_maker=bob)

    # then
    assert [(i.pilot_title, i.what) for i in items_of(alice, "decisions")] == [
        ("Hers", "decide: awaiting decision for 12 days")
    ]
    assert [i.pilot_title for i in items_of(bob, "decisions")] == ["Bob decides"]
    assert items_of(charlie) == []


def test_it_lists_a_piloting_pilot_past_its_planned_end_as_a_decision_due(alice):
    piloting(alice, title="Late", pilot_start=date(2026, 1, 1), pilot_end_planned=date(2026, 5, 1))
    piloting(alice, title="On time", pilot_end_planned=date(2026, 9, 1))

    [item] = items_of(alice, "decisions")

    assert item.pilot_title == "Late"
    assert item.what.startswith("planned end passed 31 days ago")


# --- Evidence -----------------------------------------------------------------------


def test_it_lists_the_criteria_of_an_owners_pilots_with_no_evidence_and_links_to_each(alice):
    # given: a low-risk piloting pilot (fast track: gates 1, 3 and 4)
    pilot = piloting(alice, risk_tier="low")
    required = [
        c for c in Criterion.objects.select_related("gate") if c.applies_to_low and c.required
    ]
    first = required[0]

    # when
    items = items_of(alice, "evidence_add")

    # then: one item per required criterion, straight to it with its gate opened
    assert [item.criterion for item in items] == [c.text for c in required]
    assert items[0].url == f"/pilots/{pilot.id}/?open={first.gate.key}#criterion-{first.id}"

    # and: evidence awaiting review takes the criterion off the list
    evidence_submit(pilot=pilot, criterion=first, by=alice, text="Named")
    assert len(items_of(alice, "evidence_add")) == len(required) - 1


def test_it_leaves_proposed_and_closed_pilots_out_of_the_evidence_to_add(alice, executive):
    make_chartered_pilot(owner=alice, title="Proposed")
    stopped = make_awaiting_pilot(owner=alice, entered_on=AS_OF, title="Stopped")
    decision_record(pilot=stopped, outcome="stop", by=executive, rationale="No value")

    assert items_of(alice, "evidence_add") == []


def test_it_lists_evidence_to_review_and_criteria_to_sign_off_for_the_reviewers_function(alice):
    # given
    legal, security = reviewer("legal"), reviewer("security")
    pilot = piloting(alice, title="Assistant")
    evidence = evidence_submit(pilot=pilot, criterion=privacy(), by=alice, text="DPIA")

    # then: legal reviews it, security has nothing, the owner has nothing to add there
    [item] = items_of(legal)
    assert (item.group, item.criterion, item.what) == (
        "evidence_review",
        "Data privacy compliance",
        "review the evidence",
    )
    assert items_of(security) == []

    # when accepted, it waits for legal's sign-off; once signed off, for nobody
    evidence_review(evidence=evidence, by=legal, accept=True)
    assert [(i.group, i.criterion) for i in items_of(legal)] == [
        ("signoff", "Data privacy compliance")
    ]
    signoff_record(pilot=pilot, criterion=privacy(), by=legal, verdict="signed_off")
    assert items_of(legal) == []


def test_it_gives_the_owner_an_objection_to_follow_up(alice):
    pilot = piloting(alice)
    legal = reviewer("legal")
    evidence = evidence_submit(pilot=pilot, criterion=privacy(), by=alice, text="DPIA")
    evidence_review(evidence=evidence, by=legal, accept=True)
    signoff_record(pilot=pilot, criterion=privacy(), by=legal, verdict="objected", comment="No")

    [item] = items_of(alice, "follow_up")

    assert (item.criterion, item.what) == ("Data privacy compliance", "resolve the Legal objection")
    assert items_of(legal) == []  # the reviewer's verdict is given


# --- Conditions, waivers, snoozes ----------------------------------------------------


def test_it_lists_the_undecided_conditions_of_an_owners_open_pilots(alice, bob):
    pilot = piloting(alice)
    condition_add(pilot=pilot, kind="data_access", description="Full CRM export")
    condition_add(pilot=pilot, kind="permission", description="Admin rights", decision="withdrawn")

    [item] = items_of(alice, "conditions")

    assert item.what == "make permanent or withdraw: Full CRM export"
    assert item.url.endswith("#part-conditions")
    assert items_of(bob) == []


def test_it_lists_the_open_waivers_a_person_owns(alice, bob, executive):
    pilot = make_awaiting_pilot(owner=alice, entered_on=AS_OF)
    decision_record(
        pilot=pilot, outcome="scale", by=executive, rationale="Go", **scale_ready(pilot, by=bob)
    )

    items = items_of(bob, "follow_up")

    assert items and all(item.what.startswith("close the waiver of") for item in items)
    assert all("by 31 Dec 2099" in item.what for item in items)


def test_it_lists_the_snoozes_ending_within_a_week(alice):
    soon = make_awaiting_pilot(owner=alice, entered_on=AS_OF, title="Soon")
    later = make_awaiting_pilot(owner=alice, entered_on=AS_OF, title="Later")
    snooze_create(
        pilot=soon, by=alice, reason="Board in June", until=AS_OF + timedelta(6), on=AS_OF
    )
    snooze_create(
        pilot=later, by=alice, reason="Board in July", until=AS_OF + timedelta(30), on=AS_OF
    )

    [item] = items_of(alice, "snoozes")

    assert (item.pilot_title, item.what) == ("Soon", "its alert comes back after 7 Jun 2026")


# --- The groups and their cost -------------------------------------------------------


def test_it_keeps_the_groups_in_order_and_leaves_the_empty_ones_out(alice):
    pilot = make_awaiting_pilot(owner=alice, entered_on=AS_OF)
    condition_add(pilot=pilot, kind="data_access", description="Full CRM export")

    keys = [group.key for group in my_work(user=alice, as_of=AS_OF)]

    assert keys == ["decisions", "evidence_add", "conditions"]
    assert keys == [key for key in GROUPS if key in keys]
    assert my_work_count(user=alice, as_of=AS_OF) == len(items_of(alice))


def queries_for(user) -> int:
    with CaptureQueriesContext(connection) as queries:
        my_work(user=user, as_of=AS_OF)
    return len(queries)


def busy_portfolio(owner, legal, count: int) -> None:
    """`count` piloting pilots of `owner`, each with a condition, a drifting end, and
    evidence awaiting the legal review."""
    for n in range(count):
        pilot = piloting(owner, title=f"Pilot {n}", pilot_end_planned=date(2026, 5, 1))
        condition_add(pilot=pilot, kind="data_access", description=f"Export {n}")
        evidence_submit(pilot=pilot, criterion=privacy(), by=owner, text="DPIA")


@pytest.mark.parametrize("who", ["owner", "reviewer"])
def test_it_reads_the_queue_in_a_fixed_number_of_queries(alice, bob, who):
    # given: alice has 2 pilots, bob 20, with items of every kind
    legal = reviewer("legal")
    busy_portfolio(alice, legal, 2)
    few = queries_for(legal if who == "reviewer" else alice)
    busy_portfolio(bob, legal, 18)

    # then
    if who == "owner":
        assert len(items_of(bob)) > len(items_of(alice))
        assert queries_for(bob) == few
    else:
        assert len(items_of(legal)) == 20
        assert queries_for(legal) == few
    assert few <= 13


def test_it_names_nobody_elses_work(alice, charlie):
    pilot = piloting(alice)
    pilot_update(pilot=pilot, sponsor=charlie)

    assert items_of(charlie) == []


def test_it_lists_a_decision_due_once_with_its_causes(alice):
    # given: a piloting pilot past its planned end, its decision recorded as due
    pilot = piloting(
        alice, title="Late", pilot_start=date(2026, 1, 1), pilot_end_planned=date(2026, 5, 1)
    )
    before = items_of(alice, "decisions")
    decisions_due_record(as_of=AS_OF, pilot_ids=[pilot.id])

    # then: one item either way, naming the cause once recorded
    [after] = items_of(alice, "decisions")
    assert [item.pilot_title for item in before] == ["Late"]
    assert after.what == (
        "decision due: the planned end passed (1 May 2026): mark it awaiting decision"
    )


# --- Readiness that ages, checklists that change -------------------------------------


def test_it_lists_evidence_expiring_within_30_days_to_re_confirm(alice):
    # given: the data gate met on 15 January 2026 (security clearance holds 12 months)
    pilot = piloting(alice)
    with time_machine.travel("2026-01-15 10:00:00+00:00", tick=False):
        gate_meet(pilot=pilot, key="data", by=alice)

    # then: nothing to re-confirm two months ahead, the clearance a month ahead
    assert items_of(alice, "reconfirm") == []
    due = my_work(user=alice, as_of=date(2026, 12, 20))
    [group] = [g for g in due if g.key == "reconfirm"]
    clearance = [item for item in group.items if item.criterion == "Security clearance"]
    assert [item.what for item in clearance] == [
        "re-confirm the evidence: it stops holding on 15 Jan 2027",
        "re-confirm the Security sign-off: it stops holding on 15 Jan 2027",
    ]
    assert clearance[0].url == f"/pilots/{pilot.id}/#checklist"


def test_it_asks_for_the_criteria_of_the_pilots_own_checklist_version_once(alice):
    # given: a second version adds a required governance criterion; alice's pilot,
    # started under the first, stays on it
    gov = UserFactory(role=Role.ADMIN)
    pilot = piloting(alice)
    criterion_draft_save(
        by=gov,
        gate=Gate.objects.get(key="governance"),
        text="EU AI Act risk classification is recorded",
        required=True,
        function="",
        applies_to_low=True,
        applies_to_medium=True,
        applies_to_high=True,
    )
    checklist_version_publish(version=checklist_draft_start(by=gov), by=gov, move="none")

    # then: each criterion of its version once, none of the new version's
    asked = [item.criterion for item in items_of(alice, "evidence_add")]
    assert len(asked) == len(set(asked))
    assert "EU AI Act risk classification is recorded" not in asked
    assert "Data privacy compliance" in asked
    assert all(item.pilot_id == pilot.id for item in items_of(alice, "evidence_add"))
