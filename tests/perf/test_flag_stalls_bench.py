"""Benchmark: stall detection (`flag_stalls`) at 100,000 pilots, against the single SQL
query that selects the stalled pilots, and its peak memory.

Run with `make bench` (on SQLite, or on PostgreSQL with DATABASE_URL set). Targets:
the daily run takes at most 10 times the query, and peak memory stays under 200 MB.

The very first run, on a portfolio never flagged before, writes one event per stalled
or drifting pilot (about 47,000 here) once: it is bound by how fast the database
writes and checks those rows, and is held to FIRST_RUN_MAX_RATIO instead, a ceiling
that still catches a return to per-pilot work (model objects, per-row statements).
BENCH_STALL_PILOTS changes the number of pilots.
"""

import os
import random
import resource
import tracemalloc
from datetime import date, timedelta
from statistics import median
from time import perf_counter

import pytest
from django.db import connection, transaction

from portfolio.models import (
    BusinessUnit,
    Decision,
    Deferral,
    Outcome,
    Pilot,
    Role,
    Stage,
    StallEvent,
    User,
)
from portfolio.selectors.stalls import with_stall_state
from portfolio.services.stalls import stall_flags_record

PILOTS = int(os.environ.get("BENCH_STALL_PILOTS", "100000"))
AS_OF = date(2026, 6, 1)
BATCH = 5000
MAX_RATIO = 10
FIRST_RUN_MAX_RATIO = 40
MAX_MEMORY_MB = 200

# Stages in the proportions of a large portfolio: many still running or waiting.
STAGE_WEIGHTS = {
    Stage.PROPOSED: 15,
    Stage.PILOTING: 30,
    Stage.AWAITING_DECISION: 25,
    Stage.SCALING: 8,
    Stage.IN_PRODUCTION: 10,
    Stage.STOPPED: 8,
    Stage.RESEARCH: 4,
}


def seed(size: int) -> None:
    """Raw rows, a batch at a time: a few units and owners, stages and dates spread over
    two years, some pilots with no owner, decisions and deferrals on awaiting pilots."""
    rng = random.Random(7)
    units = BusinessUnit.objects.bulk_create([BusinessUnit(name=f"Unit {i}") for i in range(8)])
    owners = User.objects.bulk_create(
        [
            User(email=f"owner{i}@bench.example", name=f"Owner {i}", role=Role.OWNER)
            for i in range(50)
        ]
    )
    stages, weights = list(STAGE_WEIGHTS), list(STAGE_WEIGHTS.values())
    for start in range(0, size, BATCH):
        pilots = []
        for n in range(start, min(start + BATCH, size)):
            entered = AS_OF - timedelta(days=rng.randrange(0, 730))
            pilot_start = entered - timedelta(days=rng.randrange(0, 120))
            pilots.append(
                Pilot(
                    title=f"Pilot {n}",
                    business_unit=rng.choice(units),
                    stage=rng.choices(stages, weights)[0],
                    stage_entered_on=entered,
                    pilot_start=pilot_start,
                    pilot_end_planned=pilot_start + timedelta(days=rng.randrange(30, 240)),
                    deployment_owner=None if rng.random() < 0.05 else rng.choice(owners),
                )
            )
        Pilot.objects.bulk_create(pilots, batch_size=1000)
    awaiting = list(
        Pilot.objects.filter(stage=Stage.AWAITING_DECISION).values_list("id", "stage_entered_on")
    )
    decisions, deferrals = [], []
    for pilot_id, entered in awaiting:
        if rng.random() < 0.1:  # decided since it began waiting: not stalled
            decisions.append(
                Decision(
                    pilot_id=pilot_id,
                    outcome=Outcome.RESEARCH,
                    decided_by=owners[0],
                    decided_on=entered + timedelta(days=rng.randrange(1, 60)),
                    rationale="Bench",
                )
            )
        if rng.random() < 0.2:
            deferrals.append(
                Deferral(
                    pilot_id=pilot_id,
                    deferred_on=entered + timedelta(days=rng.randrange(0, 60)),
                    deferred_by=owners[0],
                    reason="Bench",
                )
            )
    Decision.objects.bulk_create(decisions, batch_size=1000)
    Deferral.objects.bulk_create(deferrals, batch_size=1000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum does after a bulk load


def stalled_pilots_query() -> list[int]:
    """The single SQL query that selects the stalled pilots: the reference."""
    return list(
        with_stall_state(Pilot.objects.all(), as_of=AS_OF)
        .filter(is_stalled=True)
        .values_list("id", flat=True)
    )


def timed(function, *, repeat: int = 1) -> tuple[float, object]:
    """Median wall time in ms over `repeat` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = perf_counter()
        result = function()
        times.append(perf_counter() - start)
    return median(times) * 1000, result


def timed_and_undone(function, *, repeat: int = 3) -> tuple[float, object]:
    """As `timed`, each call in a transaction rolled back after it."""

    def undone():
        with transaction.atomic():
            result = function()
            transaction.set_rollback(True)
        return result

    return timed(undone, repeat=repeat)


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


@pytest.mark.bench
@pytest.mark.django_db
def test_flag_stalls_against_the_stalled_pilots_query():
    seed(PILOTS)
    if connection.vendor == "postgresql":
        # Foreign keys are checked at commit, which this test's transaction never
        # reaches: from here on, each statement checks its own, so they are counted.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    query_ms, stalled = timed(stalled_pilots_query, repeat=5)

    # The first run records every pilot flagged: the heaviest. Timed and undone, then
    # run for good under memory tracing (which slows Python down).
    first_ms, first = timed_and_undone(lambda: stall_flags_record(as_of=AS_OF))
    rss_before = max_rss_mb()
    tracemalloc.start()
    stall_flags_record(as_of=AS_OF)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_mb, rss_growth_mb = peak / 2**20, max_rss_mb() - rss_before
    again_ms, again = timed(lambda: stall_flags_record(as_of=AS_OF), repeat=3)
    later_ms, later = timed_and_undone(lambda: stall_flags_record(as_of=AS_OF + timedelta(days=7)))

    rows = [
        ("the stalled-pilots query (reference)", query_ms, f"{len(stalled):,} stalled"),
        ("flag_stalls, first run", first_ms, f"{sum(first.values()):,} events"),
        ("flag_stalls, again the same day", again_ms, f"{sum(again.values()):,} events"),
        ("flag_stalls, a week later", later_ms, f"{sum(later.values()):,} events"),
    ]
    print(f"\nflag_stalls benchmark on {connection.vendor}, {PILOTS:,} pilots, as of {AS_OF}")
    print(f"{'':<40} {'ms':>9} {'x query':>8}  result")
    for label, ms, result in rows:
        note = "  (over the 10x target)" if ms > MAX_RATIO * query_ms else ""
        print(f"{label:<40} {ms:>9.1f} {ms / query_ms:>8.2f}  {result}{note}")
    print(
        f"peak memory of the first run: {peak_mb:.1f} MB traced by Python, "
        f"{rss_growth_mb:.1f} MB growth of the process (target under {MAX_MEMORY_MB} MB)"
    )

    assert first == {"stalled": len(stalled), "drifting": first["drifting"], "cleared": 0}
    assert sum(again.values()) == 0
    assert StallEvent.objects.filter(on=AS_OF).count() == sum(first.values())
    assert first_ms <= FIRST_RUN_MAX_RATIO * query_ms
    assert again_ms <= MAX_RATIO * query_ms
    assert later_ms <= MAX_RATIO * query_ms
    assert peak_mb < MAX_MEMORY_MB and rss_growth_mb < MAX_MEMORY_MB
