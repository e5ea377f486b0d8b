"""Benchmark: checking an inventory of 1,000 and 10,000 rows, as the import page's dry
run does, CSV and workbook alike.

Run with `make bench`. Prints, per size and format: the time to read and check every
row (what refuses a malformed file), and the whole dry run (every row written through
the services, then rolled back), with its queries per row (counted on a file of a
hundred rows: Django keeps at most 9,000 queries).
"""

import io
import os
from time import perf_counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from portfolio.importer import pilots_import

SIZES = [int(n) for n in os.environ.get("IMPORT_BENCH_SIZES", "1000,10000").split(",")]
HEADER = [
    "reference",
    "title",
    "business_unit",
    "stage",
    "stage_entered_on",
    "deployment_owner_email",
    "risk_tier",
    "pilot_start",
    "pilot_end_planned",
    "success_metric",
    "baseline",
    "target",
]


def rows(size: int) -> list[list[str]]:
    return [
        [
            f"R-{n}",
            f"Pilot {n}",
            f"Unit {n % 20}",
            "piloting",
            "03/01/2026",
            f"owner{n % 300}@example.com",
            "medium",
            "01/05/2026",
            "09/30/2026",
            "Hours saved",
            str(n % 100 + 60),
            str(n % 100),
        ]
        for n in range(size)
    ]


def as_csv(size: int) -> bytes:
    return "\n".join(",".join(row) for row in [HEADER, *rows(size)]).encode()


def as_workbook(size: int) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Pilots")
    sheet.append(HEADER)
    for row in rows(size):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.bench
@pytest.mark.django_db
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_import_dry_run(size, kind):
    data = as_csv(size) if kind == "csv" else as_workbook(size)
    # Reading and checking alone: a duplicated reference refuses the file before writing.
    refused = data.replace(b"R-1,", b"R-0,", 1) if kind == "csv" else None
    if refused:
        start = perf_counter()
        report = pilots_import(data=refused, dry_run=True)
        checked = perf_counter() - start
        assert not report.ok
        print(f"\n{kind} {size:>6} rows: read and checked in {checked * 1000:,.0f} ms")

    with CaptureQueriesContext(connection) as queries:
        pilots_import(data=as_csv(100), dry_run=True)
    start = perf_counter()
    report = pilots_import(data=data, dry_run=True)
    elapsed = perf_counter() - start

    assert report.ok and report.created == size
    print(
        f"\n{kind} {size:>6} rows: dry run in {elapsed:,.1f} s ({elapsed / size * 1000:.1f} ms "
        f"a row, {len(queries) / 100:.1f} queries a row), {report.date_note}"
    )
