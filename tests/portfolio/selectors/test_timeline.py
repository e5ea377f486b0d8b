"""The history of a pilot and its parts, and the timeline of the pilot page."""

from datetime import date
from decimal import Decimal

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gates.models import Criterion
from gates.services import evidence_review, evidence_submit, signoff_record
from portfolio.models import PathItem
from portfolio.selectors.timeline import pilot_timeline
from portfolio.services.lifecycle import decision_defer, decision_record, pilot_stage_move
from portfolio.services.parts import (
    condition_add,
    condition_decide,
    cost_line_add,
    kpi_add,
    metric_set,
    path_item_add,
    reading_add,
)
from portfolio.services.pilots import pilot_update
from portfolio.views.pilot import TIMELINE_ON_PAGE
from tests.factories import (
    charter_data,
    make_awaiting_pilot,
    make_chartered_pilot,
    reviewer,
    scale_ready,
)

DAY = date(2026, 3, 2)


def summaries(pilot) -> list[str]:
    return [entry.summary for entry in pilot_timeline(pilot=pilot)]


def entry(pilot, summary: str):
    return next(e for e in pilot_timeline(pilot=pilot) if e.summary == summary)


def test_it_records_who_changed_what_through_a_request(client, alice):
    # given
    pilot = make_chartered_pilot(owner=alice)
    client.force_login(alice)

    # when: alice changes the summary through a page
    client.post(
        reverse("charter_edit", args=[pilot.id]), charter_data(pilot, summary="Drafts replies")
    )

    # then
    change = entry(pilot, "Pilot changed")
    assert change.by == "Alice Owner"
    assert [(c.field, c.old, c.new) for c in change.changes] == [("Summary", "–", "Drafts replies")]


def test_it_shows_changed_fields_with_their_labels_and_readable_values(alice, bob):
    # given
    pilot = make_chartered_pilot(owner=alice, pilot_end_planned=date(2026, 6, 30))

    # when
    pilot_update(
        pilot=pilot, deployment_owner=bob, risk_tier="high", pilot_end_planned=date(2026, 9, 30)
    )
    metric_set(
        pilot=pilot,
        name="Hours of manual review per week",
        unit="hours",
        baseline=Decimal("120"),
        target=Decimal("50"),
        direction="decrease",
    )

    # then
    pilot_change = entry(pilot, "Pilot changed")
    assert [(c.field, c.old, c.new) for c in pilot_change.changes] == [
        ("Pilot end planned", "30 Jun 2026", "30 Sep 2026"),
        ("Risk tier", "Medium", "High"),
        ("Deployment owner", "Alice Owner", "Bob Owner"),
    ]
    metric_change = entry(pilot, "Success metric “Hours of manual review per week” changed")
    assert [(c.field, c.old, c.new) for c in metric_change.changes] == [("Target", "60", "50")]


def test_it_lists_parts_added_changed_and_removed(alice):
    # given
    pilot = make_chartered_pilot(owner=alice)
    condition = condition_add(pilot=pilot, kind="data_access", description="Read access to the CRM")
    cost_line_add(pilot=pilot, category="integration", phase="pilot", amount=10000)

    # when
    condition_decide(condition=condition, decision="permanent")
    PathItem.objects.get(pilot=pilot).delete()

    # then
    assert summaries(pilot)[:4] == [
        "Path item “Contact-centre platform” removed",
        "Pilot condition “Read access to the CRM” changed",
        "Cost line Integration, Pilot: 10000 EUR added",
        "Pilot condition “Read access to the CRM” added",
    ]
    decided = entry(pilot, "Pilot condition “Read access to the CRM” changed")
    assert [(c.field, c.old, c.new) for c in decided.changes] == [
        ("Decision", "Undecided", "Made permanent")
    ]


def test_it_merges_the_records_of_the_pilot_newest_first(alice, executive):
    # given: a pilot through its whole life, one step a day
    criterion = Criterion.objects.get(text="Data privacy compliance")
    with time_machine.travel("2026-03-01 09:00Z", tick=False) as clock:
        pilot = make_chartered_pilot(owner=alice)
        clock.shift(86400)
        pilot_stage_move(pilot=pilot, to_stage="piloting", by=alice)
        clock.shift(86400)
        evidence = evidence_submit(pilot=pilot, criterion=criterion, by=alice, text="DPIA")
        clock.shift(86400)
        evidence_review(evidence=evidence, by=reviewer("legal"), accept=True)
        clock.shift(86400)
        signoff_record(
            pilot=pilot,
            criterion=criterion,
            by=reviewer("legal"),
            verdict="objected",
            comment="Customers must be told",
        )
        clock.shift(86400)
        pilot_stage_move(pilot=pilot, to_stage="awaiting_decision", by=alice)
        clock.shift(86400)
        decision_defer(pilot=pilot, by=alice, reason="Legal first")
        clock.shift(86400)
        decision_record(pilot=pilot, outcome="research", by=executive, rationale="Not yet")

    # when
    timeline = pilot_timeline(pilot=pilot)

    # then
    assert [(e.summary, e.by) for e in timeline[:7]] == [
        ("Decision: Research", "Erin Executive"),
        ("Stage Awaiting decision → Research", "Erin Executive"),
        ("Decision deferred", "Alice Owner"),
        ("Stage Piloting → Awaiting decision", "Alice Owner"),
        ("Legal objected to “Data privacy compliance”", "Legal Reviewer"),
        ("Evidence for “Data privacy compliance” accepted", "Legal Reviewer"),
        ("Evidence for “Data privacy compliance” submitted", "Alice Owner"),
    ]
    assert timeline[0].detail == "Not yet"
    assert timeline[0].dated is None  # recorded on the day it is dated
    assert timeline[2].detail == "Legal first"
    assert timeline[4].detail == "Customers must be told"
    assert (timeline[-1].summary, timeline[-1].by) == ("Pilot recorded", "")
    assert [e.at for e in timeline] == sorted((e.at for e in timeline), reverse=True)


def test_it_leaves_stage_moves_to_their_own_entries(alice):
    # given: a stage move, then a change of the summary
    pilot = make_chartered_pilot(owner=alice)
    pilot_stage_move(pilot=pilot, to_stage="piloting", by=alice)
    pilot_update(pilot=pilot, summary="Now running")

    # then: the change shows the summary only; the move is a stage entry of its own
    assert [(c.field, c.new) for c in entry(pilot, "Pilot changed").changes] == [
        ("Summary", "Now running")
    ]
    assert summaries(pilot).count("Stage Proposed → Piloting") == 1


def test_it_shows_the_go_live_date_a_move_to_production_sets(alice, executive):
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY)
    ready = scale_ready(pilot, by=executive)
    decision_record(pilot=pilot, outcome="scale", by=executive, rationale="Go", on=DAY, **ready)
    pilot_stage_move(pilot=pilot, to_stage="in_production", by=alice, on=DAY)

    live = entry(pilot, "Pilot changed")
    assert (live.by, [(c.field, c.new) for c in live.changes]) == (
        "Alice Owner",
        [("Go-live date", "2 Mar 2026")],
    )


def test_it_says_the_date_a_record_gives_itself(alice):
    pilot = make_awaiting_pilot(owner=alice, entered_on=DAY)

    assert entry(pilot, "Stage Piloting → Awaiting decision").dated == DAY


def test_it_skips_saves_that_change_nothing(alice):
    pilot = make_chartered_pilot(owner=alice)
    pilot_update(pilot=pilot, summary="")

    assert "Pilot changed" not in summaries(pilot)


def round_of_changes(pilot, *, owner, other, n: int) -> None:
    """Change the pilot and each kind of part once."""
    pilot_update(pilot=pilot, summary=f"Version {n}", deployment_owner=other)
    pilot_update(pilot=pilot, deployment_owner=owner)
    metric_set(
        pilot=pilot, name="Hours", unit="hours", baseline=120, target=60 - n, direction="decrease"
    )
    reading_add(pilot=pilot, measured_on=DAY, value=100 - n)
    item = path_item_add(pilot=pilot, kind="system", description=f"System {n}")
    item.owner = other
    item.save()
    kpi_add(pilot=pilot, kind="uptime", name=f"Uptime {n}")
    condition = condition_add(pilot=pilot, kind="permission", description=f"Access {n}")
    condition_decide(condition=condition, decision="withdrawn")
    cost_line_add(pilot=pilot, category="data", phase="pilot", amount=n)
    criterion = Criterion.objects.get(text="Security clearance")
    evidence = evidence_submit(pilot=pilot, criterion=criterion, by=owner, text=f"Scan {n}")
    evidence_review(evidence=evidence, by=reviewer("security"), accept=True)
    signoff_record(pilot=pilot, criterion=criterion, by=reviewer("security"), verdict="signed_off")


def queries_for_timeline(pilot) -> int:
    with CaptureQueriesContext(connection) as queries:
        pilot_timeline(pilot=pilot)
    return len(queries)


def test_it_builds_the_timeline_in_a_fixed_number_of_queries(alice, bob):
    # given: one pilot with one round of changes, another with ten
    once = make_chartered_pilot(owner=alice, title="Once")
    round_of_changes(once, owner=alice, other=bob, n=1)
    often = make_chartered_pilot(owner=alice, title="Often")
    for n in range(1, 11):
        round_of_changes(often, owner=alice, other=bob, n=n)

    # then
    assert len(pilot_timeline(pilot=often)) > 3 * len(pilot_timeline(pilot=once))
    assert queries_for_timeline(often) == queries_for_timeline(once)


def test_it_shows_the_timeline_on_the_pilot_page_escaped(client, alice, charlie):
    # given
    pilot = make_chartered_pilot(owner=alice)
    pilot_update(pilot=pilot, summary="<script>alert('x')</script>")
    client.force_login(charlie)

    # when
    response = client.get(reverse("pilot_detail", args=[pilot.id]))

    # then: every signed-in user reads it; values are text, never markup
    assert response.status_code == 200
    content = response.content.decode()
    assert "History" in content and "Pilot recorded" in content
    assert "Summary: <del>–</del> → <ins>&lt;script&gt;alert(&#x27;x&#x27;)" in content
    assert "<script>alert" not in content
    # one history: the stage changes are its entries, not a second list
    assert "Stage history" not in content
    assert content.count('<section id="timeline"') == 1


def queries_for_page(client, pilot) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("pilot_detail", args=[pilot.id]))
    assert response.status_code == 200
    return len(queries)


def test_it_shows_the_pilot_page_in_a_fixed_number_of_queries(client, alice, bob):
    # given: a pilot with one round of changes to every part, another with ten
    once = make_chartered_pilot(owner=alice, title="Once")
    round_of_changes(once, owner=alice, other=bob, n=1)
    often = make_chartered_pilot(owner=alice, title="Often")
    for n in range(1, 11):
        round_of_changes(often, owner=alice, other=bob, n=n)

    # then: its owner (who gets every edit form) and a reader see the page in the same
    # number of queries whatever the number of parts
    for user in (alice, bob):
        client.force_login(user)
        # the page's own queries, and the header's My work count (a fixed handful)
        assert queries_for_page(client, often) == queries_for_page(client, once) <= 44


def test_the_page_shows_the_newest_entries_and_links_to_the_whole_history(client, alice, bob):
    # given: more changes than the page shows
    pilot = make_chartered_pilot(owner=alice)
    for n in range(TIMELINE_ON_PAGE):
        pilot_update(pilot=pilot, summary=f"Version {n}")
    total = len(pilot_timeline(pilot=pilot))
    assert total > TIMELINE_ON_PAGE
    client.force_login(bob)

    # when
    page = client.get(reverse("pilot_detail", args=[pilot.id])).content.decode()
    history = client.get(reverse("pilot_history", args=[pilot.id])).content.decode()

    # then: the page has the newest, the history page all of them
    assert page.count('<li class="entry ') == TIMELINE_ON_PAGE
    assert f"Version {TIMELINE_ON_PAGE - 1}" in page and "Pilot recorded" not in page
    assert f"The whole history ({total} entries)" in page
    assert history.count('<li class="entry ') == total
    assert "Pilot recorded" in history


def test_the_history_page_is_a_404_for_a_pilot_that_does_not_exist(client, bob):
    client.force_login(bob)

    assert client.get(reverse("pilot_history", args=[999_999])).status_code == 404
