"""An executive looks at the portfolio of a past day and the board report of a period."""

import pytest
from pypdf import PdfReader

from tests.e2e.conftest import days_ago, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "correct horse battery"


def figure(page, words: str) -> str:
    return page.locator(f"a.figure:has-text('{words}') .number").inner_text()


def test_an_executive_looks_back_and_downloads_the_board_report(
    page, live_server, portfolio, screenshot, tmp_path
):
    # given: signed in, today three pilots and one stalled
    sign_in(page, live_server, "erin@example.com", PASSWORD)
    assert figure(page, "pilots in the portfolio") == "3"
    assert figure(page, "stalled") == "1"

    # when: a past day is picked in the header
    day = days_ago(90)
    page.fill("#id_as_of", day.isoformat())
    page.click(".as-of button[type=submit]")
    page.wait_for_url(f"**/?as_of={day.isoformat()}*")

    # then: the figures as they stood then
    assert figure(page, "pilots in the portfolio") == "1"
    assert figure(page, "stalled") == "0"
    assert "as the records stood" in page.locator(".as-of-note").inner_text()
    screenshot(page, "as-of")

    # when: a point of a trend is followed
    page.goto(f"{live_server.url}/")
    page.locator("#trend-stalls a[href*='state=stalled']").last.click()
    page.wait_for_url("**/?as_of=*state=stalled*")

    # then: the pilots behind the point
    rows = page.locator("#pilots table.pilots tbody tr td:first-child a").all_inner_texts()
    assert rows == ["Stuck assistant"]

    # when: the board report of a period is chosen
    page.goto(f"{live_server.url}/report/")
    page.fill("#id_start", days_ago(60).isoformat())
    page.fill("#id_end", days_ago(0).isoformat())
    page.click("button:has-text('Show period')")
    page.wait_for_url("**/report/?start=*")

    # then: the period's changes and the chosen dates shown
    assert page.input_value("#id_start") == days_ago(60).isoformat()
    decisions = page.locator("section[aria-labelledby=decisions-title] table")
    assert "Value below target" in decisions.inner_text()
    screenshot(page, "report")

    # when: the PDF is downloaded
    with page.expect_download() as download:
        page.click("a:has-text('Download as PDF')")
    path = tmp_path / "report.pdf"
    download.value.save_as(path)

    # then: it holds the report's figures
    text = " ".join(p.extract_text() for p in PdfReader(path).pages)
    assert "Pilots in the portfolio" in text and "Dead end" in text
