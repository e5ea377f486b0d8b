"""The owners' workspace in a real browser: proposing a pilot and filling its charter,
starting it, evidence with a file, a reviewer's sign-off, an outsider's refusal, an
executive's Scale decision, editing without JavaScript, and two editors at once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gates.models import Criterion, Evidence, SignOff
from gates.services import evidence_submit
from portfolio.models import Decision, Pilot, Role, Stage
from portfolio.selectors.decisions import scale_gaps
from portfolio.services.parts import cost_line_add, reading_add
from portfolio.services.pilots import pilot_update
from tests.e2e.conftest import sign_in
from tests.factories import (
    BusinessUnitFactory,
    UserFactory,
    close_out,
    gate_meet,
    make_awaiting_pilot,
    make_chartered_pilot,
    reviewer,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_an_owner_proposes_fills_the_charter_is_refused_then_allowed_to_start_and_records_evidence(
    page, live_server, screenshot, tmp_path
):
    # given: Alice proposes a pilot, naming only herself as its deployment owner
    alice = UserFactory(email="alice@example.com", name="Alice Owner")
    BusinessUnitFactory(name="Customer service")
    sign_in(page, live_server, "alice@example.com", PASSWORD)
    page.goto(f"{live_server.url}/my/pilots/")
    page.click("a:has-text('Propose a pilot')")
    page.fill("#id_title", "Contact-centre assistant")
    page.select_option("#id_business_unit", label="Customer service")
    assert page.locator("#id_deployment_owner option:checked").inner_text() == "Alice Owner"
    screenshot(page, "propose")
    page.click("button:has-text('Propose the pilot')")
    page.locator("h1:has-text('Contact-centre assistant')").wait_for()
    pilot = Pilot.objects.get(title="Contact-centre assistant")
    assert pilot.deployment_owner == alice

    # when: she starts it, htmx swaps the refusal into the stage panel
    page.click("#stage-panel button:has-text('Start the pilot')")
    refusal = page.locator("#stage-panel .error")
    refusal.wait_for()
    assert "cannot start before its charter answers" in refusal.inner_text()
    assert "the path to production" in refusal.inner_text()
    screenshot(page, "start-refused")

    # when: she fills the charter in place: the metric, a path item, the dates
    metric = page.locator("#metric-panel")
    metric.locator("input[name=metric-name]").fill("Hours of manual review per week")
    metric.locator("input[name=metric-unit]").fill("hours")
    metric.locator("input[name=metric-baseline]").fill("120")
    metric.locator("input[name=metric-target]").fill("60")
    metric.locator("select[name=metric-direction]").select_option("decrease")
    metric.locator("button:has-text('Save the metric')").click()
    page.locator("#metric-panel .message-success").wait_for()
    path = page.locator("#part-path")
    path.locator("summary:has-text('Add a path item')").click()
    path.locator("select[name=add-path-kind]").select_option("system")
    path.locator("input[name=add-path-description]").fill("CRM integration")
    path.locator("select[name=add-path-owner]").select_option(label="Alice Owner")
    path.locator("button:has-text('Add a path item')").click()
    page.locator("#part-path td:has-text('CRM integration')").wait_for()
    page.locator("#charter-answers:has-text('answers the three questions')").wait_for()
    page.click("#charter-panel a:has-text('Edit the charter')")
    page.fill("input[name=charter-pilot_start]", "2026-03-02")
    page.fill("input[name=charter-pilot_end_planned]", "2026-02-01")
    page.click("button:has-text('Save the charter')")
    error = page.locator("#charter-panel .error:has-text('planned end comes before')")
    error.wait_for()
    screenshot(page, "charter-date-error")
    page.fill("input[name=charter-pilot_end_planned]", "2026-06-30")
    page.click("button:has-text('Save the charter')")
    page.locator("#charter-panel .message-success").wait_for()
    screenshot(page, "charter-filled")

    # then: the start goes through
    page.click("#stage-panel button:has-text('Start the pilot')")
    page.locator("#stage-panel h2:has-text('Stage: Piloting')").wait_for()
    pilot.refresh_from_db()
    assert pilot.stage == Stage.PILOTING
    assert str(pilot.pilot_end_planned) == "2026-06-30"
    screenshot(page, "started")

    # when: she records evidence with a PDF on the legal criterion
    privacy = Criterion.objects.get(text="Data privacy compliance")
    item = page.locator(f"#criterion-{privacy.id}")
    item.locator("summary:has-text('Add evidence')").click()
    pdf = tmp_path / "dpia.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    item.locator("textarea").fill("DPIA signed by the DPO")
    item.locator("input[type=file]").set_input_files(str(pdf))
    item.locator("button:has-text('Record the evidence')").click()
    page.locator(f"#criterion-{privacy.id} a.evidence-file").wait_for()

    # then
    evidence = Evidence.objects.get(pilot=pilot)
    assert evidence.file_name == "dpia.pdf"
    screenshot(page, "evidence-recorded")


def test_a_reviewer_accepts_and_signs_off_and_an_outsider_is_refused(
    browser, page, live_server, screenshot
):
    # given: evidence awaiting legal's review
    alice = UserFactory(email="alice@example.com", name="Alice Owner")
    UserFactory(email="charlie@example.com", name="Charlie Outsider")
    pilot = make_awaiting_pilot(owner=alice, entered_on=timezone.localdate() - timedelta(days=3))
    privacy = Criterion.objects.get(text="Data privacy compliance")
    evidence_submit(pilot=pilot, criterion=privacy, by=alice, text="DPIA")
    legal = reviewer("legal")  # signs in with the factories' password

    # when: the legal reviewer accepts the evidence and signs off
    sign_in(page, live_server, legal.email, PASSWORD)
    page.goto(f"{live_server.url}/pilots/{pilot.id}/")
    item = page.locator(f"#criterion-{privacy.id}")
    item.locator(".review-form input[value=accept]").check()
    item.locator("button:has-text('Record the review')").click()
    page.locator(f"#criterion-{privacy.id} .evidence-accepted").wait_for()  # swapped in
    page.locator(f"#criterion-{privacy.id} summary:has-text('Sign off or object')").click()
    page.locator(f"#criterion-{privacy.id} .signoff-form input[value=signed_off]").check()
    page.locator(f"#criterion-{privacy.id} button:has-text('Record the verdict')").click()
    page.locator(f"#criterion-{privacy.id} .signoff-signed_off").wait_for()

    # then
    assert SignOff.objects.get(pilot=pilot, criterion=privacy).verdict == "signed_off"
    screenshot(page, "signed-off")

    # when: an outsider posts a decision without the form (the page does not offer it)
    context = browser.new_context()
    outsider = context.new_page()
    try:
        sign_in(outsider, live_server, "charlie@example.com", PASSWORD)
        outsider.goto(f"{live_server.url}/pilots/{pilot.id}/")
        assert outsider.locator("summary:has-text('Record a stage-gate decision')").count() == 0
        token = outsider.evaluate("document.body.getAttribute('hx-headers')")
        response = outsider.request.post(
            f"{live_server.url}/pilots/{pilot.id}/decision/",
            form={"outcome": "stop", "rationale": "No"},
            headers={"X-CSRFToken": token.split('"')[3], "Referer": live_server.url + "/"},
        )
        # then
        assert response.status == 403
        assert "You are not allowed to do this" in response.text()
        outsider.set_content(response.text())
        screenshot(outsider, "outsider-refused")
    finally:
        context.close()
    assert not Decision.objects.exists()


def test_an_executive_records_scale(page, live_server, screenshot):
    UserFactory(email="erin@example.com", name="Erin Executive", role=Role.EXECUTIVE)
    alice = UserFactory(email="alice@example.com", name="Alice Owner")
    pilot = make_awaiting_pilot(
        owner=alice, entered_on=timezone.localdate() - timedelta(days=3), risk_tier="low"
    )
    for key in ("ownership", "integration", "value"):  # ready: every gate of its tier met
        gate_meet(pilot=pilot, key=key, by=alice)
    close_out(pilot)
    sign_in(page, live_server, "erin@example.com", PASSWORD)
    page.goto(f"{live_server.url}/pilots/{pilot.id}/")

    page.click("#stage-panel summary:has-text('Record a stage-gate decision')")
    page.select_option("#stage-panel select[name=outcome]", "scale")
    page.fill("#stage-panel textarea[name=rationale]", "Value proven on production data")
    page.click("#stage-panel button:has-text('Record the decision')")
    page.locator("#stage-panel h2:has-text('Stage: Scaling')").wait_for()

    decision = Decision.objects.get(pilot=pilot)
    assert (decision.outcome, decision.decided_by.email) == ("scale", "erin@example.com")
    screenshot(page, "scaled")


def test_an_owner_edits_a_cost_line_with_javascript_off(browser, live_server, screenshot):
    alice = UserFactory(email="alice@example.com", name="Alice Owner")
    pilot = make_chartered_pilot(owner=alice)
    cost_line_add(pilot=pilot, category="data", phase="pilot", amount=1000)
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1400, "height": 900}
    )
    page = context.new_page()
    try:
        sign_in(page, live_server, "alice@example.com", PASSWORD)
        page.goto(f"{live_server.url}/pilots/{pilot.id}/")
        page.click("#part-costs a:has-text('Edit')")  # a link: the page in edit mode
        page.fill("#part-costs input[name$=-amount]", "-40")
        page.click("#part-costs button:has-text('Save the cost line')")
        assert "A cost cannot be negative." in page.locator("#part-costs").inner_text()
        page.fill("#part-costs input[name$=-amount]", "1500")
        page.click("#part-costs button:has-text('Save the cost line')")
        page.wait_for_url(f"**/pilots/{pilot.id}/#part-costs")
        assert "The cost line is saved." in page.locator(".messages").inner_text()
        assert "Pilot: 1,500.00 EUR" in page.locator("#part-costs").inner_text()
        screenshot(page, "cost-saved-without-javascript")
    finally:
        context.close()


def test_the_second_of_two_editors_sees_the_current_values(page, live_server, screenshot):
    alice = UserFactory(email="alice@example.com", name="Alice Owner")
    pilot = make_chartered_pilot(owner=alice)
    sign_in(page, live_server, "alice@example.com", PASSWORD)
    page.goto(f"{live_server.url}/pilots/{pilot.id}/")
    page.click("#charter-panel a:has-text('Edit the charter')")
    page.fill("textarea[name=charter-summary]", "Alice's summary")

    # meanwhile, the summary is changed by someone else
    pilot_update(pilot=pilot, summary="Changed meanwhile")
    page.click("button:has-text('Save the charter')")

    conflict = page.locator("#charter-panel .conflict")
    conflict.wait_for()
    assert "Someone else changed this meanwhile" in conflict.inner_text()
    assert "Summary: Alice's summary" in conflict.inner_text()
    assert page.input_value("textarea[name=charter-summary]") == "Changed meanwhile"
    screenshot(page, "edit-conflict")
    pilot.refresh_from_db()
    assert pilot.summary == "Changed meanwhile"


def test_a_decision_maker_reads_the_brief_is_refused_scale_records_waivers_and_scales(
    browser, live_server, screenshot
):
    # given: alice's low-risk pilot awaits decision, close-out answered, no gate met
    alice = UserFactory(email="alice@example.com", name="Alice Owner")
    pilot = make_awaiting_pilot(
        owner=alice, entered_on=timezone.localdate() - timedelta(days=12), risk_tier="low"
    )
    close_out(pilot)
    reading_add(pilot=pilot, measured_on=timezone.localdate() - timedelta(days=5), value=70)
    # The refusal comes back as a 400, which the browser logs: that alone is expected.
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_in(page, live_server, "alice@example.com", PASSWORD)
        page.goto(f"{live_server.url}/pilots/{pilot.id}/")

        # when: she reads the brief
        brief = page.locator("#decision-brief")
        assert "awaiting decision for 12 days" in brief.inner_text()
        assert "latest reading 70" in brief.inner_text()
        assert "gate 3. Workflow integration: 4 required criteria not met" in brief.inner_text()
        screenshot(page, "brief")

        # when: she asks for a Scale without waivers
        page.click("#stage-panel summary:has-text('Record a stage-gate decision')")
        assert page.locator("#stage-panel select[name=outcome]").input_value() == ""
        page.select_option("#stage-panel select[name=outcome]", "scale")
        page.fill("#stage-panel textarea[name=rationale]", "Value proven")
        page.click("#stage-panel button:has-text('Record the decision')")

        # then: refused, with what is missing, in the panel
        refusal = page.locator(
            "#stage-panel p.error", has_text="A Scale needs what is still missing"
        )
        refusal.wait_for()
        assert "gate 1. Business ownership" in refusal.inner_text()
        assert "gate 4. Value measurement" in refusal.inner_text()
        screenshot(page, "scale-refused")
        assert not Decision.objects.exists()

        # when: she records a waiver for each open gate and decides again
        for need in scale_gaps(pilot).waivers:
            page.fill(f"[name='{need.key}-reason']", f"{need.gate.name} is not in the way yet")
            page.fill(f"[name='{need.key}-condition']", f"Close {need.gate.name} before wave 2")
            page.select_option(f"[name='{need.key}-owner']", label="Alice Owner")
            page.fill(f"[name='{need.key}-due_on']", "2099-12-31")
        page.click("#stage-panel button:has-text('Record the decision')")

        # then: scaled, with the waivers and the snapshot on the page
        page.locator("#stage-panel h2:has-text('Stage: Scaling')").wait_for()
        assert page.locator("#decision-brief").inner_text().strip() == ""
        page.click("#stage-panel summary:has-text('What the decision maker saw')")
        snapshot = page.locator("#stage-panel .snapshot").inner_text()
        assert "1. Business ownership: open, 0 of 2 required criteria met" in snapshot
        assert "Close Workflow integration before wave 2" in snapshot
        screenshot(page, "scaled-with-waivers")
    finally:
        context.close()
    decision = Decision.objects.get(pilot=pilot)
    assert (decision.outcome, decision.waivers.count()) == ("scale", 3)
    assert [e for e in errors if "status of 400" not in e] == []
