"""Pilots, the people around them, and everything a pilot carries.

Rules that write or span models live in portfolio/services.py; reads that matter
(stall state, dashboard figures) live in portfolio/selectors.py.
"""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords


class Role(models.TextChoices):
    EXECUTIVE = "executive", "Executive"
    OWNER = "owner", "Owner"
    REVIEWER = "reviewer", "Stakeholder reviewer"
    ADMIN = "admin", "Governance admin"


class Function(models.TextChoices):
    BUSINESS = "business", "Business"
    IT = "it", "IT"
    DATA = "data", "Data"
    SECURITY = "security", "Security"
    LEGAL = "legal", "Legal"
    RISK = "risk", "Risk and compliance"
    HR = "hr", "HR"
    OPERATIONS = "operations", "Operations"
    FINANCE = "finance", "Finance"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)  # None gives an unusable password
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        fields.setdefault("role", Role.ADMIN)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.OWNER)
    function = models.CharField(max_length=20, choices=Function.choices, default=Function.BUSINESS)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    objects = UserManager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name or self.email

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email


class BusinessUnit(models.Model):
    name = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Stage(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    PILOTING = "piloting", "Piloting"
    AWAITING_DECISION = "awaiting_decision", "Awaiting decision"
    SCALING = "scaling", "Scaling"
    IN_PRODUCTION = "in_production", "In production"
    STOPPED = "stopped", "Stopped"
    RESEARCH = "research", "Research"


# Stages in which a pilot is still on its way somewhere (not closed).
OPEN_STAGES = (Stage.PROPOSED, Stage.PILOTING, Stage.AWAITING_DECISION, Stage.SCALING)


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
    history = HistoricalRecords(excluded_fields=["updated_at", "gate_progress"])

    class Meta:
        ordering = ["title"]
        indexes = [
            models.Index(fields=["title", "id"]),
            models.Index(fields=["stage", "stage_entered_on"]),
            models.Index(fields=["stage", "pilot_end_planned"]),
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

    def __str__(self) -> str:
        return f"{self.from_stage or '-'} -> {self.to_stage} on {self.changed_on}"


class Direction(models.TextChoices):
    INCREASE = "increase", "Higher is better"
    DECREASE = "decrease", "Lower is better"


class SuccessMetric(models.Model):
    """The business number that, if hit, triggers the production decision."""

    pilot = models.OneToOneField(Pilot, on_delete=models.CASCADE, related_name="success_metric")
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=60, blank=True)
    baseline = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    target = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    direction = models.CharField(max_length=10, choices=Direction.choices)

    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.name}: {self.baseline} -> {self.target} {self.unit}".strip()

    @property
    def is_defined(self) -> bool:
        return bool(self.name) and self.baseline is not None and self.target is not None


class MetricReading(models.Model):
    metric = models.ForeignKey(SuccessMetric, on_delete=models.CASCADE, related_name="readings")
    measured_on = models.DateField()
    value = models.DecimalField(max_digits=16, decimal_places=4)
    note = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["measured_on", "id"]

    def __str__(self) -> str:
        return f"{self.value} on {self.measured_on}"


class KpiKind(models.TextChoices):
    UPTIME = "uptime", "Uptime"
    LATENCY = "latency", "Latency"
    ERROR_RATE = "error_rate", "Error rate"
    ADOPTION = "adoption", "Adoption"
    BUSINESS = "business", "Business metric"


class ProductionKpi(models.Model):
    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="production_kpis")
    kind = models.CharField(max_length=20, choices=KpiKind.choices)
    name = models.CharField(max_length=200)
    target = models.CharField(max_length=100, blank=True)
    horizon_months = models.PositiveSmallIntegerField(
        default=12, help_text="Months over which production value is judged"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "production KPI"

    def __str__(self) -> str:
        return self.name


class PathKind(models.TextChoices):
    SYSTEM = "system", "System to integrate"
    DATA_PIPELINE = "data_pipeline", "Data pipeline"
    PROCESS_CHANGE = "process_change", "Process change"


class PathStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"


class PathItem(models.Model):
    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="path_items")
    kind = models.CharField(max_length=20, choices=PathKind.choices)
    description = models.CharField(max_length=300)
    owner = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True)
    status = models.CharField(max_length=20, choices=PathStatus.choices, default=PathStatus.PLANNED)

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name = "path-to-production item"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description}"


class ConditionKind(models.TextChoices):
    DATA_ACCESS = "data_access", "Special data access"
    PERMISSION = "permission", "Permission"
    STAKEHOLDER_ACCESS = "stakeholder_access", "Stakeholder access"
    SPONSOR_TIME = "sponsor_time", "Sponsor time"
    OTHER = "other", "Other"


class ConditionDecision(models.TextChoices):
    UNDECIDED = "undecided", "Undecided"
    PERMANENT = "permanent", "Made permanent"
    WITHDRAWN = "withdrawn", "Withdrawn"


class PilotCondition(models.Model):
    """An exception that made the pilot fast ("key to the city")."""

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="conditions")
    kind = models.CharField(max_length=20, choices=ConditionKind.choices)
    description = models.CharField(max_length=300)
    decision = models.CharField(
        max_length=10, choices=ConditionDecision.choices, default=ConditionDecision.UNDECIDED
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.description


class CostCategory(models.TextChoices):
    INTEGRATION = "integration", "Integration"
    DATA = "data", "Data"
    SECURITY = "security", "Security"
    TRAINING = "training", "Training"
    MONITORING = "monitoring", "Monitoring"
    MAINTENANCE = "maintenance", "Maintenance"
    GOVERNANCE = "governance", "Governance"
    MANAGER_TIME = "manager_time", "Manager time"


class CostPhase(models.TextChoices):
    PILOT = "pilot", "Pilot"
    TRANSITION = "transition", "Production transition"
    RUN = "run", "Yearly run"


class CostLine(models.Model):
    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="cost_lines")
    category = models.CharField(max_length=20, choices=CostCategory.choices)
    phase = models.CharField(max_length=20, choices=CostPhase.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    note = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["phase", "category", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="cost_amount_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}, {self.get_phase_display()}: {self.amount}"

    def clean(self) -> None:
        self.currency = (self.currency or "").strip().upper()
        if self.amount is not None and self.amount < 0:
            raise ValidationError({"amount": "A cost cannot be negative."})
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ValidationError({"currency": "A currency is a three-letter code, like EUR."})


class Outcome(models.TextChoices):
    SCALE = "scale", "Scale"
    REDESIGN = "redesign", "Redesign"
    STOP = "stop", "Stop"
    RESEARCH = "research", "Research"


# The stage a stage-gate decision sends the pilot to.
OUTCOME_STAGE = {
    Outcome.SCALE: Stage.SCALING,
    Outcome.REDESIGN: Stage.PILOTING,
    Outcome.STOP: Stage.STOPPED,
    Outcome.RESEARCH: Stage.RESEARCH,
}


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


# Stalls and alerts


class StallEventKind(models.TextChoices):
    STALLED = "stalled", "Became stalled"
    DRIFTING = "drifting", "Became drifting"
    CLEARED = "cleared", "Cleared"


class StallEvent(models.Model):
    """A change of a pilot's stall state, as the daily stall detection saw it.

    A pilot's current flag is its latest event (none or "cleared": not flagged).
    """

    # Indexed by the unique constraint, which starts with the pilot.
    pilot = models.ForeignKey(
        Pilot, on_delete=models.CASCADE, related_name="stall_events", db_index=False
    )
    kind = models.CharField(max_length=10, choices=StallEventKind.choices)
    on = models.DateField(help_text="The day the stall detection saw the change")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["on", "id"]
        constraints = [
            # Detection run twice on one day records a change once.
            models.UniqueConstraint(fields=["pilot", "on", "kind"], name="one_stall_event_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.on}"


class Snooze(ImmutableRecord):
    """A deployment owner's pause of one pilot's weekly alert. The pilot still shows
    as stalled everywhere else, and executives still see it in their digest."""

    pilot = models.ForeignKey(
        Pilot, on_delete=models.CASCADE, related_name="snoozes", db_index=False
    )  # indexed with `until`, below
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    starts_on = models.DateField()
    until = models.DateField(help_text="Last day without the alert")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["pilot", "until"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(until__gte=models.F("starts_on")), name="snooze_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"Snoozed until {self.until}"


class DigestOptOut(models.Model):
    """An executive who unsubscribed from the weekly portfolio digest."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="digest_opt_out")
    opted_out_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "digest opt-out"

    def __str__(self) -> str:
        return f"{self.user} opted out on {self.opted_out_at:%Y-%m-%d}"


class AlertKind(models.TextChoices):
    OWNER_ALERT = "owner_alert", "Owner stall alert"
    EXECUTIVE_DIGEST = "executive_digest", "Executive portfolio digest"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (nothing left to report)"


class AlertDelivery(models.Model):
    """One weekly stall email to one recipient. The unique constraint is the claim:
    a recipient has one row per kind and ISO week, and a row is sent once."""

    # Indexed by the unique constraint, which starts with the recipient.
    recipient = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="alert_deliveries", db_index=False
    )
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    iso_year = models.PositiveSmallIntegerField()
    iso_week = models.PositiveSmallIntegerField()
    as_of = models.DateField(help_text="The day whose stall state the email reports")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-iso_year", "-iso_week", "kind", "id"]
        verbose_name_plural = "alert deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "iso_year", "iso_week"],
                name="one_alert_per_recipient_kind_week",
            )
        ]
        indexes = [models.Index(fields=["iso_year", "iso_week", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient} ({self.week})"

    @property
    def week(self) -> str:
        return f"{self.iso_year}-W{self.iso_week:02d}"
