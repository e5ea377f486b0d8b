"""Stall events, the weekly alerts' deliveries, snoozes and digest opt-outs."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from portfolio.models.people import User
from portfolio.models.pilots import Pilot


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


class Snooze(models.Model):
    """A deployment owner's pause of one pilot's weekly alert. The pilot still shows
    as stalled everywhere else, and executives still see it in their digest. An owner
    has at most one live snooze per pilot; using the link again changes it."""

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
