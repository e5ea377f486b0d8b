"""The weekly stall alerts: who gets what, one delivery each, sent exactly once."""

import logging
from collections import Counter
from datetime import date
from smtplib import SMTPException

from django.core.mail import get_connection
from django.db import transaction

from portfolio.models import AlertDelivery, DeliveryStatus, User
from portfolio.selectors.alerts import stall_alert_recipients
from portfolio.services.alert_emails import stall_alert_email
from portfolio.services.deliveries import DELIVERY_DUE, delivery_send_once
from portfolio.services.stalls import stall_flags_record

alerts_log = logging.getLogger("portfolio.alerts")


def stall_alerts_plan(*, as_of: date) -> list[int]:
    """Claim this ISO week's stall emails and return the ids of those still to send.

    1. Record the day's stall transitions, so "new this week" is current.
    2. Insert a pending delivery for each recipient and kind. The unique constraint
       (recipient, kind, ISO year, ISO week) ignores the ones already there: a second
       run, or one running at the same time, adds none.
    3. Return the week's deliveries not sent yet (pending, or failed to be retried).
    """
    stall_flags_record(as_of=as_of)
    iso_year, iso_week, _ = as_of.isocalendar()
    AlertDelivery.objects.bulk_create(
        [
            AlertDelivery(
                recipient_id=user_id, kind=kind, iso_year=iso_year, iso_week=iso_week, as_of=as_of
            )
            for user_id, kind in stall_alert_recipients(as_of=as_of)
        ],
        ignore_conflicts=True,
    )
    return list(
        AlertDelivery.objects.filter(iso_year=iso_year, iso_week=iso_week, status__in=DELIVERY_DUE)
        .order_by("id")
        .values_list("id", flat=True)
    )


def alert_delivery_send(*, delivery_id: int) -> str:
    """Send one weekly stall email, once (`delivery_send_once`). Returns the
    delivery's new status, or "" when there was nothing to do (already sent by
    another run); an SMTP error is recorded, logged and raised for the caller to retry.
    """
    delivery, failure = delivery_send_once(
        AlertDelivery, delivery_id=delivery_id, send=stall_alert_email, related=("recipient",)
    )
    if delivery is None:
        return ""
    if failure is not None:
        alerts_log.warning(
            "Stall alert %s to %s failed (attempt %s): %s",
            delivery.week,
            delivery.recipient.email,
            delivery.attempts,
            delivery.last_error,
        )
        raise failure
    return delivery.status


def stall_alerts_send(*, as_of: date) -> Counter:
    """Send this week's stall emails in this process, one recipient after another.
    A failed one is recorded and logged, and the others still go; running this again
    sends only what is not sent yet."""
    outcome = Counter()
    for delivery_id in stall_alerts_plan(as_of=as_of):
        try:
            outcome[alert_delivery_send(delivery_id=delivery_id) or "taken"] += 1
        except (SMTPException, OSError):
            outcome[DeliveryStatus.FAILED] += 1
    return outcome


def stall_alerts_preview(*, as_of: date) -> list[dict]:
    """Who would get which stall email this week, with its subject, writing nothing:
    the work is done in a transaction that is rolled back, and no email leaves."""
    dummy = get_connection("django.core.mail.backends.dummy.EmailBackend")
    iso_year, iso_week, _ = as_of.isocalendar()
    sent = set(
        AlertDelivery.objects.filter(
            iso_year=iso_year, iso_week=iso_week, status=DeliveryStatus.SENT
        ).values_list("recipient_id", "kind")
    )
    previews = []
    with transaction.atomic():
        stall_flags_record(as_of=as_of)
        recipients = stall_alert_recipients(as_of=as_of)
        users = User.objects.in_bulk([user_id for user_id, _ in recipients])
        for user_id, kind in recipients:
            delivery = AlertDelivery(
                id=0,
                recipient=users[user_id],
                kind=kind,
                iso_year=iso_year,
                iso_week=iso_week,
                as_of=as_of,
            )
            message = stall_alert_email(delivery, mail_connection=dummy)
            previews.append(
                {
                    "to": users[user_id].email,
                    "kind": kind,
                    "subject": message.subject if message else "",
                    "already_sent": (user_id, kind) in sent,
                }
            )
        transaction.set_rollback(True)
    return previews
