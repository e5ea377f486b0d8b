"""The weekly alert emails read on a phone: their HTML part rendered in Chromium at
390 px fits without sideways scroll. Screenshots in screenshots/."""

from datetime import date

import pytest
from django.core import mail

from portfolio.services.alerts import stall_alerts_send
from portfolio.services.parts import cost_line_add
from tests.e2e.conftest import SCREENSHOTS

pytestmark = [pytest.mark.e2e]

PHONE = {"width": 390, "height": 844}


def html_part(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


@pytest.mark.django_db
def test_the_digest_and_the_owner_alert_fit_a_phone(browser, stall_portfolio, executive):
    # given: two weeks of alerts, so the second digest says what changed
    p = stall_portfolio
    cost_line_add(pilot=p.stalled, category="integration", phase="transition", amount=1234567)
    stall_alerts_send(as_of=date(2026, 6, 1))
    stall_alerts_send(as_of=date(2026, 6, 8))
    emails = {
        f"{n}-{message.to[0].split('@')[0]}": html_part(message)
        for n, message in enumerate(mail.outbox)
    }
    assert len(emails) == 6

    # when / then
    SCREENSHOTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    too_wide = {}
    try:
        for name, html in emails.items():
            page.set_content(html)
            page.screenshot(path=SCREENSHOTS / f"email-{name}-phone.png", full_page=True)
            width = page.evaluate("document.scrollingElement.scrollWidth")
            if width > PHONE["width"]:
                too_wide[name] = width
    finally:
        context.close()
    assert too_wide == {}
