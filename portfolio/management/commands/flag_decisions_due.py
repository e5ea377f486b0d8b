from django.core.management.base import BaseCommand

from portfolio.management.options import as_of_date
from portfolio.services.decisions_due import decisions_due_send


class Command(BaseCommand):
    help = (
        "Record the piloting pilots whose decision fell due by --as-of (default today): "
        "the latest reading met the target, or the planned end passed; then email each "
        "decision maker once per pilot and cause. Running it again sends nothing new. "
        "Scheduled daily (portfolio.tasks.flag_decisions_due_task)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", metavar="DATE", help="YYYY-MM-DD (default today)")

    def handle(self, *args, as_of: str | None, **options):
        day = as_of_date(as_of)
        outcome = decisions_due_send(as_of=day)
        self.stdout.write(
            f"{day}: {outcome['recorded']} decisions fell due; {outcome['sent']} emails "
            f"sent, {outcome['skipped']} with nothing to say, {outcome['failed']} failed."
        )
        if outcome["failed"]:
            raise SystemExit(1)
