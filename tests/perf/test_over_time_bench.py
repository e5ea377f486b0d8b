"""Benchmark: the portfolio over time, against the admin changelist of the same pilots.

Run with `make bench` (on SQLite, or on PostgreSQL with DATABASE_URL set), at 1,000 and
10,000 pilots (BENCH_SIZES) seeded with two years of history by `seed_demo`: the
dashboard with its trends, first as the first request after a change of the portfolio
computes them ("cold") and then as they are kept ("warm"), the dashboard as of a past
day, and the board report for a year. Times are medians of REPEAT requests, DEBUG off.
"""

from datetime import timedelta
from statistics import median
from time import perf_counter

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from portfolio.models import Pilot, Role, User
from tests.perf.test_dashboard_bench import REPEAT, SIZES, query_count, seed


def pages() -> dict[str, str]:
    today = timezone.localdate()
    year_ago, quarter_ago = today - timedelta(days=365), today - timedelta(days=90)
    return {
        "admin changelist": reverse("admin:portfolio_pilot_changelist"),
        "dashboard": reverse("dashboard"),
        "dashboard as of 90 days ago": f"{reverse('dashboard')}?as_of={quarter_ago}",
        "board report, a year": f"{reverse('board_report')}?start={year_ago}&end={today}",
    }


def timed(client, url: str, *, cold: bool = False) -> float:
    if cold:
        cache.clear()
    start = perf_counter()
    assert client.get(url).status_code == 200
    return perf_counter() - start


@pytest.mark.bench
@pytest.mark.django_db
def test_the_portfolio_over_time_against_the_admin_changelist(client, settings):
    """Each page "warm" (what the portfolio's version keeps is in the cache: every
    request until the next change) and "cold" (the first request after a change)."""
    settings.DEBUG = False
    results = {}
    for size in SIZES:
        seed(size)
        client.force_login(User.objects.filter(role=Role.ADMIN, is_superuser=True).first())
        assert Pilot.objects.count() >= size
        urls = pages()
        counts = {page: query_count(client, url) for page, url in urls.items()}
        warm: dict[str, list[float]] = {page: [] for page in urls}
        cold: dict[str, list[float]] = {page: [] for page in urls}
        for _ in range(REPEAT):
            for page, url in urls.items():
                cold[page].append(timed(client, url, cold=True))
                warm[page].append(timed(client, url))
        for page in urls:
            results[size, page] = (median(warm[page]) * 1000, median(cold[page]) * 1000)
            results[size, page, "queries"] = counts[page]

    vendor = connection.vendor
    print(f"\nThe portfolio over time on {vendor}, median of {REPEAT} requests, DEBUG off")
    print(
        f"{'pilots':>8}  {'page':<28} {'warm ms':>9} {'x admin':>8} {'cold ms':>9} {'x admin':>8}"
    )
    for size in SIZES:
        admin = results[size, "admin changelist"][0]
        for page in pages():
            warm_ms, cold_ms = results[size, page]
            print(
                f"{size:>8}  {page:<28} {warm_ms:>9.1f} {warm_ms / admin:>8.2f} "
                f"{cold_ms:>9.1f} {cold_ms / admin:>8.2f}"
            )
    small, large = SIZES[0], SIZES[-1]
    for page in ("dashboard", "dashboard as of 90 days ago", "board report, a year"):
        growth = results[large, page][0] / results[small, page][0]
        print(f"{page}, warm, at {large} / at {small}: {growth:.2f}")
    # The board report saves a query when a period's list of changes is empty.
    for page in ("dashboard", "dashboard as of 90 days ago"):
        assert results[small, page, "queries"] == results[large, page, "queries"]
