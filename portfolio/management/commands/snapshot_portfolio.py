from django.core.management.base import BaseCommand

from portfolio.management.options import as_of_date
from portfolio.services.snapshots import portfolio_snapshot_record


class Command(BaseCommand):
    help = (
        "Record the day's gate figures (passed all, blocked and at which gate, durable "
        "process change) dated --as-of (default today), for the portfolio as of a past "
        "day. Running it again the same day replaces that day's figures. Scheduled daily "
        "(portfolio.tasks.snapshot_portfolio_task)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", metavar="DATE", help="YYYY-MM-DD (default today)")

    def handle(self, *args, as_of: str | None, **options):
        day = as_of_date(as_of)
        figures = portfolio_snapshot_record(on=day).figures
        self.stdout.write(
            f"{day}: {len(figures['passed_all'])} passed all gates, "
            f"{len(figures['blocked'])} blocked."
        )
