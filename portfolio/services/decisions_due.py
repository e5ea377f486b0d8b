"""Decision due: record when a piloting pilot's decision falls due (its success metric
reached its target, or its planned end passed) and tell its decision maker once."""

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from smtplib import SMTPException
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from portfolio import emails
from portfolio.models import DecisionDue, DeliveryStatus, DueCause, Pilot, Stage
from portfolio.rules import can_edit_pilot
from portfolio.selectors.decisions_due import decisions_falling_due
from portfolio.services.deliveries import DELIVERY_DUE, delivery_send_once

alerts_log = logging.getLogger("portfolio.alerts")

# Decision-due records inserted by one statement: four parameters each, under the 999
# of the oldest SQLite Django supports.
DUE_BATCH = 240
# Attempts at a decision-due email before the sweep leaves it failed (as the weekly
# alerts' retries: seven in all).
DUE_MAX_ATTEMPTS = 7
# Pilots whose decision due is checked by one query (within SQLite's variable limit).
DUE_CHECK_CHUNK = 500


@transaction.atomic
def decisions_due_record(
    *, as_of: date, pilot_ids: list[int] | None = None, causes: tuple[str, ...] = ()
) -> int:
    """Record each cause (of `causes`, default all), not recorded yet, of a piloting
    pilot's decision falling due as of a day (of the pilots `pilot_ids` only, when
    given). Returns how many were recorded.

    1. Two queries find the causes (`decisions_falling_due`): the latest reading meets
       the target, the planned end passed; each pilot without that cause recorded in
       its current piloting period.
    2. They are inserted DUE_BATCH to a statement, as plain rows: no model objects
       (at tens of thousands of pilots they would take seconds).
    3. ON CONFLICT DO NOTHING on the unique constraint (pilot, period, cause): a run
       at the same time inserts nothing twice, so a cause is recorded, and its email
       sent, once.
    """
    found = decisions_falling_due(
        as_of=as_of, pilot_ids=pilot_ids, causes=causes or tuple(DueCause.values)
    )
    adapt = connection.ops.adapt_datefield_value
    recorded = 0
    with connection.cursor() as cursor:
        for start in range(0, len(found), DUE_BATCH):
            batch = found[start : start + DUE_BATCH]
            params = [
                value
                for pilot_id, since, cause, due_on in batch
                for value in (pilot_id, adapt(since), str(cause), adapt(due_on))
            ]
            cursor.execute(_insert_statement(len(batch)), [*_row_defaults(), *params])
            recorded += cursor.rowcount
    return recorded


def _insert_statement(rows: int) -> str:
    quote = connection.ops.quote_name
    fields = ["pilot", "piloting_since", "cause", "due_on", "recorded_at", "status"]
    fields += ["attempts", "last_error"]
    columns = [DecisionDue._meta.get_field(name).column for name in fields]
    return (
        f"INSERT INTO {quote(DecisionDue._meta.db_table)} "
        f"({', '.join(quote(column) for column in columns)}) "
        # VALUES names its columns column1... on PostgreSQL and SQLite alike; SQLite
        # reads ON CONFLICT after a SELECT only when a WHERE comes first.
        "SELECT column1, column2, column3, column4, %s, %s, %s, %s FROM (VALUES "
        + ", ".join(["(%s, %s, %s, %s)"] * rows)
        + ") AS due WHERE true ON CONFLICT DO NOTHING"
    )


def _row_defaults() -> list:
    """recorded_at, status, attempts, last_error of a new record."""
    return [
        connection.ops.adapt_datetimefield_value(timezone.now()),
        DeliveryStatus.PENDING.value,
        0,
        "",
    ]


# The pilots whose check waits for the end of `decision_due_checks_deferred`, if any.
_deferred: ContextVar[dict[int, Pilot] | None] = ContextVar("decision_due_deferred", default=None)


def pilot_decision_due_check(*, pilot: Pilot, as_of: date) -> None:
    """After a change of a pilot's readings or metric: record its decision falling due
    if its latest reading now meets the target (a piloting pilot only). The planned
    end is the daily job's."""
    noted = _deferred.get()
    if noted is not None:
        noted[pilot.id] = pilot
        return
    pilots_decision_due_check(pilots=[pilot], as_of=as_of)


@contextmanager
def decision_due_checks_deferred(*, as_of: date) -> Iterator[None]:
    """Within: each pilot whose numbers change is noted, and checked once on leaving,
    as it then stands, with the others (an import changing the metrics of many
    pilots, some on more than one row: the file's final state is what counts)."""
    token = _deferred.set({})
    try:
        yield
        noted = _deferred.get() or {}
    finally:
        _deferred.reset(token)
    pilots_decision_due_check(pilots=list(noted.values()), as_of=as_of)


def pilots_decision_due_check(*, pilots: Iterable[Pilot], as_of: date) -> None:
    """`pilot_decision_due_check` of many pilots at once (new metrics of an import):
    a query or two per DUE_CHECK_CHUNK piloting pilots."""
    ids = [pilot.id for pilot in pilots if pilot.stage == Stage.PILOTING]
    for start in range(0, len(ids), DUE_CHECK_CHUNK):
        decisions_due_record(
            as_of=as_of,
            pilot_ids=ids[start : start + DUE_CHECK_CHUNK],
            causes=(DueCause.TARGET_REACHED,),
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
