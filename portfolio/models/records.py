"""Records written once: the base class, and the stage-gate decisions (with the snapshot
of what the decision maker saw), deferrals, risk approvals and gate waivers of a pilot."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models

from portfolio.models.parts import SuccessMetric
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


# What a risk approval approves: a change of any of these after it voids it. Each key
# with the words that name its change.
RISK_SCOPE = {
    "risk_tier": "the risk tier",
    "risk_owner": "the risk owner",
    "summary": "the summary",
    "metric_name": "the success metric",
    "metric_baseline": "the success metric",
    "metric_target": "the success metric",
    "metric_direction": "the success metric",
}


def _number(value) -> str | None:
    return None if value is None else format(Decimal(value).normalize(), "f")


def _pilot_scope(pilot: dict) -> dict:
    return {
        "risk_tier": pilot["risk_tier"],
        "risk_owner": pilot["risk_owner_id"],
        "summary": pilot["summary"].strip(),
    }


def _metric_scope(metric: dict | None) -> dict:
    return {
        "metric_name": metric["name"].strip() if metric else None,
        "metric_baseline": _number(metric["baseline"]) if metric else None,
        "metric_target": _number(metric["target"]) if metric else None,
        "metric_direction": metric["direction"] if metric else None,
    }


def risk_scope_of(pilot: Pilot) -> dict:
    """The pilot's risk tier, risk owner and scope (summary, success metric) as they are."""
    metric = getattr(pilot, "success_metric", None)
    return _pilot_scope(vars(pilot)) | _metric_scope(metric and vars(metric))


class RiskApproval(ImmutableRecord):
    """The named risk owner's formal approval, required before a high-risk Scale. It
    holds for the risk tier, risk owner and scope it approved (`scope`), no longer."""

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="risk_approvals")
    approved_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    approved_on = models.DateField()
    note = models.TextField(blank=True)
    scope = models.JSONField(
        default=dict, editable=False, help_text="What was approved: see risk_scope_of"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["approved_on", "id"]

    def __str__(self) -> str:
        return f"Risk approved on {self.approved_on}"

    @property
    def void_since(self) -> str:
        """What changed since the approval ("the risk tier, the summary"), even if
        changed back since; empty while it holds. Reads the pilot's history."""
        since = {"history_date__gte": self.recorded_at}
        states = [
            risk_scope_of(self.pilot),
            *map(_pilot_scope, self.pilot.history.filter(**since).values()),
            *map(
                _metric_scope,
                SuccessMetric.history.filter(pilot_id=self.pilot_id, **since).values(),
            ),
        ]
        changed = [
            words
            for key, words in RISK_SCOPE.items()
            if any(key in state and state[key] != self.scope.get(key) for state in states)
        ]
        return ", ".join(dict.fromkeys(changed))


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
