import pytest

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "correct horse battery"


def table_titles(page) -> list[str]:
    return page.locator("#pilots table.pilots tbody tr td:first-child a").all_inner_texts()


def test_an_executive_filters_the_dashboard_and_follows_a_figure(
    page, live_server, portfolio, screenshot
):
    # given: signed in
    sign_in(page, live_server, "erin@example.com", PASSWORD)
    assert page.locator("h1").inner_text().startswith("Portfolio")
    screenshot(page, "dashboard")

    # when: a filter is chosen, htmx swaps the table and the URL keeps the filter
    page.select_option("#id_stage", "stopped")
    page.wait_for_url("**/?*stage=stopped*")
    page.wait_for_function(
        "document.querySelectorAll('#pilots table.pilots tbody tr').length === 1"
    )

    # then: the link carries the filter in force, not the empty ones
    assert table_titles(page) == ["Dead end"]
    assert page.url == f"{live_server.url}/portfolio/?stage=stopped"
    assert page.locator(".figures-primary").is_visible()  # the page was not reloaded away
    screenshot(page, "filtered")

    # when: the stalled figure is followed
    page.goto(f"{live_server.url}/")
    page.click("a.figure:has-text('stalled or drifting')")
    page.wait_for_url("**/?state=stalling*")

    # then: the pilots behind the figure
    assert table_titles(page) == ["Stuck assistant"]
    screenshot(page, "stalled-pilots")


def test_the_filters_work_with_javascript_off(browser, live_server, portfolio, screenshot):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server, "erin@example.com", PASSWORD)

        page.select_option("#id_stage", "proposed")
        page.click("#pilots form button[type=submit]")
        page.wait_for_url("**/?*stage=proposed*")
        assert page.url == f"{live_server.url}/portfolio/?stage=proposed#pilots"

        assert table_titles(page) == ["Fresh idea"]
        screenshot(page, "no-javascript")
    finally:
        context.close()


def test_the_board_report_prints(page, live_server, portfolio, screenshot):
    sign_in(page, live_server, "erin@example.com", PASSWORD)

    page.click("text=Board report")
    page.emulate_media(media="print")

    assert page.locator("h1").inner_text().startswith("Board report")
    assert page.locator(".site-header").is_hidden()
    assert "Value below target" in page.content()
    screenshot(page, "board-report-print")
