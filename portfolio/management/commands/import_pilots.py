from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portfolio.importer import pilots_import
from portfolio.importer.reading import COLUMNS, REQUIRED


class Command(BaseCommand):
    help = (
        "Import a pilot inventory from a CSV file with a header row. Columns, in any order "
        f"and any case: {', '.join(COLUMNS)} (only {', '.join(REQUIRED)} are required). "
        "Rows update pilots by reference, so importing a file again duplicates nothing. "
        "One bad row refuses the whole file; every problem is printed as "
        "'line N: column: problem'."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the CSV file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report, write nothing"
        )

    def handle(self, *args, file: Path, dry_run: bool, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
        report = pilots_import(data=data, dry_run=dry_run)
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(str(warning)))
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{file}: nothing was imported, {len(report.problems)} problem(s) to fix."
            )
        verb = "would import" if dry_run else "imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{file}: {verb} {report.created} new, {report.updated} updated, "
                f"{report.unchanged} unchanged."
                + (" Dry run: nothing was written." if dry_run else "")
            )
        )
