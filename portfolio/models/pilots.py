"""The pilot, its stage and the record of its stage changes."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from portfolio.models.people import BusinessUnit, User


class Stage(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    PILOTING = "piloting", "Piloting"
    AWAITING_DECISION = "awaiting_decision", "Awaiting decision"
    SCALING = "scaling", "Scaling"
    IN_PRODUCTION = "in_production", "In production"
    STOPPED = "stopped", "Stopped"
    RESEARCH = "research", "Research"


class RiskTier(models.TextChoices):
    LOW = "low", "Low (fast track)"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class GateProgress(models.TextChoices):
    OPEN = "open", "Gates open"
    BLOCKED = "blocked", "Blocked at a gate"
    PASSED_ALL = "passed_all", "Passed all gates"


class Pilot(models.Model):
    reference = models.CharField(
        max_length=60, unique=True, null=True, blank=True, help_text="External id, optional"
    )
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    business_unit = models.ForeignKey(BusinessUnit, on_delete=models.PROTECT, related_name="pilots")
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.PROPOSED)
    stage_entered_on = models.DateField(default=timezone.localdate)
    pilot_start = models.DateField(null=True, blank=True)
    pilot_end_planned = models.DateField(null=True, blank=True)
    risk_tier = models.CharField(max_length=10, choices=RiskTier.choices, default=RiskTier.MEDIUM)
    sponsor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="sponsored_pilots"
    )
    deployment_owner = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_pilots"
    )
    delivery_owner = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="delivered_pilots"
    )
    decision_maker = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decided_pilots",
        help_text="Takes the go-live decision; the deployment owner when empty",
    )
    risk_owner = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="risk_owned_pilots"
    )
    go_live_on = models.DateField("go-live date", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Derived from the pilot's gate statuses by gates.services.readiness_refresh, their
    # only writer, so the portfolio's figures count it without scanning every status.
    gate_progress = models.CharField(
        max_length=12, choices=GateProgress.choices, default=GateProgress.OPEN, editable=False
    )
    # The checklist version the pilot follows (the current one when empty); it changes
    # only by `gates.versions.checklist_version_publish`, recorded as a checklist event.
    checklist_version = models.ForeignKey(
        "gates.ChecklistVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="pilots",
    )
    # In production with its governance gate passed once and no longer: written by
    # readiness_refresh, like gate_progress.
    readiness_lapsed = models.BooleanField(default=False, editable=False)
    history = HistoricalRecords(
        excluded_fields=["updated_at", "gate_progress", "checklist_version", "readiness_lapsed"]
    )

    class Meta:
        ordering = ["title"]
        indexes = [
            models.Index(fields=["title", "id"]),
            models.Index(fields=["stage", "stage_entered_on"]),
            models.Index(fields=["stage", "pilot_end_planned"]),
            # The latest change is part of the portfolio's version, read on each dashboard.
            models.Index(fields=["updated_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(pilot_end_planned__isnull=True)
                | Q(pilot_start__isnull=True)
                | Q(pilot_end_planned__gte=models.F("pilot_start")),
                name="pilot_end_not_before_start",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if (
            self.pilot_start
            and self.pilot_end_planned
            and self.pilot_end_planned < self.pilot_start
        ):
            raise ValidationError(
                {"pilot_end_planned": "The planned end comes before the pilot start."}
            )

    @property
    def effective_decision_maker(self) -> User | None:
        return self.decision_maker or self.deployment_owner

    def days_in_stage(self, as_of: date) -> int:
        return (as_of - self.stage_entered_on).days


class StageChange(models.Model):
    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    changed_on = models.DateField()
    changed_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True)
    reason = models.TextField(blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_on", "id"]
        indexes = [models.Index(fields=["pilot", "changed_on"])]

    def __str__(self) -> str:
        return f"{self.from_stage or '-'} -> {self.to_stage} on {self.changed_on}"
