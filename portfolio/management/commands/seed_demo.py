from django.core.management.base import BaseCommand, CommandError

from portfolio.demo import DEMO_PASSWORD, demo_logins, demo_seed, portfolio_is_empty


def _whole_number(option: str, value: object, *, minimum: int | None = None) -> int:
    """Options arrive as text from the shell and as anything from call_command."""
    try:
        number = int(str(value).strip())
    except ValueError:
        raise CommandError(f"{option} must be a whole number, not {value!r}.") from None
    if minimum is not None and number < minimum:
        raise CommandError(f"{option} must be {minimum} or more, not {number}.")
    return number


class Command(BaseCommand):
    help = (
        "Load a believable demo portfolio into an empty database: business units, people "
        "(executives, deployment owners, one reviewer per function, a governance admin), "
        "the two reference cases of docs/domain.md and N generated pilots in every stage, with "
        "stalls, warning signals, decisions, evidence and costs. Dates are relative to today, "
        f"and {DEMO_PASSWORD} is the password of every demo user."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--pilots",
            default=60,
            metavar="N",
            help="generated pilots besides the two reference cases (default 60)",
        )
        parser.add_argument(
            "--seed",
            default=1,
            metavar="S",
            help="random seed: the same seed on the same day gives the same portfolio (default 1)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (but print the demo logins) when the database holds any pilot; "
            "`make run` uses it on every start",
        )

    def handle(self, *args, pilots: object, seed: object, if_empty: bool, **options):
        count = _whole_number("--pilots", pilots, minimum=0)
        random_seed = _whole_number("--seed", seed)
        if not portfolio_is_empty():
            if not if_empty:
                raise CommandError(
                    "The database already holds pilots; the demo loads into an empty one. "
                    "Use --if-empty to leave it as it is, or start from a fresh database."
                )
            self.stdout.write("The demo portfolio is already loaded.")
            self.logins_write()
            return
        report = demo_seed(pilots=count, seed=random_seed)
        stages = ", ".join(f"{n} {stage.replace('_', ' ')}" for stage, n in report.by_stage.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded the demo portfolio: {report.pilots} pilots ({stages}), "
                f"{report.people} people, {report.business_units} business units."
            )
        )
        self.logins_write()

    def logins_write(self) -> None:
        """The people to sign in as, so whoever just started Pilotgate can look around."""
        logins = demo_logins()
        if not logins:
            self.stdout.write("No demo logins: these pilots were not loaded by seed_demo.")
            return
        self.stdout.write(f"Demo logins, all with the password {DEMO_PASSWORD}:")
        rows = [("Role", "Name", "Email"), *((x.role, x.name, x.email) for x in logins)]
        widths = [max(len(row[column]) for row in rows) for column in range(3)]
        for row in rows:
            cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write(("  " + "  ".join(cells)).rstrip())
