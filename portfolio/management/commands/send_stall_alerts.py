from django.core.management.base import BaseCommand, CommandError

from portfolio.management.options import as_of_date
from portfolio.models import AlertKind, DeliveryStatus
from portfolio.services.alerts import stall_alerts_preview, stall_alerts_send


class Command(BaseCommand):
    help = (
        "Send this week's stall emails, in this process: each deployment owner with "
        "stalled or drifting pilots gets one alert, each executive one portfolio digest. "
        "A recipient gets each email once per ISO week however often this runs; a "
        "failed one is sent by the next run. Scheduled weekly "
        "(portfolio.tasks.send_stall_alerts_task)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", metavar="DATE", help="YYYY-MM-DD (default today)")
        parser.add_argument(
            "--dry-run", action="store_true", help="list who would get what; send nothing"
        )

    def handle(self, *args, as_of: str | None, dry_run: bool, **options):
        day = as_of_date(as_of)
        year, week, _ = day.isocalendar()
        if dry_run:
            previews = stall_alerts_preview(as_of=day)
            for preview in previews:
                label = AlertKind(preview["kind"]).label
                done = " (already sent this week)" if preview["already_sent"] else ""
                self.stdout.write(f"{preview['to']}: {label}: {preview['subject']}{done}")
            self.stdout.write(f"{len(previews)} email(s) for week {year}-W{week:02d}; none sent.")
            return
        outcome = stall_alerts_send(as_of=day)
        self.stdout.write(
            f"Week {year}-W{week:02d}: {outcome[DeliveryStatus.SENT]} sent, "
            f"{outcome[DeliveryStatus.SKIPPED]} with nothing left to report, "
            f"{outcome[DeliveryStatus.FAILED]} failed."
        )
        if outcome[DeliveryStatus.FAILED]:
            raise CommandError(
                f"{outcome[DeliveryStatus.FAILED]} email(s) could not be sent (see the log "
                "and the alert deliveries in the admin); run the command again to retry them."
            )
