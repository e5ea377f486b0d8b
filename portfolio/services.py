"""Writes for pilots: every rule of the pilot's life, called by every entry point.

Views, forms, management commands, tasks and the CSV importer all go through these
functions; none of them writes a pilot or its parts another way.
"""

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from itertools import groupby
from operator import itemgetter
from smtplib import SMTPException
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import get_connection
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from gates.models import Readiness
from gates.services import readiness_refresh
from portfolio import emails
from portfolio.models import (
    OUTCOME_STAGE,
    AlertDelivery,
    AlertKind,
    BusinessUnit,
    ConditionDecision,
    CostLine,
    Decision,
    Deferral,
    DeliveryStatus,
    DigestOptOut,
    MetricReading,
    Outcome,
    PathItem,
    Pilot,
    PilotCondition,
    ProductionKpi,
    RiskApproval,
    RiskTier,
    Role,
    Snooze,
    Stage,
    StageChange,
    StallEvent,
    StallEventKind,
    SuccessMetric,
    User,
)
from portfolio.rules import can_decide_pilot, can_edit_pilot, is_risk_owner, refusal
from portfolio.selectors import (
    SIGNALS,
    overdue_days,
    pilot_blockers,
    pilot_charter_missing,
    stall_alert_pilots,
    stall_alert_recipients,
    stall_signals_of,
    stall_transitions,
)

# The stage moves a person makes by hand; the others follow a stage-gate decision.
MANUAL_MOVES = {
    Stage.PROPOSED: {Stage.PILOTING},
    Stage.PILOTING: {Stage.AWAITING_DECISION},
    Stage.SCALING: {Stage.IN_PRODUCTION},
}

# The stages from which each decision outcome may be taken. Stopping early for a
# good, recorded reason is allowed before the pilot has produced its result.
DECISION_FROM = {
    Outcome.SCALE: {Stage.AWAITING_DECISION},
    Outcome.REDESIGN: {Stage.AWAITING_DECISION},
    Outcome.RESEARCH: {Stage.AWAITING_DECISION},
    Outcome.STOP: {Stage.PROPOSED, Stage.PILOTING, Stage.AWAITING_DECISION},
}


def user_create(
    *,
    email: str,
    name: str,
    role: str = Role.OWNER,
    function: str = "business",
    password: str | None = None,
) -> User:
    email = email.strip().lower()
    validate_email(email)
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": f"A user with the email {email} already exists."})
    # Governance admins maintain gates, criteria, units and users in the admin site.
    is_admin = role == Role.ADMIN
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        function=function,
        is_staff=is_admin,
        is_superuser=is_admin,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


def business_unit_get_or_create(*, name: str) -> BusinessUnit:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "A business unit needs a name."})
    unit = BusinessUnit.objects.filter(name__iexact=name).first()
    return unit or BusinessUnit.objects.create(name=name)


@transaction.atomic
def pilot_create(
    *,
    title: str,
    business_unit: BusinessUnit,
    by: User | None = None,
    stage: str = Stage.PROPOSED,
    stage_entered_on: date | None = None,
    **fields,
) -> Pilot:
    """Create a pilot. A pilot recorded in a later stage (an inventory import) is
    kept as it is; the charter rule governs the moves, see `pilot_stage_move`."""
    pilot = Pilot(
        title=title.strip(),
        business_unit=business_unit,
        stage=stage,
        stage_entered_on=stage_entered_on or timezone.localdate(),
        **fields,
    )
    if stage == Stage.IN_PRODUCTION and pilot.go_live_on is None:
        pilot.go_live_on = pilot.stage_entered_on
    if by is not None:
        pilot._history_user = by  # the history's author, outside a request too
    pilot.full_clean()
    pilot.save()
    StageChange.objects.create(
        pilot=pilot,
        from_stage="",
        to_stage=stage,
        changed_on=pilot.stage_entered_on,
        changed_by=by,
        reason="Recorded",
    )
    readiness_refresh(pilot_ids=[pilot.id])
    return pilot


@transaction.atomic
def pilot_update(
    *, pilot: Pilot, by: User | None = None, version: str | None = None, **fields
) -> Pilot:
    """Change a pilot's own fields (not its stage: see `pilot_stage_move`).

    With `by`, only someone who may edit the pilot; with `version` (what an editor
    saw, see `edit_version`), refused if those fields changed meanwhile. Only the
    fields asked for are written: a stale copy must not put back an old stage.
    """
    if "stage" in fields or "stage_entered_on" in fields:
        raise ValidationError("The stage changes through a stage move or a decision.")
    current = _locked_current(pilot, fields, version)
    if by is not None:
        _require_edit(current, by)
        current._history_user = by
    tier_before = current.risk_tier
    for name, value in fields.items():
        setattr(current, name, value)
    current.full_clean()
    current.save(update_fields=[*fields, "updated_at"])
    if current.risk_tier != tier_before:
        readiness_refresh(pilot_ids=[current.id])
    for name in fields:
        setattr(pilot, name, getattr(current, name))
    return current


def pilot_stage_record(
    *, pilot: Pilot, to_stage: str, on: date, by: User | None, reason: str = ""
) -> StageChange:
    """Move the pilot to `to_stage` and record the change; checks no rule.

    1. Update the pilot only if its stage is still the one we read, so two moves at
       once cannot both apply: the second finds no row and is refused.
    2. Keep the pilot's history complete: an update writes none of its own, and the
       next change would otherwise seem to carry the new stage.
    3. Record the change with who, when, from, to and why.
    """
    from_stage = pilot.stage
    extra = {}
    if to_stage == Stage.IN_PRODUCTION:
        extra["go_live_on"] = on
    changed = Pilot.objects.filter(id=pilot.id, stage=from_stage).update(
        stage=to_stage, stage_entered_on=on, updated_at=timezone.now(), **extra
    )
    if changed != 1:
        raise ValidationError("The pilot's stage changed meanwhile; reload and try again.")
    Pilot.history.bulk_history_create(
        [Pilot.objects.get(pk=pilot.pk)], update=True, default_user=by
    )
    pilot.stage, pilot.stage_entered_on = to_stage, on
    for name, value in extra.items():
        setattr(pilot, name, value)
    return StageChange.objects.create(
        pilot=pilot,
        from_stage=from_stage,
        to_stage=to_stage,
        changed_on=on,
        changed_by=by,
        reason=reason,
    )


def _effective_date(pilot: Pilot, on: date | None) -> date:
    """The date of a move or decision: today unless given, never before the stage began."""
    on = on or timezone.localdate()
    if on < pilot.stage_entered_on:
        raise ValidationError(
            f"The date {on} comes before the pilot entered its stage on {pilot.stage_entered_on}."
        )
    return on


def _require_charter(pilot: Pilot) -> None:
    missing = pilot_charter_missing(pilot=pilot)
    if missing:
        raise ValidationError(
            "The pilot cannot start before its charter answers: " + "; ".join(missing) + "."
        )


@transaction.atomic
def pilot_stage_move(
    *, pilot: Pilot, to_stage: str, by: User | None, on: date | None = None, reason: str = ""
) -> StageChange:
    """Start a pilot, mark it awaiting decision, or mark a scaling pilot live."""
    if to_stage not in MANUAL_MOVES.get(pilot.stage, set()):
        raise ValidationError(
            f"A pilot cannot go from {Stage(pilot.stage).label} to {Stage(to_stage).label}"
            + (
                " by hand: that takes a stage-gate decision."
                if to_stage in OUTCOME_STAGE.values()
                else "."
            )
        )
    if to_stage == Stage.PILOTING:
        _require_charter(pilot)
    return pilot_stage_record(
        pilot=pilot, to_stage=to_stage, on=_effective_date(pilot, on), by=by, reason=reason
    )


def pilot_check_decision_rights(*, pilot: Pilot, user: User) -> None:
    """The pilot's decision maker (its deployment owner unless another is named) or
    an executive takes its stage-gate decisions (`portfolio.decide_pilot`)."""
    if not can_decide_pilot.test(user, pilot):
        raise PermissionDenied(refusal("portfolio.decide_pilot"))


@transaction.atomic
def decision_record(
    *,
    pilot: Pilot,
    outcome: str,
    by: User,
    rationale: str,
    conditions: str = "",
    on: date | None = None,
) -> Decision:
    """Record a stage-gate decision and move the pilot where it sends it.

    1. Check decision rights, the stage, the rationale and, for a high-risk Scale,
       the risk owner's approval.
    2. Move the stage with a conditional update: of two decisions taken at once, the
       second finds the stage changed and is refused before it writes anything.
    3. Write the decision, superseding the previous one (decisions are only ever
       appended, so the previous one is the last recorded).
    """
    pilot_check_decision_rights(pilot=pilot, user=by)
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": f"Unknown outcome {outcome!r}."})
    if pilot.stage not in DECISION_FROM[outcome]:
        raise ValidationError(
            f"A {Outcome(outcome).label} decision cannot be taken on a pilot that is "
            f"{Stage(pilot.stage).label.lower()}."
        )
    if not rationale.strip():
        raise ValidationError({"rationale": "A decision needs its rationale."})
    if outcome == Outcome.SCALE and pilot.risk_tier == RiskTier.HIGH:
        if pilot.risk_owner_id is None:
            raise ValidationError("A high-risk pilot needs a named risk owner before Scale.")
        if not RiskApproval.objects.filter(
            pilot=pilot, approved_by_id=pilot.risk_owner_id
        ).exists():
            raise ValidationError(
                "A high-risk pilot cannot be scaled before its risk owner's approval is recorded."
            )
    to_stage = OUTCOME_STAGE[Outcome(outcome)]
    if to_stage == Stage.PILOTING:
        _require_charter(pilot)
    on = _effective_date(pilot, on)
    previous = pilot.decisions.order_by("-id").first()
    pilot_stage_record(
        pilot=pilot,
        to_stage=to_stage,
        on=on,
        by=by,
        reason=f"Decision: {Outcome(outcome).label}. {rationale.strip()}",
    )
    decision = Decision(
        pilot=pilot,
        outcome=outcome,
        decided_by=by,
        decided_on=on,
        rationale=rationale.strip(),
        conditions=conditions.strip(),
        supersedes=previous,
    )
    decision.full_clean()
    decision.save()
    return decision


@transaction.atomic
def decision_defer(*, pilot: Pilot, by: User, reason: str, on: date | None = None) -> Deferral:
    pilot_check_decision_rights(pilot=pilot, user=by)
    if pilot.stage != Stage.AWAITING_DECISION:
        raise ValidationError("Only a decision that is due can be deferred.")
    # Under a row lock: a decision taken meanwhile wins over this deferral.
    if not Pilot.objects.select_for_update().filter(id=pilot.id, stage=pilot.stage).exists():
        raise ValidationError("The pilot's stage changed meanwhile; reload and try again.")
    if not reason.strip():
        raise ValidationError({"reason": "A deferral needs its reason."})
    deferral = Deferral(
        pilot=pilot, deferred_by=by, deferred_on=_effective_date(pilot, on), reason=reason.strip()
    )
    deferral.full_clean()
    deferral.save()
    return deferral


def risk_approval_record(
    *, pilot: Pilot, by: User, note: str = "", on: date | None = None
) -> RiskApproval:
    if not is_risk_owner.test(by, pilot):
        raise PermissionDenied(refusal("portfolio.approve_risk"))
    return RiskApproval.objects.create(
        pilot=pilot, approved_by=by, approved_on=on or timezone.localdate(), note=note.strip()
    )


@transaction.atomic
def metric_set(
    *,
    pilot: Pilot,
    name: str,
    direction: str,
    unit: str = "",
    baseline: Decimal | None = None,
    target: Decimal | None = None,
    by: User | None = None,
    version: str | None = None,
) -> SuccessMetric:
    """Define or change the pilot's success metric (`by` and `version` as in
    `pilot_update`)."""
    fields = {
        "name": name.strip(),
        "unit": unit.strip(),
        "direction": direction,
        "baseline": baseline,
        "target": target,
    }
    metric = SuccessMetric.objects.filter(pilot=pilot).first()
    if metric is None:
        return _part_create(SuccessMetric, of=pilot, by=by, pilot=pilot, **fields)
    return pilot_part_update(pilot=pilot, part=metric, by=by, version=version, **fields)


def reading_add(
    *, pilot: Pilot, measured_on: date, value: Decimal, note: str = "", by: User | None = None
) -> MetricReading:
    metric = SuccessMetric.objects.filter(pilot=pilot).first()
    if metric is None:
        raise ValidationError("Define the success metric before recording readings.")
    return _part_create(
        MetricReading,
        of=pilot,
        by=by,
        metric=metric,
        measured_on=measured_on,
        value=value,
        note=note,
    )


def _part_create(model, *, of: Pilot, by: User | None = None, **fields):
    """Record a new part of the pilot `of`: with `by`, only if they may edit it, and
    as its author in the history."""
    obj = model(**fields)
    if by is not None:
        _require_edit(of, by)
        obj._history_user = by
    obj.full_clean()
    obj.save()
    return obj


def path_item_add(
    *,
    pilot: Pilot,
    kind: str,
    description: str,
    owner: User | None = None,
    status: str = "planned",
    by: User | None = None,
) -> PathItem:
    return _part_create(
        PathItem,
        of=pilot,
        by=by,
        pilot=pilot,
        kind=kind,
        description=description.strip(),
        owner=owner,
        status=status,
    )


def condition_add(
    *, pilot: Pilot, kind: str, description: str, decision: str = "", by: User | None = None
) -> PilotCondition:
    return _part_create(
        PilotCondition,
        of=pilot,
        by=by,
        pilot=pilot,
        kind=kind,
        description=description.strip(),
        decision=decision or ConditionDecision.UNDECIDED,
    )


def condition_decide(*, condition: PilotCondition, decision: str) -> PilotCondition:
    condition.decision = decision
    condition.full_clean()
    condition.save(update_fields=["decision"])
    return condition


def cost_line_add(
    *,
    pilot: Pilot,
    category: str,
    phase: str,
    amount: Decimal,
    currency: str = "EUR",
    note: str = "",
    by: User | None = None,
) -> CostLine:
    return _part_create(
        CostLine,
        of=pilot,
        by=by,
        pilot=pilot,
        category=category,
        phase=phase,
        amount=amount,
        currency=currency,
        note=note,
    )


def kpi_add(
    *,
    pilot: Pilot,
    kind: str,
    name: str,
    target: str = "",
    horizon_months: int = 12,
    by: User | None = None,
) -> ProductionKpi:
    return _part_create(
        ProductionKpi,
        of=pilot,
        by=by,
        pilot=pilot,
        kind=kind,
        name=name.strip(),
        target=target,
        horizon_months=horizon_months,
    )


# Editing what is already recorded. Two people may edit the same thing at once: the
# editor's form carries a fingerprint of the values it showed (`edit_version`), and a
# save is refused when those values changed meanwhile, so the second save never
# silently overwrites the first.

# The parts of a pilot that its owners edit and remove in place.
PilotPart = SuccessMetric | MetricReading | ProductionKpi | PathItem | PilotCondition | CostLine


class EditConflict(ValidationError):
    """What the editor saw changed, or was removed, since they read it."""

    def __init__(self, message: str, *, current=None):
        super().__init__(message, code="conflict")
        self.current = current


CONFLICT_MESSAGE = (
    "Someone else changed this meanwhile, so your change was not saved. "
    "Here are the current values: make your change again on them."
)


def edit_version(obj, names: Iterable[str]) -> str:
    """A short fingerprint of the values of the fields `names` of `obj`."""
    values = [
        [name, str(getattr(obj, obj._meta.get_field(name).attname))] for name in sorted(names)
    ]
    return hashlib.blake2b(json.dumps(values).encode(), digest_size=8).hexdigest()


def part_version(part: "PilotPart") -> str:
    """The fingerprint of all of a part's fields: what a remove button carries."""
    return edit_version(part, _field_names(part))


def _field_names(obj) -> list[str]:
    return [field.name for field in obj._meta.concrete_fields if not field.primary_key]


def _locked_current(obj, names: Iterable[str], version: str | None):
    """`obj` as it is now, its row locked until the transaction ends.

    Raises EditConflict when it was removed, or when the fields `names` no longer hold
    the values the editor saw (`version`; no check without it).
    """
    current = type(obj).objects.select_for_update().filter(pk=obj.pk).first()
    if current is None:
        raise EditConflict("Someone else removed this meanwhile; nothing was changed.")
    if version is not None and edit_version(current, names) != version:
        raise EditConflict(CONFLICT_MESSAGE, current=current)
    return current


def _require_edit(pilot: Pilot, by: User) -> None:
    if not can_edit_pilot.test(by, pilot):
        raise PermissionDenied(refusal("portfolio.edit_pilot"))


def _part_pilot_id(part: PilotPart) -> int:
    return part.metric.pilot_id if isinstance(part, MetricReading) else part.pilot_id


@transaction.atomic
def pilot_part_update(
    *, pilot: Pilot, part: PilotPart, by: User | None = None, version: str | None = None, **fields
) -> PilotPart:
    """Change a part of the pilot (`by` and `version` as in `pilot_update`)."""
    if by is not None:
        _require_edit(pilot, by)
    current = _locked_current(part, fields, version)
    if _part_pilot_id(current) != pilot.id:
        raise ValidationError("This is not a part of that pilot.")
    if by is not None:
        current._history_user = by
    for name, value in fields.items():
        setattr(current, name, value)
    current.full_clean()
    current.save(update_fields=list(fields))
    return current


@transaction.atomic
def pilot_part_remove(
    *, pilot: Pilot, part: PilotPart, by: User | None = None, version: str | None = None
) -> None:
    """Remove a part of the pilot; refused when it changed since the editor saw it
    (`version` over all its fields). The history keeps what it was."""
    if by is not None:
        _require_edit(pilot, by)
    current = _locked_current(part, _field_names(part), version)
    if _part_pilot_id(current) != pilot.id:
        raise ValidationError("This is not a part of that pilot.")
    if by is not None:
        current._history_user = by
    current.delete()


def user_get_or_create_by_email(*, email: str, role: str = Role.OWNER) -> User:
    """Find a user by email, or create one with no usable password yet (they set it
    through a password reset)."""
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user:
        return user
    name = email.split("@")[0].replace(".", " ").replace("_", " ").title()
    try:
        with transaction.atomic():
            return user_create(email=email, name=name, role=role)
    except IntegrityError:  # created meanwhile by a concurrent import
        return User.objects.get(email=email)


# Stalls and alerts

alerts_log = logging.getLogger("portfolio.alerts")

# Stall events inserted by one statement: well within every database's parameter limit.
STALL_EVENT_BATCH = 1000

# The longest an owner may snooze a pilot's alert: a stall is paused, never buried.
SNOOZE_MAX_DAYS = 90

# A snooze link in an alert stays valid this long; an unsubscribe link never expires.
SNOOZE_LINK_MAX_AGE = timedelta(days=21)
_UNSUBSCRIBE_SALT = "pilotgate.digest-unsubscribe"
_SNOOZE_SALT = "pilotgate.alert-snooze"

# The deliveries a sender may take: not yet sent, or failed and to be retried.
_DELIVERY_DUE = [DeliveryStatus.PENDING, DeliveryStatus.FAILED]


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
        AlertDelivery.objects.filter(iso_year=iso_year, iso_week=iso_week, status__in=_DELIVERY_DUE)
        .order_by("id")
        .values_list("id", flat=True)
    )


def alert_delivery_send(*, delivery_id: int) -> str:
    """Send one weekly stall email, once. Returns the delivery's new status, or ""
    when there was nothing to do (already sent by another run).

    1. Claim: in a transaction, a conditional update counts the attempt only if the
       delivery is still pending or failed. The row stays locked until the end of
       the transaction: a concurrent sender of the same delivery waits, then finds
       it sent and does nothing. If this process dies, the transaction rolls back
       and the delivery is pending again for the next run.
    2. Build the email from the current data and hand it to the SMTP server.
    3. Mark it sent, in the same transaction. On an SMTP error, record the error and
       mark it failed, commit, log, and raise for the caller to retry.
    """
    failure = None
    with transaction.atomic():
        claimed = AlertDelivery.objects.filter(id=delivery_id, status__in=_DELIVERY_DUE).update(
            attempts=F("attempts") + 1, last_attempt_at=timezone.now()
        )
        if claimed != 1:
            return ""
        delivery = AlertDelivery.objects.select_related("recipient").get(id=delivery_id)
        try:
            sent = _stall_alert_email(delivery)
        except (SMTPException, OSError) as exc:
            failure = exc
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        else:
            delivery.status = DeliveryStatus.SENT if sent else DeliveryStatus.SKIPPED
            delivery.sent_at = timezone.now() if sent else None
            delivery.last_error = ""
        delivery.save(update_fields=["status", "last_error", "sent_at"])
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


def stall_alerts_enqueue(*, as_of: date) -> int:
    """Claim this week's stall emails and queue one task per recipient, so each is
    sent, and retried, on its own. Returns the number queued."""
    from portfolio.tasks import enqueue, send_stall_alert_task

    delivery_ids = stall_alerts_plan(as_of=as_of)
    for delivery_id in delivery_ids:
        transaction.on_commit(partial(enqueue, send_stall_alert_task, delivery_id))
    return len(delivery_ids)


def alert_deliveries_retry(*, deliveries: Iterable[AlertDelivery]) -> int:
    """Queue the unsent deliveries again (an admin's retry); returns how many."""
    from portfolio.tasks import enqueue, send_stall_alert_task

    due = [d.id for d in deliveries if d.status in _DELIVERY_DUE]
    return sum(enqueue(send_stall_alert_task, delivery_id) for delivery_id in due)


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
            message = _stall_alert_email(delivery, mail_connection=dummy)
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


def _stall_alert_email(delivery: AlertDelivery, mail_connection=None):
    """Build and send the email of a delivery; None when there is nothing left to
    report (the pilots were decided meanwhile, the recipient left or opted out)."""
    if not delivery.recipient.is_active:
        return None
    ctx = {
        "as_of": delivery.as_of,
        "week": delivery.week,
        "stall_after_days": settings.STALL_AFTER_DAYS,
        "dashboard_url": emails.dashboard_url(),
    }
    headers = {"Message-ID": _message_id(delivery)}
    if delivery.kind == AlertKind.OWNER_ALERT:
        return _owner_alert_email(delivery, ctx, headers, mail_connection)
    return _executive_digest_email(delivery, ctx, headers, mail_connection)


def _owner_alert_email(delivery: AlertDelivery, ctx: dict, headers: dict, mail_connection):
    owner, as_of = delivery.recipient, delivery.as_of
    pilots = [
        pilot
        for pilot in stall_alert_pilots(as_of=as_of, owner=owner)
        if pilot.snoozed_until is None
    ]
    if not pilots:
        return None
    blockers = pilot_blockers(pilots)
    items = []
    for pilot in pilots:
        snooze_path = reverse("alerts_snooze", args=[snooze_token_create(owner=owner, pilot=pilot)])
        items.append(
            {
                **_alert_item(pilot, as_of),
                "blockers": blockers[pilot.id],
                "snooze_url": emails.absolute_url(snooze_path),
            }
        )
    stalled = sum(1 for pilot in pilots if pilot.is_stalled)
    ctx |= {
        "owner": owner,
        "items": items,
        "total": len(items),
        "summary": _counts_text(stalled=stalled, drifting=len(items) - stalled),
    }
    return emails.owner_alert(owner.email, ctx, headers, mail_connection)


def _executive_digest_email(delivery: AlertDelivery, ctx: dict, headers: dict, mail_connection):
    executive, as_of = delivery.recipient, delivery.as_of
    if DigestOptOut.objects.filter(user=executive).exists():
        return None
    pilots = stall_alert_pilots(as_of=as_of)
    if not pilots:
        return None
    items = [_alert_item(pilot, as_of) for pilot in pilots]
    groups: dict[str, list[dict]] = {}
    for item in items:  # worst first: a unit comes where its worst pilot comes
        groups.setdefault(item["pilot"].business_unit.name, []).append(item)
    no_owner = [item for item in items if item["pilot"].deployment_owner_id is None]
    stalled = sum(1 for pilot in pilots if pilot.is_stalled)
    unsubscribe_path = reverse(
        "alerts_unsubscribe", args=[unsubscribe_token_create(user=executive)]
    )
    ctx |= {
        "executive": executive,
        "groups": [{"name": name, "items": group} for name, group in groups.items()],
        "no_owner": no_owner,
        "counts": {
            "stalled": stalled,
            "drifting": len(pilots) - stalled,
            "new": sum(1 for pilot in pilots if pilot.is_new),
            "no_owner": len(no_owner),
        },
        "unsubscribe_url": emails.absolute_url(unsubscribe_path),
    }
    # RFC 8058: mail clients show an unsubscribe button that POSTs to the link.
    headers["List-Unsubscribe"] = f"<{ctx['unsubscribe_url']}>"
    headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return emails.executive_digest(executive.email, ctx, headers, mail_connection)


def _alert_item(pilot: Pilot, as_of: date) -> dict:
    return {
        "pilot": pilot,
        "url": emails.pilot_url(pilot.id),
        "days": overdue_days(pilot, as_of=as_of),
        "signals": [SIGNALS[key] for key in stall_signals_of(pilot)],
        "open_gates": [
            status.gate.name
            for status in pilot.gate_statuses.all()
            if status.status in (Readiness.OPEN, Readiness.BLOCKED)
        ],
    }


def _counts_text(*, stalled: int, drifting: int) -> str:
    parts = [f"{stalled} stalled" if stalled else "", f"{drifting} drifting" if drifting else ""]
    return " and ".join(part for part in parts if part)


def _message_id(delivery: AlertDelivery) -> str:
    """The same id for every attempt at one delivery, so a mail system that got it
    twice (a crash between the SMTP server's acceptance and our commit) can tell."""
    domain = urlsplit(settings.SITE_URL).hostname or "pilotgate"
    return f"<{delivery.kind}.{delivery.week}.{delivery.recipient_id}@{domain}>"


def unsubscribe_token_create(*, user: User) -> str:
    return signing.dumps(user.id, salt=_UNSUBSCRIBE_SALT)


def unsubscribe_token_check(*, token: str) -> User:
    try:
        user_id = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise ValidationError("This unsubscribe link is not valid.") from None
    user = User.objects.filter(id=user_id).first()
    if user is None:
        raise ValidationError("This unsubscribe link is not valid.")
    return user


def digest_opt_out(*, user: User) -> DigestOptOut:
    """Stop the weekly digest for an executive; unsubscribing twice changes nothing."""
    try:
        with transaction.atomic():
            opt_out, _ = DigestOptOut.objects.get_or_create(user=user)
    except IntegrityError:  # the same link clicked twice at once
        opt_out = DigestOptOut.objects.get(user=user)
    return opt_out


def snooze_token_create(*, owner: User, pilot: Pilot) -> str:
    return signing.dumps({"owner": owner.id, "pilot": pilot.id}, salt=_SNOOZE_SALT)


def snooze_token_check(*, token: str) -> tuple[User, Pilot]:
    try:
        data = signing.loads(token, salt=_SNOOZE_SALT, max_age=SNOOZE_LINK_MAX_AGE.total_seconds())
    except signing.SignatureExpired:
        raise ValidationError(
            "This snooze link has expired; use the one in this week's alert."
        ) from None
    except signing.BadSignature:
        raise ValidationError("This snooze link is not valid.") from None
    owner = User.objects.filter(id=data.get("owner")).first()
    pilot = Pilot.objects.filter(id=data.get("pilot")).first()
    if owner is None or pilot is None:
        raise ValidationError("This snooze link is not valid.")
    return owner, pilot


def snooze_create(
    *, pilot: Pilot, by: User, reason: str, until: date | None, on: date | None = None
) -> Snooze:
    """Pause one pilot's weekly alert to its deployment owner, with a reason, until a
    date at most SNOOZE_MAX_DAYS away. The pilot still shows as stalled on the
    dashboard and in the executives' digest, with the snooze."""
    if by.id != pilot.deployment_owner_id:
        raise PermissionDenied("Only the pilot's deployment owner snoozes its alert.")
    on = on or timezone.localdate()
    errors = {}
    if not reason.strip():
        errors["reason"] = "Say why the alert is snoozed."
    if until is None:
        errors["until"] = "Give the last day of the snooze."
    elif until <= on:
        errors["until"] = "The snooze must end after today."
    elif until > on + timedelta(days=SNOOZE_MAX_DAYS):
        errors["until"] = f"A snooze lasts at most {SNOOZE_MAX_DAYS} days."
    if errors:
        raise ValidationError(errors)
    snooze = Snooze(pilot=pilot, by=by, reason=reason.strip(), starts_on=on, until=until)
    snooze.full_clean()
    snooze.save()
    return snooze
