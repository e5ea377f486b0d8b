"""The reviewer's journey in a real browser: lands on My work, follows an item to the
criterion (its gate opened), signs off, and sees the gate summary, the head and the
header's count change without a reload."""

import pytest

from gates.models import Criterion, GateStatus
from gates.services import evidence_review, evidence_submit
from portfolio.models import Stage
from portfolio.services.lifecycle import pilot_stage_move
from tests.e2e.conftest import sign_in
from tests.factories import UserFactory, make_chartered_pilot, reviewer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "correct horse battery"


def test_a_reviewer_lands_on_my_work_follows_an_item_and_signs_off(page, live_server, screenshot):
    # given: accepted evidence on legal's criterion, waiting for legal's verdict
    alice = UserFactory(email="alice@example.com", name="Alice Owner")
    pilot = make_chartered_pilot(owner=alice, title="Contact-centre assistant")
    pilot_stage_move(pilot=pilot, to_stage=Stage.PILOTING, by=alice)
    privacy = Criterion.objects.select_related("gate").get(text="Data privacy compliance")
    legal = reviewer("legal")
    evidence = evidence_submit(pilot=pilot, criterion=privacy, by=alice, text="DPIA")
    evidence_review(evidence=evidence, by=legal, accept=True)
    data_gate = GateStatus.objects.get(pilot=pilot, gate=privacy.gate)
    required = data_gate.criteria_required

    # when: legal signs in
    sign_in(page, live_server, legal.email, PASSWORD)

    # then: My work, one item, counted in the header
    assert page.url == f"{live_server.url}/my/"
    assert page.locator("#my-work-link .count").inner_text() == "1"
    screenshot(page, "my-work")

    # when: legal follows the item
    page.click("#work-signoff a:has-text('Data privacy compliance')")

    # then: the criterion, in its gate's checklist, opened by the server
    assert page.url.endswith(f"?open=data#criterion-{privacy.id}")
    assert page.locator("#gate-data").get_attribute("open") is not None
    assert page.locator("#gate-governance").get_attribute("open") is None
    assert page.locator(f"#criterion-{privacy.id}").is_visible()
    summary = page.locator("#gate-summary tr:has-text('Production data')")
    assert f"Open, 0 of {required} required criteria met" in summary.inner_text()
    assert "Sign off or object: Data privacy compliance" in page.locator("#page-head").inner_text()
    screenshot(page, "criterion")

    # when: legal signs off, with htmx
    page.evaluate("window.notReloaded = true")
    item = page.locator(f"#criterion-{privacy.id}")
    item.locator("summary:has-text('Sign off or object')").click()
    item.locator(".signoff-form input[value=signed_off]").check()
    item.locator("button:has-text('Record the verdict')").click()
    page.locator(f"#criterion-{privacy.id} .signoff-signed_off").wait_for()

    # then: the gate summary, the head and the count changed in place
    page.wait_for_function("document.querySelector('#my-work-link .count').textContent === '0'")
    assert f"Open, 1 of {required} required criteria met" in summary.inner_text()
    assert "Sign off or object" not in page.locator("#page-head").inner_text()
    assert page.evaluate("window.notReloaded") is True
    screenshot(page, "signed-off")
