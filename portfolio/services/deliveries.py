"""Emails sent exactly once: the claim that the weekly alerts and the decision-due
emails share. A delivery is a row with a status (pending, sent, failed, skipped), its
attempts and last error (`AlertDelivery`, `DecisionDue`)."""

from collections.abc import Callable
from smtplib import SMTPException

from django.db import transaction
from django.db.models import F, Model
from django.utils import timezone

from portfolio.models import DeliveryStatus

# The deliveries a sender may take: not yet sent, or failed and to be retried.
DELIVERY_DUE = [DeliveryStatus.PENDING, DeliveryStatus.FAILED]


def delivery_send_once(
    model: type[Model],
    *,
    delivery_id: int,
    send: Callable[[Model], object],
    related: tuple[str, ...] = (),
) -> tuple[Model | None, Exception | None]:
    """Send the email of one delivery row of `model`, once; `related`: what `send`
    reads of the delivery, loaded with it. Returns the delivery as saved (None when
    another sender had it already) and the SMTP error, if any.

    1. Claim: in a transaction, a conditional update counts the attempt only if the
       delivery is still pending or failed. The row stays locked until the end of
       the transaction: a concurrent sender of the same delivery waits, then finds
       it sent and does nothing. If this process dies, the transaction rolls back
       and the delivery is pending again for the next run.
    2. `send(delivery)` builds the email from the current data and hands it to the
       SMTP server; it returns None when there is nothing left to say (skipped).
    3. Mark it sent, in the same transaction. On an SMTP error, record the error and
       mark it failed, and commit: the caller logs it and retries.
    """
    failure = None
    with transaction.atomic():
        claimed = model.objects.filter(id=delivery_id, status__in=DELIVERY_DUE).update(
            attempts=F("attempts") + 1, last_attempt_at=timezone.now()
        )
        if claimed != 1:
            return None, None
        delivery = model.objects.select_related(*related).get(id=delivery_id)
        try:
            sent = send(delivery)
        except (SMTPException, OSError) as exc:
            failure = exc
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        else:
            delivery.status = DeliveryStatus.SENT if sent else DeliveryStatus.SKIPPED
            delivery.sent_at = timezone.now() if sent else None
            delivery.last_error = ""
        delivery.save(update_fields=["status", "last_error", "sent_at"])
    return delivery, failure
