from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portfolio.services import stall_flags_record


def as_of_date(text: str | None) -> date:
    if not text:
        return timezone.localdate()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of: {text!r} is not a date; use YYYY-MM-DD") from None


class Command(BaseCommand):
    help = (
        "Record the pilots that became stalled, became drifting or were cleared, dated "
        "--as-of (default today). Running it again on the same day records nothing new. "
        "Scheduled daily (portfolio.tasks.flag_stalls_task)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", metavar="DATE", help="YYYY-MM-DD (default today)")

    def handle(self, *args, as_of: str | None, **options):
        day = as_of_date(as_of)
        counts = stall_flags_record(as_of=day)
        self.stdout.write(
            f"{day}: {counts['stalled']} became stalled, {counts['drifting']} became "
            f"drifting, {counts['cleared']} cleared."
        )
