"""The six production-readiness gates, their criteria, and what proves them.

A criterion is met for a pilot when it has accepted evidence and, where it belongs
to a function, that function's current sign-off. `GateStatus` holds the readiness
of each pilot at each gate; it is written only by `gates.services.readiness_refresh`,
which every service that changes evidence, sign-offs, criteria or a risk tier calls.
"""

from pathlib import PurePath

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from portfolio.models import Function, ImmutableRecord, Pilot


class GateKind(models.TextChoices):
    TECHNICAL = "technical", "Technical"
    ORGANISATIONAL = "organisational", "Organisational"


# The six gates in their order, as their keys (the seed migration creates them).
GATE_KEYS = ["ownership", "data", "integration", "value", "adoption", "governance"]


class Gate(models.Model):
    key = models.SlugField(max_length=20, unique=True)
    number = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=100)
    question = models.TextField()
    kind = models.CharField(max_length=20, choices=GateKind.choices)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class Criterion(models.Model):
    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="criteria")
    text = models.CharField(max_length=300)
    required = models.BooleanField(default=True)
    function = models.CharField(
        max_length=20,
        choices=Function.choices,
        blank=True,
        help_text="The function that signs this criterion off; empty when evidence suffices",
    )
    applies_to_low = models.BooleanField("low tier", default=False)
    applies_to_medium = models.BooleanField("medium tier", default=True)
    applies_to_high = models.BooleanField("high tier", default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["gate__number", "position", "id"]
        verbose_name_plural = "criteria"

    def __str__(self) -> str:
        return self.text

    def applies_to(self, tier: str) -> bool:
        return getattr(self, f"applies_to_{tier}")


class EvidenceStatus(models.TextChoices):
    PENDING = "pending", "Awaiting review"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


def evidence_upload_to(evidence: "Evidence", filename: str) -> str:
    # Under MEDIA_ROOT, never served as public media: `evidence_file` checks access.
    return f"evidence/{evidence.pilot_id}/{filename}"


class Evidence(models.Model):
    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="evidence")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="evidence")
    text = models.TextField(blank=True)
    link = models.URLField(max_length=500, blank=True)
    file = models.FileField(upload_to=evidence_upload_to, max_length=300, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=EvidenceStatus.choices, default=EvidenceStatus.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["submitted_at", "id"]
        verbose_name_plural = "evidence"
        indexes = [models.Index(fields=["pilot", "criterion", "status"])]

    def __str__(self) -> str:
        return f"Evidence for {self.criterion} ({self.get_status_display()})"

    @property
    def file_name(self) -> str:
        return PurePath(self.file.name).name if self.file else ""


class Verdict(models.TextChoices):
    SIGNED_OFF = "signed_off", "Signed off"
    OBJECTED = "objected", "Objection"


class SignOff(ImmutableRecord):
    """A function's sign-off or objection on one criterion of one pilot.

    Never edited: the latest one for a pilot and criterion is the current verdict.
    """

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="signoffs")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="signoffs")
    function = models.CharField(max_length=20, choices=Function.choices)
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField()
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["signed_at", "id"]
        verbose_name = "sign-off"
        indexes = [models.Index(fields=["pilot", "criterion"])]


class Readiness(models.TextChoices):
    PASSED = "passed", "Passed"
    OPEN = "open", "Open"
    BLOCKED = "blocked", "Blocked"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


# Each status has a symbol as well as a colour, so the heatmap reads without colour.
READINESS_SYMBOLS = {
    Readiness.PASSED: "✓",
    Readiness.OPEN: "○",
    Readiness.BLOCKED: "✕",
    Readiness.NOT_APPLICABLE: "–",
}


class GateStatus(models.Model):
    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="gate_statuses")
    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="statuses")
    status = models.CharField(max_length=20, choices=Readiness.choices)
    criteria_met = models.PositiveSmallIntegerField(default=0)
    criteria_required = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["gate__number"]
        verbose_name_plural = "gate statuses"
        constraints = [
            models.UniqueConstraint(fields=["pilot", "gate"], name="one_status_per_pilot_gate")
        ]
        indexes = [models.Index(fields=["gate", "status"])]

    def __str__(self) -> str:
        return f"{self.gate.key}: {self.status}"

    @property
    def symbol(self) -> str:
        return READINESS_SYMBOLS[self.status]
