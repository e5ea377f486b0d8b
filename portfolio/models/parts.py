"""What a pilot carries: success metric and readings, production KPIs, path to
production, pilot conditions and costs. Each part is edited on the pilot page."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from portfolio.models.people import User
from portfolio.models.pilots import Pilot


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
