"""The owners' workspace in a real browser: starting a pilot, evidence with a file, a
reviewer's sign-off, an outsider's refusal and an executive's Scale decision."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gates.models import Criterion, Evidence, SignOff
from gates.services import evidence_submit
from portfolio import services
from portfolio.models import Decision, Role, Stage
from tests.e2e.conftest import sign_in
from tests.factories import UserFactory, make_awaiting_pilot, make_pilot, reviewer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_an_owner_is_refused_then_allowed_to_start_and_records_evidence_with_a_file(
    page, live_server, screenshot, tmp_path
):
    # given: Alice's pilot with only a deployment owner in its charter
    alice = UserFactory(email="alice@example.com", name="Alice Owner")
    pilot = make_pilot(deployment_owner=alice)
    sign_in(page, live_server, "alice@example.com", PASSWORD)
    page.goto(f"{live_server.url}/pilots/{pilot.id}/")

    # when: she starts it, htmx swaps the refusal into the stage panel
    page.click("#stage-panel button:has-text('Start the pilot')")
    refusal = page.locator("#stage-panel .error")
    refusal.wait_for()
    assert "cannot start before its charter answers" in refusal.inner_text()
    assert "the path to production" in refusal.inner_text()
    screenshot(page, "start-refused")

    # when: the charter is complete, the start goes through
    services.metric_set(pilot=pilot, name="Hours", baseline=120, target=60, direction="decrease")
    services.path_item_add(pilot=pilot, kind="system", description="CRM", owner=alice)
    page.click("#stage-panel button:has-text('Start the pilot')")
    page.locator("#stage-panel h2:has-text('Stage: Piloting')").wait_for()
    pilot.refresh_from_db()
    assert pilot.stage == Stage.PILOTING
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
    item.locator(".review-form select").select_option("accept")
    item.locator("button:has-text('Record the review')").click()
    page.locator(f"#criterion-{privacy.id} .evidence-accepted").wait_for()  # swapped in
    page.locator(f"#criterion-{privacy.id} summary:has-text('Sign off or object')").click()
    page.locator(f"#criterion-{privacy.id} .signoff-form select").select_option("signed_off")
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
    pilot = make_awaiting_pilot(owner=alice, entered_on=timezone.localdate() - timedelta(days=3))
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
