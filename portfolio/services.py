"""Writes for pilots: every rule of the pilot's life, called by every entry point.

Views, forms, management commands, tasks and the CSV importer all go through these
functions; none of them writes a pilot or its parts another way.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from gates.services import readiness_refresh
from portfolio.models import (
    OUTCOME_STAGE,
    BusinessUnit,
    CostLine,
    Decision,
    Deferral,
    MetricReading,
    Outcome,
    PathItem,
    Pilot,
    PilotCondition,
    ProductionKpi,
    RiskApproval,
    RiskTier,
    Role,
    Stage,
    StageChange,
    SuccessMetric,
    User,
)
from portfolio.selectors import pilot_charter_missing

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
def pilot_update(*, pilot: Pilot, **fields) -> Pilot:
    """Change a pilot's own fields (not its stage: see `pilot_stage_move`)."""
    if "stage" in fields or "stage_entered_on" in fields:
        raise ValidationError("The stage changes through a stage move or a decision.")
    tier_before = pilot.risk_tier
    for name, value in fields.items():
        setattr(pilot, name, value)
    pilot.full_clean()
    # Write only the fields asked for: a stale copy must not put back an old stage.
    pilot.save(update_fields=[*fields, "updated_at"])
    if pilot.risk_tier != tier_before:
        readiness_refresh(pilot_ids=[pilot.id])
    return pilot


def pilot_stage_record(
    *, pilot: Pilot, to_stage: str, on: date, by: User | None, reason: str = ""
) -> StageChange:
    """Move the pilot to `to_stage` and record the change; checks no rule.

    1. Update the pilot only if its stage is still the one we read, so two moves at
       once cannot both apply: the second finds no row and is refused.
    2. Record the change with who, when, from, to and why.
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
        pilot=pilot, to_stage=to_stage, on=on or timezone.localdate(), by=by, reason=reason
    )


def pilot_check_decision_rights(*, pilot: Pilot, user: User) -> None:
    """The pilot's decision maker (its deployment owner unless another is named) or
    an executive takes its stage-gate decisions."""
    if user.role == Role.EXECUTIVE:
        return
    if pilot.effective_decision_maker is not None and user.id == pilot.effective_decision_maker.id:
        return
    raise PermissionDenied("Only the pilot's decision maker or an executive decides on it.")


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
    2. Write the decision, superseding the previous one.
    3. Move the stage (conditional update: a concurrent decision is refused and this
       transaction rolls back, so nothing half-done is kept).
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
    on = on or timezone.localdate()
    decision = Decision(
        pilot=pilot,
        outcome=outcome,
        decided_by=by,
        decided_on=on,
        rationale=rationale.strip(),
        conditions=conditions.strip(),
        supersedes=pilot.decisions.order_by("-decided_on", "-id").first(),
    )
    decision.full_clean()
    decision.save()
    pilot_stage_record(
        pilot=pilot,
        to_stage=to_stage,
        on=on,
        by=by,
        reason=f"Decision: {Outcome(outcome).label}. {decision.rationale}",
    )
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
        pilot=pilot, deferred_by=by, deferred_on=on or timezone.localdate(), reason=reason.strip()
    )
    deferral.full_clean()
    deferral.save()
    return deferral


def risk_approval_record(
    *, pilot: Pilot, by: User, note: str = "", on: date | None = None
) -> RiskApproval:
    if pilot.risk_owner_id is None or by.id != pilot.risk_owner_id:
        raise PermissionDenied("Only the pilot's named risk owner approves its risk.")
    return RiskApproval.objects.create(
        pilot=pilot, approved_by=by, approved_on=on or timezone.localdate(), note=note.strip()
    )


def metric_set(
    *,
    pilot: Pilot,
    name: str,
    direction: str,
    unit: str = "",
    baseline: Decimal | None = None,
    target: Decimal | None = None,
) -> SuccessMetric:
    metric = SuccessMetric.objects.filter(pilot=pilot).first() or SuccessMetric(pilot=pilot)
    metric.name, metric.unit, metric.direction = name.strip(), unit.strip(), direction
    metric.baseline, metric.target = baseline, target
    metric.full_clean()
    metric.save()
    return metric


def reading_add(
    *, pilot: Pilot, measured_on: date, value: Decimal, note: str = ""
) -> MetricReading:
    metric = SuccessMetric.objects.filter(pilot=pilot).first()
    if metric is None:
        raise ValidationError("Define the success metric before recording readings.")
    reading = MetricReading(metric=metric, measured_on=measured_on, value=value, note=note)
    reading.full_clean()
    reading.save()
    return reading


def _create(model, **fields):
    obj = model(**fields)
    obj.full_clean()
    obj.save()
    return obj


def path_item_add(
    *, pilot: Pilot, kind: str, description: str, owner: User | None = None, status: str = "planned"
) -> PathItem:
    return _create(
        PathItem,
        pilot=pilot,
        kind=kind,
        description=description.strip(),
        owner=owner,
        status=status,
    )


def condition_add(*, pilot: Pilot, kind: str, description: str) -> PilotCondition:
    return _create(PilotCondition, pilot=pilot, kind=kind, description=description.strip())


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
) -> CostLine:
    if amount is not None and amount < 0:
        raise ValidationError({"amount": "A cost cannot be negative."})
    return _create(
        CostLine,
        pilot=pilot,
        category=category,
        phase=phase,
        amount=amount,
        currency=currency.upper(),
        note=note,
    )


def kpi_add(
    *, pilot: Pilot, kind: str, name: str, target: str = "", horizon_months: int = 12
) -> ProductionKpi:
    return _create(
        ProductionKpi,
        pilot=pilot,
        kind=kind,
        name=name.strip(),
        target=target,
        horizon_months=horizon_months,
    )


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
