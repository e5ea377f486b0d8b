"""Benchmark: the dashboard against the admin changelist of the same pilots.

Run with `make bench` (on SQLite, or on PostgreSQL with DATABASE_URL set). Both pages
are measured in one process on the same data, at 1,000 and at 10,000 pilots, so the
ratios hold whatever the machine's speed.
"""

import io
import os
from statistics import median
from time import perf_counter

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gates.models import ChecklistVersion, Criterion
from portfolio.models import BusinessUnit, Decision, Pilot, Role, User

SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "1000,10000").split(",")]
REPEAT = int(os.environ.get("BENCH_REPEAT", "7"))
PAGES = {
    "dashboard": reverse("dashboard"),
    "admin changelist": reverse("admin:portfolio_pilot_changelist"),
}


def seed(size: int) -> None:
    # Decisions protect the ones they supersede; unlink them to wipe the portfolio.
    Decision.objects.update(supersedes=None)
    Pilot.objects.all().delete()
    # The checklist as migrations leave it: the demo publishes its second version.
    later = ChecklistVersion.objects.filter(number__gt=1)
    Criterion.objects.filter(version__in=later).delete()
    later.delete()
    ChecklistVersion.objects.update(published_by=None)
    User.objects.all().delete()
    BusinessUnit.objects.all().delete()
    call_command("seed_demo", "--pilots", str(size), "--seed", "7", stdout=io.StringIO())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum does after a bulk load


def query_count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def measure(client) -> dict[str, tuple[float, int]]:
    """Per page: median server time in ms over REPEAT requests, and the query count.

    The pages' requests alternate, so both see the same load on the machine.
    """
    counts = {page: query_count(client, url) for page, url in PAGES.items()}  # also warms up
    times: dict[str, list[float]] = {page: [] for page in PAGES}
    for _ in range(REPEAT):
        for page, url in PAGES.items():
            start = perf_counter()
            response = client.get(url)
            times[page].append(perf_counter() - start)
            assert response.status_code == 200
    return {page: (median(times[page]) * 1000, counts[page]) for page in PAGES}


@pytest.mark.bench
@pytest.mark.django_db
def test_dashboard_against_the_admin_changelist(client):
    results = {}
    for size in SIZES:
        seed(size)
        admin = User.objects.filter(role=Role.ADMIN, is_superuser=True).first()
        client.force_login(admin)
        assert Pilot.objects.count() >= size
        for page, figures in measure(client).items():
            results[size, page] = figures

    small, large = SIZES
    vendor = connection.vendor
    print(f"\nDashboard benchmark on {vendor}, median of {REPEAT} requests")
    print(f"{'pilots':>8}  {'page':<18} {'ms':>8} {'queries':>8}")
    for (size, page), (ms, queries) in results.items():
        print(f"{size:>8}  {page:<18} {ms:>8.1f} {queries:>8}")
    against_admin = results[large, "dashboard"][0] / results[large, "admin changelist"][0]
    growth = results[large, "dashboard"][0] / results[small, "dashboard"][0]
    print(f"dashboard / admin changelist at {large}: {against_admin:.2f} (target 1.5 at most)")
    print(f"dashboard at {large} / at {small}: {growth:.2f} (target 2.0 at most)")

    assert results[small, "dashboard"][1] == results[large, "dashboard"][1]
    assert against_admin <= 1.5
    assert growth <= 2.0
