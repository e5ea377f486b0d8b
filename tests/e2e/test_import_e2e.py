"""An executive imports a US-dated CSV from the page: refused until the date order is
said, the dry run shown, then imported on confirmation."""

from pathlib import Path

import pytest

from portfolio.models import Pilot, Role
from tests.e2e.conftest import sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "correct horse battery"
FIXTURES = Path(__file__).resolve().parents[1] / "portfolio" / "importer_fixtures"


def test_an_executive_checks_a_file_then_imports_it(page, live_server, screenshot):
    # given
    UserFactory(email="erin@example.com", name="Erin Executive", role=Role.EXECUTIVE)
    sign_in(page, live_server, "erin@example.com", PASSWORD)
    page.click("nav >> text=Import")
    page.wait_for_url("**/pilots/import/")

    # when: a US file whose dates read both ways is checked without an order
    page.set_input_files("#id_file", str(FIXTURES / "us-ambiguous.csv"))
    page.click("button:has-text('Check the file')")

    # then: refused, saying what to do, and nothing to confirm (htmx swapped the report)
    problems = page.locator("#import-report .import-problems")
    problems.wait_for()
    assert "this file writes dates as 03/01/2026: say whether that is 3 January 2026 or " in (
        problems.inner_text()
    )
    assert page.locator("text=Import these pilots").count() == 0
    screenshot(page, "refused")

    # when: checked again, month first
    page.select_option("#id_date_order", "MDY")
    page.click("button:has-text('Check the file')")

    # then: the dry run, nothing written yet
    page.locator("#import-report .import-counts").wait_for()
    report = page.locator("#import-report").inner_text()
    assert "2 would be created" in report
    assert "dates read month first (MM/DD/YYYY), as asked" in report
    assert not Pilot.objects.exists()
    screenshot(page, "dry-run")

    # when: confirmed
    page.click("button:has-text('Import these pilots')")

    # then
    page.locator("text=2 created").wait_for()
    assert sorted(Pilot.objects.values_list("reference", flat=True)) == ["CC-1", "FIN-7"]
    assert str(Pilot.objects.get(reference="CC-1").pilot_start) == "2026-01-05"
    screenshot(page, "imported")


def test_the_page_works_without_javascript(browser, live_server, screenshot):
    UserFactory(email="erin@example.com", name="Erin Executive", role=Role.EXECUTIVE)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, live_server, "erin@example.com", PASSWORD)
        page.goto(f"{live_server.url}/pilots/import/")
        page.set_input_files("#id_file", str(FIXTURES / "uk-proven.xlsx"))
        page.click("button:has-text('Check the file')")
        assert "3 would be created" in page.locator("#import-report").inner_text()
        screenshot(page, "dry-run-390px")

        page.click("button:has-text('Import these pilots')")

        assert "3 created" in page.locator("#import-report").inner_text()
        assert Pilot.objects.count() == 3
    finally:
        context.close()
