"""Decision due: record when a piloting pilot's decision falls due (its success metric
reached its target, or its planned end passed) and tell its decision maker once."""

import logging
from collections import Counter
from datetime import date
from smtplib import SMTPException
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

from portfolio import emails
from portfolio.models import DecisionDue, DeliveryStatus, DueCause, Pilot, Stage
from portfolio.rules import can_edit_pilot
from portfolio.selectors.decisions_due import decisions_falling_due
from portfolio.services.deliveries import DELIVERY_DUE, delivery_send_once

alerts_log = logging.getLogger("portfolio.alerts")

# Decision-due records inserted by one statement.
DUE_BATCH = 1000
# Attempts at a decision-due email before the sweep leaves it failed (as the weekly
# alerts' retries: seven in all).
DUE_MAX_ATTEMPTS = 7


@transaction.atomic
def decisions_due_record(
    *, as_of: date, pilot_ids: list[int] | None = None, causes: tuple[str, ...] = ()
) -> int:
    """Record each cause (of `causes`, default all), not recorded yet, of a piloting
    pilot's decision falling due as of a day (of the pilots `pilot_ids` only, when
    given). Returns how many.

    1. Two queries find the causes (`decisions_falling_due`): the latest reading meets
       the target, the planned end passed; each pilot without that cause recorded in
       its current piloting period.
    2. They are inserted DUE_BATCH to a statement; the unique constraint (pilot,
       period, cause) ignores one recorded meanwhile by a run at the same time, so a
       cause is recorded, and its email sent, once.
    """
    rows = [
        DecisionDue(pilot_id=pilot_id, piloting_since=since, cause=cause, due_on=due_on)
        for pilot_id, since, cause, due_on in decisions_falling_due(
            as_of=as_of, pilot_ids=pilot_ids, causes=causes or tuple(DueCause.values)
        )
    ]
    DecisionDue.objects.bulk_create(rows, batch_size=DUE_BATCH, ignore_conflicts=True)
    return len(rows)


def pilot_decision_due_check(*, pilot: Pilot, as_of: date) -> None:
    """After a change of a pilot's readings or metric: record its decision falling due
    if its latest reading now meets the target (a piloting pilot only). The planned
    end is the daily job's."""
    if pilot.stage == Stage.PILOTING:
        decisions_due_record(
            as_of=as_of, pilot_ids=[pilot.id], causes=(DueCause.TARGET_REACHED,)
        )


def decisions_due_unsent() -> list[int]:
    """The decision-due emails still to send: pending, or failed and not given up."""
    return list(
        DecisionDue.objects.filter(status__in=DELIVERY_DUE, attempts__lt=DUE_MAX_ATTEMPTS)
        .order_by("id")
        .values_list("id", flat=True)
    )


def decision_due_send(*, due_id: int) -> str:
    """Send one decision-due email, once (`delivery_send_once`), to the pilot's
    decision maker of the moment. Returns the new status, or "" when another sender
    had it; an SMTP error is recorded, logged and raised for the caller to retry."""
    due, failure = delivery_send_once(
        DecisionDue,
        delivery_id=due_id,
        send=decision_due_email,
        related=(
            "pilot__decision_maker",
            "pilot__deployment_owner",
            "pilot__business_unit",
            "pilot__success_metric",
        ),
    )
    if due is None:
        return ""
    if failure is not None:
        alerts_log.warning(
            "Decision-due email %s for pilot %s failed (attempt %s): %s",
            due.id,
            due.pilot_id,
            due.attempts,
            due.last_error,
        )
        raise failure
    return due.status


def decisions_due_send(*, as_of: date) -> Counter:
    """The daily job in this process: record the decisions falling due, then send
    every unsent decision-due email, one after another; a failed one is recorded and
    logged and the others still go."""
    outcome = Counter(recorded=decisions_due_record(as_of=as_of))
    for due_id in decisions_due_unsent():
        try:
            outcome[str(decision_due_send(due_id=due_id)) or "taken"] += 1
        except (SMTPException, OSError):
            outcome[DeliveryStatus.FAILED] += 1
    return outcome


def decision_due_email(due: DecisionDue, mail_connection=None):
    """Build and send the email of a decision due; None when there is nothing left to
    say: the pilot left that piloting period, or has no active decision maker."""
    pilot = due.pilot
    maker = pilot.effective_decision_maker
    current = pilot.stage == Stage.PILOTING and pilot.stage_entered_on == due.piloting_since
    if not current or maker is None or not maker.is_active:
        return None
    if due.recipient_id != maker.id:
        due.recipient = maker
        due.save(update_fields=["recipient"])
    ctx = {
        "due": due,
        "pilot": pilot,
        "maker": maker,
        "metric": getattr(pilot, "success_metric", None),
        "can_move": can_edit_pilot.test(maker, pilot),
        "pilot_url": emails.pilot_url(pilot.id),
    }
    domain = urlsplit(settings.SITE_URL).hostname or "pilotgate"
    headers = {"Message-ID": f"<decision-due.{due.id}@{domain}>"}
    return emails.decision_due(maker.email, ctx, headers, mail_connection)
