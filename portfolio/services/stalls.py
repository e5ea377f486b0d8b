"""Stall detection: the daily record of which pilots became stalled, drifting or cleared."""

from datetime import date
from itertools import groupby
from operator import itemgetter

from django.db import connection, transaction
from django.utils import timezone

from portfolio.models import StallEvent, StallEventKind
from portfolio.selectors.alerts import stall_transitions

# Stall events inserted by one statement: well within every database's parameter limit.
STALL_EVENT_BATCH = 1000


@transaction.atomic
def stall_flags_record(*, as_of: date) -> dict[str, int]:
    """Record, dated `as_of`, each pilot that became stalled, became drifting or was
    cleared since its latest stall event. Returns the number of each recorded.

    1. One query (`stall_transitions`) selects the pilots whose state differs from
       their latest event: pairs of ids and kinds, nothing more.
    2. Their events are inserted STALL_EVENT_BATCH to a statement, as plain rows with
       one parameter each: no model objects (at 100,000 pilots they would take
       seconds). Reading first and inserting after, rather than INSERT ... SELECT from
       the query, keeps the read from scanning the table it fills.
    3. ON CONFLICT DO NOTHING on the unique constraint (pilot, day, kind): a run at the
       same time on the same day inserts nothing twice, and the run after finds no
       difference left.
    """
    changes = sorted(stall_transitions(as_of=as_of), key=itemgetter(1))
    quote = connection.ops.quote_name
    columns = [StallEvent._meta.get_field(name).column for name in ("pilot", "kind", "on")]
    insert = (
        f"INSERT INTO {quote(StallEvent._meta.db_table)} "
        f"({', '.join(quote(column) for column in [*columns, 'recorded_at'])}) "
        # VALUES names its column column1 on PostgreSQL and SQLite alike; SQLite reads
        # ON CONFLICT after a SELECT only when a WHERE comes first.
        "SELECT column1, %s, %s, %s FROM (VALUES {rows}) AS changed "
        "WHERE true ON CONFLICT DO NOTHING"
    )
    on = connection.ops.adapt_datefield_value(as_of)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    recorded = dict.fromkeys(StallEventKind.values, 0)
    with connection.cursor() as cursor:
        for kind, group in groupby(changes, key=itemgetter(1)):
            pilot_ids = [pilot_id for pilot_id, _ in group]
            for start in range(0, len(pilot_ids), STALL_EVENT_BATCH):
                batch = pilot_ids[start : start + STALL_EVENT_BATCH]
                cursor.execute(
                    insert.format(rows=", ".join(["(%s)"] * len(batch))), [kind, on, now, *batch]
                )
                recorded[kind] += cursor.rowcount
    return recorded
