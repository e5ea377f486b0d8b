"""End-to-end tests: a real Chromium, driven by Playwright, against a live server.

The browser is the distribution's (CHROMIUM_PATH, default /usr/bin/chromium); no test
tool downloads one. Without it these tests are skipped, except in CI where a skip is a
failure (tests/conftest.py). Each test keeps screenshots of its key pages in
screenshots/.
"""

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from portfolio.models import Role
from portfolio.services.lifecycle import decision_record
from tests.factories import UserFactory, make_awaiting_pilot, make_pilot

# Playwright's sync API runs an event loop in this thread; the tests' own database
# calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
# axe-core, from the npm package pinned in tests/e2e/package.json (`npm ci --prefix tests/e2e`).
AXE_SCRIPT = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
# Without these, Chromium keeps trying to reach Google's hosts from a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM_PATH, os.X_OK):
        pytest.skip(f"no Chromium at {CHROMIUM_PATH} (set CHROMIUM_PATH)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A page in a fresh browser context; the test fails on any error the page logs
    (a failed request, an htmx swap without its target, a script error)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"the page logged errors: {errors}"


@pytest.fixture
def screenshot(request):
    """Keep a screenshot of a page: screenshots/<test>-<name>.png."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take


def sign_in(page, live_server, email: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    # Executives stay on the dashboard at /, the others land on My work.
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def axe_violations(page) -> list[str]:
    """axe-core's violations on the page shown, one line each: rule, impact, where.

    The script is evaluated through the DevTools protocol, which the page's
    Content-Security-Policy does not govern: the policy stays as users get it.
    """
    if not AXE_SCRIPT.exists():
        # A skip, like a missing Chromium: in CI (`CI` set) it is a failure.
        pytest.skip(f"no axe-core at {AXE_SCRIPT}: run `npm ci --prefix tests/e2e`")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8") + "\n;undefined")
    results = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in results["violations"]
    ]


def days_ago(n: int) -> date:
    return timezone.localdate() - timedelta(days=n)


@pytest.fixture
def portfolio(db):
    """A small portfolio for the dashboard's and the board report's tests: a stalled
    pilot, a stopped one and a proposal; returns the executive who looks at it."""
    executive = UserFactory(email="erin@example.com", name="Erin Executive", role=Role.EXECUTIVE)
    owner = UserFactory(email="alice@example.com", name="Alice Owner")
    make_awaiting_pilot(owner=owner, entered_on=days_ago(120), title="Stuck assistant")
    stopped = make_awaiting_pilot(owner=owner, entered_on=days_ago(30), title="Dead end")
    decision_record(pilot=stopped, outcome="stop", by=executive, rationale="Value below target")
    make_pilot(title="Fresh idea")
    return executive
