"""Records written once: the base class, and the stage-gate decisions (with the snapshot
of what the decision maker saw), deferrals, risk approvals and gate waivers of a pilot."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import models

from portfolio.models.people import User
from portfolio.models.pilots import Pilot


class Outcome(models.TextChoices):
    SCALE = "scale", "Scale"
    REDESIGN = "redesign", "Redesign"
    STOP = "stop", "Stop"
    RESEARCH = "research", "Research"


class ImmutableRecord(models.Model):
    """A record that is written once: never edited, only superseded by a later one."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValidationError(f"A {self._meta.verbose_name} is never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(f"A {self._meta.verbose_name} is never deleted.")


class Decision(ImmutableRecord):
    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="decisions")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_on = models.DateField()
    rationale = models.TextField()
    conditions = models.TextField(blank=True, help_text="Conditions attached to the decision")
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    snapshot = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="What the decision maker saw, frozen when the decision was recorded",
    )

    class Meta:
        ordering = ["decided_on", "id"]
        verbose_name = "stage-gate decision"
        indexes = [models.Index(fields=["pilot", "decided_on"])]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} on {self.decided_on}"


class Deferral(ImmutableRecord):
    """A decision pushed to the next meeting: recorded, and a stall signal."""

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="deferrals")
    deferred_on = models.DateField()
    deferred_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deferred_on", "id"]
        indexes = [models.Index(fields=["pilot", "deferred_on"])]

    def __str__(self) -> str:
        return f"Deferred on {self.deferred_on}"


class RiskApproval(ImmutableRecord):
    """The named risk owner's formal approval, required before a high-risk Scale."""

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="risk_approvals")
    approved_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    approved_on = models.DateField()
    note = models.TextField(blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["approved_on", "id"]

    def __str__(self) -> str:
        return f"Risk approved on {self.approved_on}"


class Waiver(ImmutableRecord):
    """A gate left open (or an objection overruled) at a Scale, on a named condition,
    with an owner and a date by which it must be closed. Recorded with its Scale, never
    edited: closing it (`services.decisions.waiver_close`) is the one update allowed."""

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="waivers")
    gate = models.ForeignKey("gates.Gate", on_delete=models.PROTECT, related_name="+")
    # Decisions and sign-offs are only ever deleted with their pilot, and so its waivers.
    decision = models.ForeignKey(
        Decision, on_delete=models.CASCADE, null=True, blank=True, related_name="waivers"
    )
    objection = models.ForeignKey(
        "gates.SignOff",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="The open objection this waiver overrules",
    )
    waived_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    condition = models.TextField(help_text="The condition attached to the waiver")
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="waivers_owned")
    due_on = models.DateField(help_text="The date by which the waived gate must be closed")
    closed_on = models.DateField(null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["gate__number", "id"]
        indexes = [models.Index(fields=["pilot", "closed_on"])]

    def __str__(self) -> str:
        return f"Waiver of gate {self.gate_id} until {self.due_on}"

    def is_overdue(self, as_of: date) -> bool:
        return self.closed_on is None and self.due_on < as_of
