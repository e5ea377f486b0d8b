"""The demo's people and business units (their names are in `data/people.toml`)."""

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password

from portfolio.demo import prose
from portfolio.models import BusinessUnit, Function, Role, User
from portfolio.services.people import business_unit_get_or_create, user_create

DEMO_PASSWORD = "pilotgate-demo"
EMAIL_DOMAIN = "pilotgate.example"  # .example is reserved: no demo mail reaches anyone


@dataclass(frozen=True)
class DemoPerson:
    key: str
    name: str
    role: str
    function: str = Function.BUSINESS
    login: str = ""  # how the login table presents them; empty: not listed

    @property
    def email(self) -> str:
        return f"{self.name.lower().replace(' ', '.')}@{EMAIL_DOMAIN}"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    name: str
    email: str


PEOPLE: tuple[DemoPerson, ...] = tuple(
    DemoPerson(
        key=record["key"],
        name=record["name"],
        role=Role(record["role"]),
        function=Function(record.get("function", Function.BUSINESS)),
        login=record.get("login", ""),
    )
    for record in prose.PEOPLE
)

# Each business unit and the line manager who owns most of its pilots, by person key.
UNIT_OWNERS: dict[str, str] = {unit["name"]: unit["owner"] for unit in prose.BUSINESS_UNITS}
# Who sponsors a unit's pilots; a key that appears twice is drawn twice as often.
SPONSORS: dict[str, tuple[str, ...]] = {
    unit["name"]: tuple(unit["sponsors"]) for unit in prose.BUSINESS_UNITS
}


def reviewer_key(function: str) -> str:
    """The key of the demo reviewer who reviews and signs off for a function ("" for none)."""
    return f"reviewer_{function or 'business'}"


def demo_logins() -> list[DemoLogin]:
    """The demo people worth signing in as, among those that exist in the database."""
    existing = dict(
        User.objects.filter(email__in=[p.email for p in PEOPLE if p.login]).values_list(
            "email", "name"
        )
    )
    return [
        DemoLogin(role=p.login, name=existing[p.email], email=p.email)
        for p in PEOPLE
        if p.login and p.email in existing
    ]


def people_create() -> dict[str, User]:
    """The demo people, created through `user_create` (reusing any that already exist).

    The password is hashed once and written in one update: hashing it for each of the
    22 people would take seconds on every fresh start, for a password printed on screen.
    """
    existing = {u.email: u for u in User.objects.filter(email__in=[p.email for p in PEOPLE])}
    people: dict[str, User] = {}
    created: list[int] = []
    for person in PEOPLE:
        user = existing.get(person.email)
        if user is None:
            user = user_create(
                email=person.email, name=person.name, role=person.role, function=person.function
            )
            created.append(user.id)
        people[person.key] = user
    if created:
        User.objects.filter(id__in=created).update(password=make_password(DEMO_PASSWORD))
    # The governance admin also maintains gates and criteria through /admin/.
    User.objects.filter(id=people["admin"].id).update(is_staff=True, is_superuser=True)
    return people


def business_units_create() -> dict[str, BusinessUnit]:
    return {name: business_unit_get_or_create(name=name) for name in UNIT_OWNERS}
