"""Every page of the app, for each role, at a desktop and a phone width, on the demo
portfolio: no sideways scroll, and axe-core finds no accessibility violation.

axe-core is the npm package pinned in tests/e2e/package.json (`npm ci --prefix
tests/e2e`); it is evaluated in the page through the DevTools protocol, which the
pages' Content-Security-Policy does not govern, so the policy stays as users get it.
Screenshots of every page at both widths go to screenshots/.
"""

import pytest

from portfolio.demo import demo_seed
from tests.e2e.conftest import SCREENSHOTS, axe_violations
from tests.e2e.pages import ANONYMOUS, PEOPLE_BY_ROLE, SIGNED_IN, WIDTHS, pages_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DEMO_PASSWORD = "pilotgate-demo"


@pytest.fixture
def demo(db):
    demo_seed(pilots=24, seed=7)


def sign_in_anywhere(page, live_server, email: str) -> None:
    """Sign in and land wherever the app sends this person."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


# The outermost elements that stick out on the right: what makes a page scroll sideways.
WIDEST_ELEMENTS = """() => {
  const sticksOut = (el) => el.getBoundingClientRect().right > window.innerWidth + 1;
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (el.className && typeof el.className === "string"
       ? "." + el.className.trim().split(/\\s+/).join(".") : "")
    + " (" + Math.round(el.getBoundingClientRect().right) + " px)";
  const clipped = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  return [...document.body.querySelectorAll("*")]
    .filter((el) => sticksOut(el) && !sticksOut(el.parentElement) && !clipped(el))
    .slice(0, 4).map(describe).join(", ");
}"""


def page_problems(page, *, name: str, width: int) -> list[str]:
    """What is wrong with the page shown: sideways scroll, accessibility violations."""
    problems = []
    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    if scroll_width > width:
        culprits = page.evaluate(WIDEST_ELEMENTS)
        problems.append(
            f"{name} at {width} px scrolls sideways: {scroll_width} px wide, by {culprits}"
        )
    problems += [f"{name} at {width} px: {v}" for v in axe_violations(page)]
    return problems


@pytest.mark.parametrize("role", [*SIGNED_IN, ANONYMOUS])
def test_every_page_fits_a_phone_and_passes_axe(browser, live_server, demo, role):
    problems, errors = [], []
    SCREENSHOTS.mkdir(exist_ok=True)
    for label, (width, height) in WIDTHS.items():
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            if role != ANONYMOUS:
                sign_in_anywhere(page, live_server, PEOPLE_BY_ROLE[role]().email)
            for app_page in pages_for(role):
                page.goto(f"{live_server.url}{app_page.path()}")
                if app_page.then:
                    app_page.then(page)
                path = SCREENSHOTS / f"pages-{role}-{app_page.name}-{label}.png"
                page.screenshot(path=path, full_page=True)
                problems += page_problems(page, name=f"{role} {app_page.name}", width=width)
        finally:
            context.close()
    assert errors == [], f"the pages logged errors: {errors}"
    assert problems == [], "\n".join(problems)
