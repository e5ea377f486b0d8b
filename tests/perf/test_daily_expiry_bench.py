"""Benchmark: the daily job (stall detection and the expiry of evidence and sign-offs,
with the readiness it changes) at 100,000 pilots with evidence, against the raw SQL
selects it needs, and its peak memory.

Run with `make bench` (on SQLite, or on PostgreSQL with DATABASE_URL set). Targets: a
day's run takes at most 10 times the selects (the stalled pilots, the evidence and the
sign-offs that expired), and peak memory stays under 200 MB.

Every pilot has accepted evidence and a sign-off on the three criteria that expire
(security clearance, data privacy compliance, integration stability), accepted over the
two years before; the job has run every day until the day before. The first run ever,
which expires two years of evidence at once (about half of it) and derives again the
readiness of nearly every pilot, happens once, when validity periods are introduced: it
is bound by writing tens of thousands of events and gate statuses, reported and held to
FIRST_RUN_MAX_RATIO, a ceiling that still catches per-pilot queries.
BENCH_EXPIRY_PILOTS changes the number of pilots.
"""

import os
import random
import tracemalloc
from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from gates.models import ChecklistEvent, Criterion, Evidence, EvidenceStatus, SignOff, Verdict
from gates.services import add_months
from gates.services.expiry import _expired_evidence, _expired_signoffs
from portfolio.models import Pilot, User
from portfolio.tasks import daily_checks_record
from tests.perf.test_flag_stalls_bench import (
    AS_OF,
    max_rss_mb,
    seed,
    stalled_pilots_query,
    timed,
    timed_and_undone,
)

PILOTS = int(os.environ.get("BENCH_EXPIRY_PILOTS", "100000"))
BATCH = 5000
MAX_RATIO = 10
FIRST_RUN_MAX_RATIO = 150
MAX_MEMORY_MB = 200
EXPIRING = ["Security clearance", "Data privacy compliance", "Integration stability"]


def seed_evidence() -> None:
    """Accepted evidence and a sign-off per pilot and expiring criterion, accepted on a
    day of the two years before AS_OF; valid_until as the services set it."""
    rng = random.Random(11)
    criteria = list(Criterion.objects.filter(text__in=EXPIRING))
    by = User.objects.first()
    ids = list(Pilot.objects.order_by("id").values_list("id", flat=True))
    for start in range(0, len(ids), BATCH):
        evidence, signoffs = [], []
        for pilot_id in ids[start : start + BATCH]:
            for criterion in criteria:
                day = AS_OF - timedelta(days=rng.randrange(0, 730))
                at = timezone.make_aware(datetime.combine(day, time(10)))
                until = add_months(day, criterion.validity_months)
                common = {"pilot_id": pilot_id, "criterion": criterion}
                evidence.append(
                    Evidence(
                        **common,
                        text="Bench",
                        submitted_by=by,
                        submitted_at=at,
                        status=EvidenceStatus.ACCEPTED,
                        reviewed_by=by,
                        reviewed_at=at,
                        valid_until=until,
                    )
                )
                signoffs.append(
                    SignOff(
                        **common,
                        function=criterion.function,
                        verdict=Verdict.SIGNED_OFF,
                        signed_by=by,
                        signed_at=at,
                        valid_until=until,
                    )
                )
        Evidence.objects.bulk_create(evidence, batch_size=1000)
        SignOff.objects.bulk_create(signoffs, batch_size=1000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def raw_selects(as_of: date) -> int:
    """The selects the day's job needs, and nothing else: the reference."""
    return (
        len(stalled_pilots_query())
        + len(list(_expired_evidence(as_of)))
        + len(list(_expired_signoffs(as_of)))
    )


@pytest.mark.bench
@pytest.mark.django_db
def test_the_daily_job_against_the_selects_it_needs():
    seed(PILOTS)
    seed_evidence()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    # The first run ever, yesterday: two years of expiries at once. From then on, the
    # job has run every day.
    yesterday = AS_OF - timedelta(days=1)
    first_ms, first = timed(lambda: daily_checks_record(as_of=yesterday))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    query_ms, _ = timed(lambda: raw_selects(AS_OF), repeat=5)
    rss_before = max_rss_mb()
    tracemalloc.start()
    today_ms, today = timed(lambda: daily_checks_record(as_of=AS_OF))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_mb, rss_growth_mb = peak / 2**20, max_rss_mb() - rss_before
    again_ms, again = timed(lambda: daily_checks_record(as_of=AS_OF), repeat=3)
    week_ms, week = timed_and_undone(lambda: daily_checks_record(as_of=AS_OF + timedelta(days=7)))
    week_query_ms, _ = timed(lambda: raw_selects(AS_OF + timedelta(days=7)), repeat=3)

    def expired(counts: dict) -> str:
        return (
            f"{counts['expired_evidence']:,} evidence, {counts['expired_signoffs']:,} "
            f"sign-offs, {counts['expired_pilots']:,} pilots derived again"
        )

    rows = [
        ("the selects (reference)", query_ms, query_ms, ""),
        ("first run ever (two years at once)", first_ms, query_ms, expired(first)),
        ("the day's run", today_ms, query_ms, expired(today)),
        ("again the same day", again_ms, query_ms, expired(again)),
        ("a week later (7 days at once)", week_ms, week_query_ms, expired(week)),
    ]
    print(f"\ndaily job benchmark on {connection.vendor}, {PILOTS:,} pilots, as of {AS_OF}")
    print(f"{'':<38} {'ms':>9} {'x selects':>9}  result")
    for label, ms, reference, result in rows:
        print(f"{label:<38} {ms:>9.1f} {ms / reference:>9.2f}  {result}")
    print(
        f"peak memory of the day's run: {peak_mb:.1f} MB traced by Python, "
        f"{rss_growth_mb:.1f} MB growth of the process (target under {MAX_MEMORY_MB} MB)"
    )

    assert today["expired_evidence"] > 0 and today["expired_pilots"] > 0
    assert again["expired_evidence"] == again["expired_signoffs"] == 0
    assert ChecklistEvent.objects.filter(at__date=AS_OF).count() == (
        today["expired_evidence"] + today["expired_signoffs"]
    )
    assert today_ms <= MAX_RATIO * query_ms
    assert again_ms <= MAX_RATIO * query_ms
    assert week_ms <= MAX_RATIO * week_query_ms
    assert first_ms <= FIRST_RUN_MAX_RATIO * query_ms
    assert peak_mb < MAX_MEMORY_MB and rss_growth_mb < MAX_MEMORY_MB
