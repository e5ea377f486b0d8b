"""The pilot page around its next step: the head, the one next step for the reader,
the decision and stage actions on top, the gate summary's links, the folded
checklist, one history."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gates.models import Criterion
from gates.services import evidence_review, evidence_submit
from portfolio.models import Stage
from portfolio.services.lifecycle import pilot_stage_move
from portfolio.services.pilots import pilot_update
from tests.conftest import HTMX, signed_in
from tests.factories import make_awaiting_pilot, make_chartered_pilot, reviewer


def page(user, pilot, **params) -> str:
    response = signed_in(user).get(reverse("pilot_detail", args=[pilot.id]), params)
    assert response.status_code == 200
    return response.content.decode()


def next_step(text: str) -> str:
    start = text.index('<p class="next-step-head">')
    return text[start : text.index("</p>", start)]


def test_the_head_names_stage_days_owner_and_risk(alice):
    pilot = make_chartered_pilot(owner=alice, risk_tier="high")

    text = page(alice, pilot)

    assert "<strong>Proposed</strong> for 0 days" in text
    assert "Owner: Alice Owner" in text and "High risk" in text


def test_the_owner_of_a_chartered_pilot_is_told_to_start_it(alice):
    pilot = make_chartered_pilot(owner=alice)

    assert "Start the pilot" in next_step(page(alice, pilot))


def test_the_owner_is_told_to_give_the_dates_before_the_start(alice):
    pilot = make_chartered_pilot(owner=alice, pilot_start=None, pilot_end_planned=None)

    assert "Give the pilot&#x27;s planned start and end" in next_step(page(alice, pilot))


def test_the_owner_of_a_running_pilot_is_sent_to_the_first_criterion_to_prove(alice):
    pilot = make_chartered_pilot(owner=alice, risk_tier="low")
    pilot_stage_move(pilot=pilot, to_stage=Stage.PILOTING, by=alice)
    first = Criterion.objects.select_related("gate").filter(applies_to_low=True).first()

    step = next_step(page(alice, pilot))

    assert f"Add evidence to: {first.text}" in step
    assert f"?open={first.gate.key}#criterion-{first.id}" in step


def test_a_reviewer_is_sent_to_the_evidence_of_their_function(alice):
    pilot = make_chartered_pilot(owner=alice)
    privacy = Criterion.objects.get(text="Data privacy compliance")
    legal = reviewer("legal")
    evidence = evidence_submit(pilot=pilot, criterion=privacy, by=alice, text="DPIA")

    assert "Review the evidence on: Data privacy compliance" in next_step(page(legal, pilot))
    evidence_review(evidence=evidence, by=legal, accept=True)
    assert "Sign off or object: Data privacy compliance" in next_step(page(legal, pilot))
    assert 'class="next-step-head"' not in page(reviewer("security"), pilot)


def test_the_decision_maker_is_told_to_decide_with_the_panel_on_top(alice, bob):
    pilot = make_awaiting_pilot(owner=alice, entered_on=date(2026, 1, 5))

    text = page(alice, pilot)

    assert "Decide: record the stage-gate decision" in next_step(text)
    assert text.index('id="stage-panel"') < text.index('id="gate-summary"')
    assert "Waiting for the decision of Alice Owner" in next_step(page(bob, pilot))


def test_the_stage_panel_stays_below_for_who_may_not_act_on_it(alice, bob):
    pilot = make_chartered_pilot(owner=alice)
    pilot_stage_move(pilot=pilot, to_stage=Stage.PILOTING, by=alice)

    alices, bobs = page(alice, pilot), page(bob, pilot)

    assert alices.index('id="stage-panel"') < alices.index('id="gate-summary"')
    assert bobs.index('id="checklist"') < bobs.index('id="stage-panel"')


def test_the_decision_link_opens_the_decision_form(alice):
    pilot = make_awaiting_pilot(owner=alice, entered_on=date(2026, 1, 5))

    text = page(alice, pilot, open="decision")

    assert '<details id="decision" class="action decision-action" open>' in text


def test_the_gate_summary_links_to_each_gates_checklist_and_opens_only_that_one(alice):
    pilot = make_chartered_pilot(owner=alice)

    text = page(alice, pilot, open="governance")

    assert f'href="/pilots/{pilot.id}/?open=governance#gate-governance"' in text
    assert '<details class="gate-checklist" id="gate-governance" open>' in text
    assert '<details class="gate-checklist" id="gate-data">' in text


def test_without_a_gate_asked_for_every_unsettled_gate_is_open(alice):
    pilot = make_chartered_pilot(owner=alice)

    text = page(alice, pilot)

    assert text.count('class="gate-checklist"') == text.count('class="gate-checklist" ') == 6
    assert '<details class="gate-checklist" id="gate-data" open>' in text


def test_it_has_one_history_with_the_stage_changes_in_it(alice):
    pilot = make_chartered_pilot(owner=alice)
    pilot_stage_move(pilot=pilot, to_stage=Stage.PILOTING, by=alice)

    text = page(alice, pilot)

    assert "Stage history" not in text
    assert '<nav class="in-page"' in text and 'href="#timeline"' in text
    history = text[text.index('<section id="timeline"') :]
    assert "Piloting" in history


def test_a_stage_move_through_htmx_refreshes_the_head_and_the_count(alice):
    pilot = make_chartered_pilot(owner=alice)

    response = signed_in(alice).post(
        reverse("pilot_move", args=[pilot.id]), {"to_stage": "piloting"}, **HTMX
    )

    text = response.content.decode()
    assert '<div id="page-head" class="page-head" hx-swap-oob="true">' in text
    assert "<strong>Piloting</strong>" in text
    assert 'id="my-work-link" href="/my/" hx-swap-oob="true"' in text


@pytest.mark.parametrize("missing", ["pilot_start", "pilot_end_planned"])
@pytest.mark.parametrize("htmx", [False, True])
def test_the_page_refuses_to_start_a_pilot_without_its_dates(alice, missing, htmx):
    pilot = make_chartered_pilot(owner=alice)
    pilot_update(pilot=pilot, **{missing: None})

    response = signed_in(alice).post(
        reverse("pilot_move", args=[pilot.id]), {"to_stage": "piloting"}, **(HTMX if htmx else {})
    )

    assert response.status_code == 400 if not htmx else 200
    assert "when it runs (a planned start and a planned end)" in response.content.decode()
    pilot.refresh_from_db()
    assert pilot.stage == Stage.PROPOSED


def test_the_head_reads_the_same_number_of_queries_for_any_history(alice):
    pilot = make_chartered_pilot(owner=alice)
    client = signed_in(alice)
    url = reverse("pilot_detail", args=[pilot.id])
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    for n in range(5):
        pilot_update(pilot=pilot, summary=f"Version {n}")

    with CaptureQueriesContext(connection) as later:
        client.get(url)

    assert len(later) == len(first)
