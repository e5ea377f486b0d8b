from django.core.management.base import BaseCommand

from portfolio.management.options import as_of_date
from portfolio.tasks import daily_checks_record


class Command(BaseCommand):
    help = (
        "Record the pilots that became stalled, became drifting or were cleared, and the "
        "evidence and sign-offs that expired (their pilots' readiness derived again), dated "
        "--as-of (default today). Running it again on the same day records nothing new. "
        "Scheduled daily (portfolio.tasks.flag_stalls_task)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", metavar="DATE", help="YYYY-MM-DD (default today)")

    def handle(self, *args, as_of: str | None, **options):
        day = as_of_date(as_of)
        counts = daily_checks_record(as_of=day)
        self.stdout.write(
            f"{day}: {counts['stalled']} became stalled, {counts['drifting']} became "
            f"drifting, {counts['cleared']} cleared; {counts['expired_evidence']} evidence "
            f"and {counts['expired_signoffs']} sign-offs expired."
        )
