"""Benchmark: the daily job's decision-due step (`decisions_due_record`) at 100,000
pilots, against the raw SQL selects it needs (the piloting pilots past their planned
end, and those whose latest reading meets the target), and its peak memory.

Run with `make bench`. Targets: a day's run within 10 times the selects, the first run
(one record per pilot already due, once) within FIRST_RUN_MAX_RATIO, peak memory under
200 MB. BENCH_STALL_PILOTS changes the number of pilots (the stall benchmark's portfolio).
"""

import random
import tracemalloc
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import OuterRef, Subquery

from portfolio.models import DecisionDue, Direction, MetricReading, Pilot, Stage, SuccessMetric
from portfolio.selectors.conditions import meets_target_condition
from portfolio.services.decisions_due import decisions_due_record
from tests.perf.test_flag_stalls_bench import (
    AS_OF,
    MAX_MEMORY_MB,
    MAX_RATIO,
    PILOTS,
    max_rss_mb,
    seed,
    timed,
    timed_and_undone,
)

FIRST_RUN_MAX_RATIO = 40


def metrics_and_readings() -> None:
    """A metric on every piloting pilot, either direction, and three readings each:
    about half of them meet the target with their latest."""
    rng = random.Random(11)
    piloting = list(Pilot.objects.filter(stage=Stage.PILOTING).values_list("id", flat=True))
    metrics = SuccessMetric.objects.bulk_create(
        [
            SuccessMetric(
                pilot_id=pilot_id,
                name="Hours",
                baseline=120,
                target=60,
                direction=rng.choice(Direction.values),
            )
            for pilot_id in piloting
        ],
        batch_size=2000,
    )
    readings = []
    for metric in metrics:
        for weeks in (3, 2, 1):
            value = rng.randrange(40, 140)
            readings.append(
                MetricReading(
                    metric_id=metric.id,
                    measured_on=AS_OF - timedelta(weeks=weeks),
                    value=Decimal(value),
                )
            )
    MetricReading.objects.bulk_create(readings, batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def reference_selects() -> int:
    """The raw selects: the piloting pilots past their planned end, and those whose
    latest reading meets the target."""
    piloting = Pilot.objects.filter(stage=Stage.PILOTING)
    ended = list(piloting.filter(pilot_end_planned__lt=AS_OF).values_list("id", flat=True))
    latest = MetricReading.objects.filter(metric__pilot=OuterRef("pk")).order_by(
        "-measured_on", "-id"
    )
    reached = list(
        piloting.annotate(_v=Subquery(latest.values("value")[:1]))
        .filter(meets_target_condition("_v"))
        .values_list("id", flat=True)
    )
    return len(ended) + len(reached)


@pytest.mark.bench
@pytest.mark.django_db
def test_the_decision_due_step_against_the_selects_it_needs():
    seed(PILOTS)
    metrics_and_readings()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    query_ms, found = timed(reference_selects, repeat=5)

    first_ms, first = timed_and_undone(lambda: decisions_due_record(as_of=AS_OF))
    rss_before = max_rss_mb()
    tracemalloc.start()
    decisions_due_record(as_of=AS_OF)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_mb, rss_growth_mb = peak / 2**20, max_rss_mb() - rss_before
    again_ms, again = timed(lambda: decisions_due_record(as_of=AS_OF), repeat=3)

    rows = [
        ("the two selects (reference)", query_ms, f"{found:,} causes"),
        ("decision due, first run", first_ms, f"{first:,} recorded"),
        ("decision due, again the same day", again_ms, f"{again:,} recorded"),
    ]
    print(f"\ndecision-due benchmark on {connection.vendor}, {PILOTS:,} pilots, as of {AS_OF}")
    print(f"{'':<40} {'ms':>9} {'x query':>8}  result")
    for label, ms, result in rows:
        print(f"{label:<40} {ms:>9.1f} {ms / query_ms:>8.2f}  {result}")
    print(
        f"peak memory of the first run: {peak_mb:.1f} MB traced by Python, "
        f"{rss_growth_mb:.1f} MB growth of the process (target under {MAX_MEMORY_MB} MB)"
    )

    assert first == found == DecisionDue.objects.count()
    assert again == 0
    assert first_ms <= FIRST_RUN_MAX_RATIO * query_ms
    assert again_ms <= MAX_RATIO * query_ms
    assert peak_mb < MAX_MEMORY_MB and rss_growth_mb < MAX_MEMORY_MB
