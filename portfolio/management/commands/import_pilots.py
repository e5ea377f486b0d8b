from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portfolio.importer import pilots_import
from portfolio.importer.dates import DateOrder
from portfolio.importer.reading import COLUMNS, REQUIRED


class Command(BaseCommand):
    help = (
        "Import a pilot inventory from a CSV file or an Excel workbook (.xlsx) with a "
        f"header row. Columns, in any order and any case: {', '.join(COLUMNS)} (only "
        f"{', '.join(REQUIRED)} are required). Rows update pilots by reference, so "
        "importing a file again duplicates nothing. One bad row refuses the whole file; "
        "every problem is printed as 'line N: column: problem'."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the CSV file or .xlsx workbook")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report, write nothing"
        )
        parser.add_argument(
            "--date-order",
            choices=DateOrder.values,
            type=str.upper,
            default=None,
            help="how the file writes slash and dot dates: DMY (06/01/2026 is 6 January), "
            "MDY (06/01/2026 is 1 June) or YMD; without it, the order the file proves, "
            "and a file that proves none is refused. YYYY-MM-DD always works.",
        )
        parser.add_argument(
            "--sheet", default=None, help="the workbook's sheet to read (default: the first)"
        )

    def handle(self, *args, file: Path, dry_run: bool, date_order, sheet, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
        report = pilots_import(data=data, dry_run=dry_run, date_order=date_order, sheet=sheet)
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(str(warning)))
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{file}: nothing was imported, {len(report.problems)} problem(s) to fix."
            )
        read = ", ".join(note for note in [report.read_from, report.date_note] if note)
        verb = "would import" if dry_run else "imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{file}{f' ({read})' if read else ''}: {verb} {report.created} new, "
                f"{report.updated} updated, {report.unchanged} unchanged."
                + (" Dry run: nothing was written." if dry_run else "")
            )
        )
