"""Selectors: charter completeness, stall state, the five signals and the export."""

import json
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from gates.models import GATE_KEYS
from portfolio.models import Decision, Stage
from portfolio.selectors.export import portfolio_export
from portfolio.services.lifecycle import decision_defer, decision_record, pilot_stage_move
from portfolio.services.parts import cost_line_add
from tests.factories import (
    BusinessUnitFactory,
    UserFactory,
    criteria,
    criterion_meet,
    gate_meet,
    make_awaiting_pilot,
    scale_ready,
)
from tests.portfolio.selectors.helpers import ENTERED, object_to

# --- Export -----------------------------------------------------------------------


def test_it_exports_the_portfolio_with_every_field_of_a_pilot(alice, executive, settings):
    # given
    settings.STALL_AFTER_DAYS = 60
    as_of = ENTERED + timedelta(days=90)
    pilot = make_awaiting_pilot(
        owner=alice,
        entered_on=ENTERED,
        reference="CC-1",
        pilot_start=ENTERED - timedelta(days=60),
        pilot_end_planned=ENTERED,
    )
    cost_line_add(pilot=pilot, category="data", phase="pilot", amount=Decimal("100.5"))
    cost_line_add(pilot=pilot, category="data", phase="pilot", amount=Decimal("20"))
    cost_line_add(pilot=pilot, category="integration", phase="transition", amount=Decimal("5000"))
    decision_defer(pilot=pilot, by=alice, reason="Legal", on=ENTERED)
    decision_defer(pilot=pilot, by=alice, reason="Budget", on=ENTERED + timedelta(7))
    gate_meet(pilot=pilot, key="ownership", by=alice)
    stopped = make_awaiting_pilot(
        owner=alice,
        entered_on=ENTERED,
        title="Cost anomalies",
        business_unit=BusinessUnitFactory(name="Finance"),
    )
    decision_record(
        pilot=stopped,
        outcome="stop",
        by=executive,
        rationale="Definitions differ",
        conditions="Revisit in Q3",
        on=ENTERED + timedelta(days=10),
    )

    # when
    export = portfolio_export(as_of=as_of)

    # then
    json.dumps(export)  # plain data all the way down
    assert list(export) == ["as_of", "summary", "pilots"]
    assert export["as_of"] == "2025-04-06"
    assert export["summary"]["total"] == 2
    assert export["summary"]["stalled"] == 1
    assert export["summary"]["by_stage"]["awaiting_decision"] == 1
    assert export["summary"]["by_stage"]["stopped"] == 1
    assert export["summary"]["cost"] == {"pilot": "120.50", "transition": "5000.00", "run": "0.00"}
    assert [row["title"] for row in export["pilots"]] == [
        "Contact-centre assistant",
        "Cost anomalies",
    ]
    row, closed = export["pilots"]
    assert row == {
        "reference": "CC-1",
        "title": "Contact-centre assistant",
        "business_unit": "Customer service",
        "stage": "awaiting_decision",
        "stage_entered_on": "2025-01-06",
        "deployment_owner": "alice@example.com",
        "risk_tier": "medium",
        "pilot_start": "2024-11-07",
        "pilot_end_planned": "2025-01-06",
        "go_live_on": "",
        "charter_missing": [],
        "stalled": True,
        "drifting": False,
        "days_in_stage": 90,
        "stall_signals": ["deferred_decision", "almost_ready_too_long"],
        "checklist_version": 1,
        "readiness_lapsed": False,
        "gates": {
            "ownership": "passed",
            "data": "open",
            "integration": "open",
            "value": "open",
            "adoption": "open",
            "governance": "open",
        },
        "decisions": [],
        "cost": {"pilot": "120.50", "transition": "5000.00", "run": "0.00"},
    }
    assert closed["business_unit"] == "Finance"
    assert (closed["stage"], closed["stalled"], closed["stall_signals"]) == ("stopped", False, [])
    assert closed["days_in_stage"] == 80
    snapshot = closed["decisions"][0].pop("snapshot")
    assert closed["decisions"] == [
        {
            "outcome": "stop",
            "decided_on": "2025-01-16",
            "decided_by": "erin@example.com",
            "rationale": "Definitions differ",
            "conditions": "Revisit in Q3",
            "waivers": [],
        }
    ]
    assert snapshot == Decision.objects.get(pilot__title=closed["title"]).snapshot
    assert (snapshot["stage"], snapshot["gates"][0]["gate"]) == (
        "awaiting_decision",
        "1. Business ownership",
    )
    assert list(closed["gates"]) == GATE_KEYS


def _portfolio_of(count: int, *, start: int) -> None:
    """`count` pilots, each with an owner, a decision, costs, evidence and sign-offs."""
    deciders = [UserFactory(role="executive"), UserFactory(role="executive")]
    for n in range(start, start + count):
        owner = UserFactory()
        pilot = make_awaiting_pilot(
            owner=owner,
            entered_on=ENTERED,
            title=f"Pilot {n}",
            reference=f"P-{n}",
            business_unit=BusinessUnitFactory(name=f"Unit {n % 3}"),
        )
        cost_line_add(pilot=pilot, category="data", phase="pilot", amount=Decimal(n))
        cost_line_add(pilot=pilot, category="data", phase="run", amount=Decimal(n))
        decision_defer(pilot=pilot, by=owner, reason="Next meeting", on=ENTERED)
        decision_record(
            pilot=pilot,
            outcome="redesign",
            by=deciders[n % 2],
            rationale="Rescope",
            on=ENTERED + timedelta(days=1),
        )
        pilot_stage_move(
            pilot=pilot, to_stage=Stage.AWAITING_DECISION, by=owner, on=ENTERED + timedelta(2)
        )
        decision_record(
            pilot=pilot,
            outcome="scale",
            by=owner,
            rationale="Go",
            on=ENTERED + timedelta(3),
            **scale_ready(pilot, by=owner),
        )
        criterion_meet(pilot=pilot, criterion=criteria("ownership")[0], by=owner)
        object_to(pilot, key="data", function="legal")


def test_it_exports_the_portfolio_in_a_number_of_queries_independent_of_pilots(db):
    # given
    as_of = ENTERED + timedelta(days=30)
    _portfolio_of(2, start=0)
    with CaptureQueriesContext(connection) as few:
        small = portfolio_export(as_of=as_of)
    _portfolio_of(10, start=2)

    # when
    with CaptureQueriesContext(connection) as many:
        large = portfolio_export(as_of=as_of)

    # then
    assert (len(small["pilots"]), len(large["pilots"])) == (2, 12)
    assert all(len(row["decisions"]) == 2 for row in large["pilots"])
    assert all(row["gates"]["data"] == "blocked" for row in large["pilots"])
    assert all(row["deployment_owner"] for row in large["pilots"])
    assert len(many) == len(few)
    assert len(many) <= 8


def test_it_exports_an_empty_portfolio(db):
    export = portfolio_export(as_of=ENTERED)

    assert export["pilots"] == []
    assert export["summary"]["total"] == 0
    assert export["summary"]["cost"] == {"pilot": "0.00", "transition": "0.00", "run": "0.00"}
