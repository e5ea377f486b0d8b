"""Every page of the app, as the browser sweep visits it: one table, one row a page.

A row names the page (its screenshots are named after it), how to reach its address
on the demo portfolio, who may see it, and, for a page that is not a plain GET (a
form refused without JavaScript), how to get there. Add a page by adding a row.
"""

from collections.abc import Callable
from dataclasses import dataclass

from portfolio.demo.people import PEOPLE
from portfolio.models import Pilot, Role, Stage, User
from portfolio.services.alert_links import snooze_token_create, unsubscribe_token_create

EXECUTIVE, OWNER, REVIEWER, ADMIN = Role.EXECUTIVE, Role.OWNER, Role.REVIEWER, Role.ADMIN
SIGNED_IN = (EXECUTIVE, OWNER, REVIEWER, ADMIN)
ANONYMOUS = "anonymous"
WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}


def demo_person(login: str) -> User:
    """The demo person whose line in the table of demo logins starts with `login`."""
    email = next(p.email for p in PEOPLE if p.login and p.login.startswith(login))
    return User.objects.get(email=email)


# Who signs in for each role: the demo logins `make run` prints.
PEOPLE_BY_ROLE = {
    EXECUTIVE: lambda: demo_person("Executive"),
    OWNER: lambda: demo_person("Deployment owner"),
    REVIEWER: lambda: demo_person("Reviewer (IT)"),
    ADMIN: lambda: demo_person("Governance admin"),
}


def awaiting() -> Pilot:
    return Pilot.objects.get(title="Contact-centre assistant")


def in_production() -> Pilot:
    return Pilot.objects.filter(stage=Stage.IN_PRODUCTION).order_by("id").first()


def drifting_or_piloting() -> Pilot:
    return Pilot.objects.filter(stage=Stage.PILOTING).order_by("pilot_end_planned", "id").first()


def _snooze_path() -> str:
    pilot = awaiting()
    return f"/alerts/snooze/{snooze_token_create(owner=pilot.deployment_owner, pilot=pilot)}/"


def _unsubscribe_path() -> str:
    return f"/alerts/unsubscribe/{unsubscribe_token_create(user=demo_person('Executive'))}/"


def _refused_evidence(page) -> None:
    """Without htmx, an evidence form posted empty: the checklist page with its errors."""
    page.evaluate(
        """() => {
          const form = document.querySelector("form[action*='/evidence/']");
          form.removeAttribute("hx-post");
          form.querySelectorAll("textarea, input[type=url], input[type=file]")
            .forEach((field) => { field.required = false; field.value = ""; });
          form.submit();
        }"""
    )
    page.wait_for_load_state()


@dataclass(frozen=True)
class AppPage:
    name: str
    path: Callable[[], str]
    roles: tuple[str, ...] = SIGNED_IN
    then: Callable | None = None  # what to do on the page at `path` to reach this one


PAGES = [
    AppPage("landing", lambda: "/"),
    AppPage("dashboard", lambda: "/portfolio/"),
    AppPage("dashboard-filtered", lambda: "/portfolio/?state=stalling&risk_tier=high"),
    AppPage("dashboard-past", lambda: "/portfolio/?as_of=2026-01-31"),
    AppPage("board-report", lambda: "/report/"),
    AppPage("pilot-awaiting-decision", lambda: f"/pilots/{awaiting().id}/"),
    AppPage("pilot-in-production", lambda: f"/pilots/{in_production().id}/"),
    AppPage("pilot-piloting", lambda: f"/pilots/{drifting_or_piloting().id}/"),
    AppPage("pilot-history", lambda: f"/pilots/{awaiting().id}/history/"),
    AppPage("my-work", lambda: "/my/"),
    AppPage("new-pilot", lambda: "/pilots/new/"),
    AppPage("import", lambda: "/pilots/import/", roles=(EXECUTIVE, ADMIN)),
    AppPage(
        "checklist",
        lambda: f"/pilots/{awaiting().id}/",
        roles=(OWNER,),
        then=_refused_evidence,
    ),
    AppPage("checklist-versions", lambda: "/checklist/", roles=(ADMIN,)),
    AppPage("admin", lambda: "/admin/", roles=(ADMIN,)),
    AppPage("login", lambda: "/accounts/login/", roles=(ANONYMOUS,)),
    AppPage("password-reset", lambda: "/accounts/password_reset/", roles=(ANONYMOUS,)),
    AppPage("password-reset-sent", lambda: "/accounts/password_reset/done/", roles=(ANONYMOUS,)),
    AppPage("password-reset-bad-link", lambda: "/accounts/reset/x/y/", roles=(ANONYMOUS,)),
    AppPage("snooze", _snooze_path, roles=(ANONYMOUS,)),
    AppPage("unsubscribe", _unsubscribe_path, roles=(ANONYMOUS,)),
]


def pages_for(role: str) -> list[AppPage]:
    return [page for page in PAGES if role in page.roles]
