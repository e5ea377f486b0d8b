"""The six production-readiness gates, their criteria in checklist versions, and what
proves them.

The six gates are fixed; their criteria belong to a `ChecklistVersion`. A pilot follows
its own version (`Pilot.checklist_version`); evidence and sign-offs count for the
criterion of the pilot's version with the same `key`, so they carry over when a pilot
moves to a version where that criterion survives. Published versions are never edited:
a change is a draft of the next version (`gates.versions`).

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


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class ChecklistVersion(models.Model):
    """The checklist as it stood from its publication: its criteria, by gate."""

    number = models.PositiveIntegerField(unique=True)
    status = models.CharField(
        max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        constraints = [
            # At most one draft at a time: every edit goes into it.
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="draft"),
                name="one_draft_checklist_version",
            )
        ]

    def __str__(self) -> str:
        return f"checklist v{self.number}"


class Criterion(models.Model):
    version = models.ForeignKey(ChecklistVersion, on_delete=models.PROTECT, related_name="criteria")
    key = models.SlugField(
        max_length=60,
        help_text="The same criterion in every version: evidence and sign-offs carry over by it",
    )
    gate = models.ForeignKey(Gate, on_delete=models.PROTECT, related_name="criteria")
    text = models.CharField(max_length=300)
    validity_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Evidence and sign-offs expire this many months after acceptance; "
        "empty when they do not expire",
    )
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
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="one_key_per_version")
        ]

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
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="evidence")
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
    expires_on = models.DateField(
        null=True, blank=True, help_text="When the evidence stops holding, if the submitter knows"
    )
    # Set on acceptance: the earlier of the stated expiry and the criterion's validity
    # after acceptance; empty when it does not expire. Accepted evidence holds before it.
    valid_until = models.DateField(null=True, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["submitted_at", "id"]
        verbose_name_plural = "evidence"
        indexes = [
            models.Index(fields=["pilot", "criterion", "status"]),
            models.Index(fields=["valid_until"]),
        ]

    def __str__(self) -> str:
        return f"Evidence for {self.criterion} ({self.get_status_display()})"

    @property
    def file_name(self) -> str:
        return PurePath(self.file.name).name if self.file else ""


class Verdict(models.TextChoices):
    SIGNED_OFF = "signed_off", "Signed off"
    OBJECTED = "objected", "Objection"
    # Appended when a material change of the pilot voids the function's sign-off.
    TO_RECONFIRM = "to_reconfirm", "To re-confirm"


class SignOff(ImmutableRecord):
    """A function's sign-off or objection on one criterion of one pilot.

    Never edited: the latest one for a pilot and criterion is the current verdict.
    """

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="signoffs")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="signoffs")
    function = models.CharField(max_length=20, choices=Function.choices)
    verdict = models.CharField(max_length=12, choices=Verdict.choices)
    # Empty only on a voiding written by a command or the importer (no person).
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField()
    comment = models.TextField(blank=True)
    # A sign-off holds before this day; empty when its criterion has no validity period.
    valid_until = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["signed_at", "id"]
        verbose_name = "sign-off"
        indexes = [
            models.Index(fields=["pilot", "criterion"]),
            models.Index(fields=["valid_until"]),
        ]


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
    gate = models.ForeignKey(Gate, on_delete=models.PROTECT, related_name="statuses")
    status = models.CharField(max_length=20, choices=Readiness.choices)
    criteria_met = models.PositiveSmallIntegerField(default=0)
    criteria_required = models.PositiveSmallIntegerField(default=0)
    # When it was last derived: what today's figures kept in the cache are checked against.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

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


class ChecklistEventKind(models.TextChoices):
    MOVED = "moved", "Moved to another checklist version"
    EXPIRED = "expired", "Evidence or sign-off expired"
    LAPSED = "lapsed", "Readiness lapsed"


class ChecklistEvent(models.Model):
    """What happened to a pilot's checklist without anyone editing it: a move to another
    version, evidence or a sign-off that expired, a live system's readiness lapsing.
    Written once; each evidence or sign-off expires once (the daily job is safe to
    run twice)."""

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="checklist_events")
    kind = models.CharField(max_length=10, choices=ChecklistEventKind.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    summary = models.CharField(max_length=400)
    evidence = models.ForeignKey(
        Evidence, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    signoff = models.ForeignKey(
        SignOff, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["pilot", "at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["evidence"],
                condition=models.Q(kind="expired"),
                name="evidence_expires_once",
            ),
            models.UniqueConstraint(
                fields=["signoff"], condition=models.Q(kind="expired"), name="signoff_expires_once"
            ),
        ]

    def __str__(self) -> str:
        return self.summary
