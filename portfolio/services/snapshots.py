"""The daily portfolio snapshot: the gate figures of the day, kept for the portfolio as
of a past day (`selectors.history`)."""

from datetime import date

from django.db import transaction

from portfolio.models import PortfolioSnapshot
from portfolio.selectors.history import gate_figures_now


@transaction.atomic
def portfolio_snapshot_record(*, on: date) -> PortfolioSnapshot:
    """Write (or rewrite) the snapshot of `on` from the gate statuses as they are now.
    Safe to run twice a day: the second run replaces the first's figures."""
    snapshot, _ = PortfolioSnapshot.objects.update_or_create(
        on=on, defaults={"figures": gate_figures_now()}
    )
    return snapshot
