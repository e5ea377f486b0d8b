"""Benchmark: the pilot page against the admin change page of the same pilot.

Run with `make bench`. One pilot of the demo portfolio is measured as the demo has it,
then with a hundred of each of its parts (readings, path items, KPIs, conditions, cost
lines) more: the page is read by the pilot's deployment owner, who gets every edit
form, and its query count must not move.
"""

import io
from datetime import date, timedelta
from statistics import median
from time import perf_counter

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portfolio.models import Pilot, Role, Stage, User
from portfolio.services.parts import (
    condition_add,
    cost_line_add,
    kpi_add,
    path_item_add,
    reading_add,
)

PILOTS = 1000
PARTS = 100
REPEAT = 7


def timed(client, url: str) -> float:
    start = perf_counter()
    response = client.get(url)
    elapsed = perf_counter() - start
    assert response.status_code == 200
    return elapsed


def measure(owner_client, admin_client, pilot: Pilot) -> dict[str, tuple[float, int]]:
    """Median ms over REPEAT alternating requests, and the query count, per page."""
    pages = {
        "pilot page": (owner_client, reverse("pilot_detail", args=[pilot.id])),
        "admin change page": (
            admin_client,
            reverse("admin:portfolio_pilot_change", args=[pilot.id]),
        ),
    }
    counts = {}
    for page, (client, url) in pages.items():
        with CaptureQueriesContext(connection) as queries:
            timed(client, url)
        counts[page] = len(queries)
    times = {page: [] for page in pages}
    for _ in range(REPEAT):
        for page, (client, url) in pages.items():
            times[page].append(timed(client, url))
    return {page: (median(times[page]) * 1000, counts[page]) for page in pages}


def add_parts(pilot: Pilot, owner: User) -> None:
    start = date(2025, 1, 1)
    for n in range(PARTS):
        reading_add(pilot=pilot, measured_on=start + timedelta(days=n), value=n)
        path_item_add(pilot=pilot, kind="system", description=f"System {n}", owner=owner)
        kpi_add(pilot=pilot, kind="uptime", name=f"Uptime {n}", target="99.9%")
        condition_add(pilot=pilot, kind="other", description=f"Exception {n}")
        cost_line_add(pilot=pilot, category="data", phase="pilot", amount=n)


@pytest.mark.bench
@pytest.mark.django_db
def test_pilot_page_against_the_admin_change_page(client, django_user_model):
    call_command("seed_demo", "--pilots", str(PILOTS), "--seed", "7", stdout=io.StringIO())
    pilot = (
        Pilot.objects.filter(stage=Stage.PILOTING, deployment_owner__isnull=False)
        .exclude(success_metric=None)
        .order_by("id")
        .first()
    )
    owner = pilot.deployment_owner
    owner_client = client
    owner_client.force_login(owner)
    admin_client = type(client)()
    admin_client.force_login(User.objects.filter(role=Role.ADMIN, is_superuser=True).first())

    results = {"as seeded": measure(owner_client, admin_client, pilot)}
    add_parts(pilot, owner)
    results[f"+{PARTS} of each part"] = measure(owner_client, admin_client, pilot)

    print(f"\nPilot page benchmark on {connection.vendor}, {PILOTS} pilots, median of {REPEAT}")
    print(f"{'pilot':<20} {'page':<18} {'ms':>8} {'queries':>8}")
    for size, pages in results.items():
        for page, (ms, queries) in pages.items():
            print(f"{size:<20} {page:<18} {ms:>8.1f} {queries:>8}")
    seeded, grown = results.values()
    against_admin = seeded["pilot page"][0] / seeded["admin change page"][0]
    growth = grown["pilot page"][0] / seeded["pilot page"][0]
    print(f"pilot page / admin change page, as seeded: {against_admin:.2f} (target 1.5 at most)")
    print(f"pilot page with {PARTS} more of each part / as seeded: {growth:.2f}")

    assert seeded["pilot page"][1] == grown["pilot page"][1]
    assert against_admin <= 1.5
