import csv
import json
from datetime import date
from typing import TextIO

from django.core.management.base import BaseCommand, CommandError

from portfolio.exports import portfolio_csv_rows, portfolio_workbook
from portfolio.management.options import as_of_date as parse_as_of
from portfolio.selectors.export import portfolio_export


class Command(BaseCommand):
    help = (
        "Export the portfolio with each pilot's stage, owner, stall state, signals, gates, "
        "decisions and cost totals, as JSON ({as_of, summary, pilots}), CSV (a row a pilot) "
        "or an Excel workbook (xlsx: the CSV's rows with dates as dates, numbers as numbers)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["json", "csv", "xlsx"], default="json")
        parser.add_argument(
            "--as-of", type=str, default=None, help="date of the stall state (default today)"
        )
        parser.add_argument("--output", default=None, help="file to write (default stdout)")

    def handle(self, *args, format: str, as_of: str | None, output: str | None, **options):
        as_of_date = parse_as_of(as_of)
        if format == "xlsx":
            if not output:
                raise CommandError("--format xlsx writes a workbook: give it a file with --output.")
            try:
                with open(output, "wb") as stream:
                    stream.write(portfolio_workbook(as_of=as_of_date))
            except OSError as exc:
                raise CommandError(f"Cannot write {output}: {exc.strerror}") from None
            return
        if not output:
            # The export ends its own lines (CSV rows with \r\n): self.stdout adds none,
            # as in Django's dumpdata, so no blank line comes between the rows.
            self.stdout.ending = None
            self.write(self.stdout, format, as_of_date)
            return
        try:
            with open(output, "w", newline="", encoding="utf-8") as stream:
                self.write(stream, format, as_of_date)
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror}") from None

    def write(self, stream: TextIO, format: str, as_of: date) -> None:
        if format == "json":
            json.dump(portfolio_export(as_of=as_of), stream, indent=2)
            stream.write("\n")
        else:
            csv.writer(stream).writerows(portfolio_csv_rows(as_of=as_of))
