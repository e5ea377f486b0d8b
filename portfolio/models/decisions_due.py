"""Decisions called for by the numbers: a piloting pilot whose success metric reached
its target, or whose planned end passed, is due for its decision."""

from django.db import models
from django.utils import timezone

from portfolio.models.alerts import DeliveryStatus
from portfolio.models.people import User
from portfolio.models.pilots import Pilot


class DueCause(models.TextChoices):
    TARGET_REACHED = "target_reached", "The success metric reached its target"
    PLANNED_END = "planned_end", "The planned end of the pilot passed"


class DecisionDue(models.Model):
    """One cause of a pilot's decision falling due, in one piloting period, and the one
    email that tells its decision maker. The unique constraint is the claim: a cause is
    recorded once per period (a Redesign starts a new one), and its email is sent once,
    taken with a conditional update like the weekly alerts' deliveries.

    A pilot is decision due while it is piloting in the period of one of these.
    """

    # Indexed by the unique constraint, which starts with the pilot.
    pilot = models.ForeignKey(
        Pilot, on_delete=models.CASCADE, related_name="decisions_due", db_index=False
    )
    piloting_since = models.DateField(help_text="Start of the piloting period it belongs to")
    cause = models.CharField(max_length=20, choices=DueCause.choices)
    due_on = models.DateField(
        help_text="The date of the reading that reached the target, or the day after the "
        "planned end"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    # The email to the pilot's decision maker (the one of the moment it is sent).
    recipient = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = "decision due"
        verbose_name_plural = "decisions due"
        constraints = [
            models.UniqueConstraint(
                fields=["pilot", "piloting_since", "cause"], name="one_decision_due_per_cause"
            )
        ]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.get_cause_display()} on {self.due_on}"
