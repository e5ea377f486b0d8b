import pytest

from portfolio.models import Pilot, Role, Stage
from tests.e2e.conftest import sign_in
from tests.factories import UserFactory, gate_meet, make_chartered_pilot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "correct horse battery"


@pytest.fixture
def portfolio(db):
    UserFactory(email="gina@example.com", name="Gina Governance", role=Role.ADMIN)
    owner = UserFactory(email="alice@example.com", name="Alice Owner")
    proposed = make_chartered_pilot(owner=owner, title="Proposed pilot")
    live = make_chartered_pilot(owner=owner, title="Live system")
    for pilot in (proposed, live):
        gate_meet(pilot=pilot, key="governance", by=owner)
    Pilot.objects.filter(id=live.id).update(stage=Stage.IN_PRODUCTION)
    return proposed, live


def test_an_admin_drafts_a_criterion_sees_the_impact_and_publishes_for_pilots_not_started(
    page, live_server, portfolio, screenshot
):
    proposed, live = portfolio
    # given: a governance admin on the checklist page
    sign_in(page, live_server, "gina@example.com", PASSWORD)
    page.click("nav >> text=Checklist")
    page.wait_for_url("**/checklist/")

    # when: a required criterion is drafted for the governance gate
    page.click("summary:has-text('Add a criterion')")
    page.select_option("#id_gate", label="6. Governance and risk")
    page.fill("#id_text", "EU AI Act risk classification is recorded")
    page.click("button:has-text('Add to a new draft')")
    page.wait_for_selector("#draft-title")

    # then: the impact lists both pilots losing the governance gate, by stage
    impact = page.locator("table.impact-list").inner_text()
    assert "Proposed pilot" in impact and "Live system" in impact
    assert page.locator("table.impact-by-stage").inner_text().count("1") >= 2
    screenshot(page, "impact")

    # when: published for the pilots not yet started only
    page.check("input[name=move][value=not_started]")
    page.click("button:has-text('Publish')")
    page.wait_for_selector("text=Checklist v2 published.")

    # then: the proposed pilot follows v2 and lost the gate; the live one keeps it passed
    page.goto(f"{live_server.url}/pilots/{live.id}/")
    assert page.locator("table.heatmap tr:has-text('Governance') td.gate-passed").count() == 1
    assert page.locator(".checklist-version").inner_text() == "(checklist v1)"
    screenshot(page, "live-pilot")
    page.goto(f"{live_server.url}/pilots/{proposed.id}/")
    assert page.locator("table.heatmap tr:has-text('Governance') td.gate-open").count() == 1
    assert page.locator(".checklist-version").inner_text() == "(checklist v2)"
    assert page.locator("text=EU AI Act risk classification is recorded").count() >= 1
