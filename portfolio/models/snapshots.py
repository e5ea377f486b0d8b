"""The daily snapshot of what the records cannot tell of a past day: the gates."""

from django.db import models


class PortfolioSnapshot(models.Model):
    """The gate figures of one day, with the pilots behind each, written by the daily job
    (`services.snapshots.portfolio_snapshot_record`). A pilot's gate state depends on
    evidence reviews, sign-offs, expiries and checklist versions together: the portfolio
    as of a past day reads it from here instead of recomputing it."""

    on = models.DateField(unique=True)
    # {"passed_all": [ids], "blocked": [ids], "process_change": [ids],
    #  "blocked_gate": {gate key: [ids]}, "gates": {gate key: {readiness: count}}}
    figures = models.JSONField(default=dict)
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-on"]

    def __str__(self) -> str:
        return f"Portfolio snapshot of {self.on}"
