"""Background jobs: thin tasks that call services, and the functions that queue them.
Arguments are ids and ISO dates; running a task twice changes nothing the second time
(the services claim their work).

Each has a management command twin for operators: `flag_stalls`, `send_stall_alerts`,
`flag_decisions_due`, `snapshot_portfolio`; but `warm_dashboard_task`, which only
computes ahead what the dashboard would compute itself.
"""

import logging
from collections.abc import Iterable
from datetime import date
from functools import partial
from smtplib import SMTPException

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from gates.services import readiness_expiry_record
from portfolio.models import AlertDelivery
from portfolio.selectors.kept import dashboard_warm
from portfolio.services.alerts import DELIVERY_DUE, alert_delivery_send, stall_alerts_plan
from portfolio.services.decisions_due import (
    decision_due_send,
    decisions_due_record,
    decisions_due_unsent,
)
from portfolio.services.snapshots import portfolio_snapshot_record
from portfolio.services.stalls import stall_flags_record

logger = logging.getLogger(__name__)


def enqueue(task, *args) -> bool:
    """Queue a task. A broker that is down is logged, never raised: the web request
    or the weekly fan-out carries on, and the next run picks the work up again."""
    try:
        task.delay(*args)
    except Exception:
        logger.exception("Could not queue or run %s%r", task.name, args)
        return False
    return True


def _as_of(value: str | None) -> date:
    return date.fromisoformat(value) if value else timezone.localdate()


@shared_task
def flag_stalls_task(as_of: str | None = None) -> dict[str, int]:
    """The daily checks: stalls, then the evidence and sign-offs that expired."""
    return daily_checks_record(as_of=_as_of(as_of))


def daily_checks_record(*, as_of: date) -> dict[str, int]:
    """Stall detection, and the expiry of evidence and sign-offs with the readiness it
    changes. Returns the counts of both (the expiry's prefixed `expired_`)."""
    counts = stall_flags_record(as_of=as_of)
    expired = readiness_expiry_record(as_of=as_of)
    return counts | {f"expired_{name}": n for name, n in expired.items()}


@shared_task
def warm_dashboard_task() -> None:
    """What today's dashboard keeps, computed again after a change of the portfolio
    before its first reader waits for it (`selectors.kept.dashboard_warm`)."""
    dashboard_warm(as_of=timezone.localdate())


@shared_task
def snapshot_portfolio_task(as_of: str | None = None) -> int:
    return portfolio_snapshot_record(on=_as_of(as_of)).id


@shared_task
def send_stall_alerts_task(as_of: str | None = None) -> int:
    return stall_alerts_enqueue(as_of=_as_of(as_of))


# An SMTP server that refuses or cannot be reached: try again after a random delay of
# up to 1, 2, 4, ... minutes (never more than an hour), seven attempts in all. Each
# attempt is recorded on the delivery, which the admin lists with its last error.
EMAIL_RETRIES = {
    "autoretry_for": (SMTPException, OSError),
    "retry_backoff": 60,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 6,
}


@shared_task(**EMAIL_RETRIES)
def send_stall_alert_task(delivery_id: int) -> str:
    return alert_delivery_send(delivery_id=delivery_id)


def stall_alerts_enqueue(*, as_of: date) -> int:
    """Claim this week's stall emails and queue one task per recipient, so each is
    sent, and retried, on its own. Returns the number queued."""
    delivery_ids = stall_alerts_plan(as_of=as_of)
    for delivery_id in delivery_ids:
        transaction.on_commit(partial(enqueue, send_stall_alert_task, delivery_id))
    return len(delivery_ids)


def alert_deliveries_retry(*, deliveries: Iterable[AlertDelivery]) -> int:
    """Queue the unsent deliveries again (an admin's retry); returns how many."""
    due = [d.id for d in deliveries if d.status in DELIVERY_DUE]
    return sum(enqueue(send_stall_alert_task, delivery_id) for delivery_id in due)


@shared_task
def flag_decisions_due_task(as_of: str | None = None) -> int:
    """The daily decision-due step: record the decisions falling due (the planned ends
    passed; a target reached is recorded as soon as its reading is), then queue the
    emails still to send."""
    decisions_due_record(as_of=_as_of(as_of))
    return decisions_due_enqueue()


@shared_task
def send_decisions_due_task() -> int:
    return decisions_due_enqueue()


@shared_task(**EMAIL_RETRIES)  # as the weekly alerts
def send_decision_due_task(due_id: int) -> str:
    return decision_due_send(due_id=due_id)


def decisions_due_enqueue() -> int:
    """Queue one task per decision-due email still to send (each claims its own, so
    queueing one twice sends it once). Returns the number queued."""
    due_ids = decisions_due_unsent()
    for due_id in due_ids:
        transaction.on_commit(partial(enqueue, send_decision_due_task, due_id))
    return len(due_ids)
