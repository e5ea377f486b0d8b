"""My pilots: what waits for each person."""

from dataclasses import dataclass
from datetime import date

from django.db.models import (
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)

from gates.models import (
    Evidence,
    EvidenceStatus,
    GateStatus,
    Readiness,
    SignOff,
)
from portfolio.models import Pilot, Role, Stage, User
from portfolio.selectors.charter import with_charter
from portfolio.selectors.stalls import with_stall_flags
from portfolio.stages import OPEN_STAGES

# The charter's three questions, as the short list of what a pilot lacks.
CHARTER_GAPS = {
    "has_owner": "no deployment owner",
    "has_metric": "no success metric",
    "has_path": "no path to production",
}


@dataclass(frozen=True)
class MyPilot:
    pilot: Pilot  # annotated by `with_charter` and `with_stall_flags`
    roles: tuple[str, ...]  # what the user is to it: "Deployment owner", "Legal review"
    days_in_stage: int
    blocker: str  # the next thing blocking it; empty when closed or nothing does


def next_blocker_of(pilot: Pilot) -> str:
    """The next thing blocking a pilot of `my_pilots`, in a few words: an incomplete
    charter before the start, then the first open or blocked gate, then the decision."""
    if pilot.stage not in OPEN_STAGES:
        return ""
    if pilot.stage == Stage.PROPOSED:
        gaps = [text for flag, text in CHARTER_GAPS.items() if not getattr(pilot, flag)]
        if gaps:
            return "charter: " + ", ".join(gaps)
    for status in pilot.gate_statuses.all():  # in gate order
        if status.status in (Readiness.OPEN, Readiness.BLOCKED):
            blocked = ", an objection is open" if status.status == Readiness.BLOCKED else ""
            return (
                f"gate {status.gate.name}: {status.criteria_met} of "
                f"{status.criteria_required} required criteria met{blocked}"
            )
    if pilot.stage == Stage.AWAITING_DECISION:
        return "decision due"
    return ""


def _with_review_due(pilots: QuerySet[Pilot], function: str) -> QuerySet[Pilot]:
    """Annotate whether a reviewer of `function` has evidence to review on each pilot,
    or accepted evidence with no verdict of the function since."""
    of_function = Evidence.objects.filter(pilot=OuterRef("pk"), criterion__function=function)
    verdict_since = SignOff.objects.filter(
        pilot=OuterRef("pilot"),
        criterion=OuterRef("criterion"),
        signed_at__gte=OuterRef("reviewed_at"),
    )
    return pilots.annotate(
        review_due=Exists(of_function.filter(status=EvidenceStatus.PENDING)),
        signoff_due=Exists(
            of_function.filter(status=EvidenceStatus.ACCEPTED).exclude(Exists(verdict_since))
        ),
    )


def _roles_of(pilot: Pilot, user: User, *, is_reviewer: bool) -> tuple[str, ...]:
    """What the user is to the pilot: the roles named on it, and the reviews due."""
    roles = [
        label
        for label, user_id in [
            ("Deployment owner", pilot.deployment_owner_id),
            ("Delivery owner", pilot.delivery_owner_id),
            ("Decision maker", pilot.decision_maker_id),
            ("Risk owner", pilot.risk_owner_id),
        ]
        if user_id == user.id
    ]
    function = user.get_function_display()
    if is_reviewer and pilot.review_due:
        roles.append(f"{function} review")
    if is_reviewer and pilot.signoff_due:
        roles.append(f"{function} sign-off")
    return tuple(roles)


def _reviewer_blocker(pilot: Pilot, user: User) -> str:
    """For a reviewer, their own task on the pilot first, then what blocks it."""
    function = user.get_function_display()
    if pilot.review_due:
        return f"{function} evidence to review"
    if pilot.signoff_due:
        return f"{function} sign-off to give"
    return next_blocker_of(pilot)


def my_pilots(*, user: User, as_of: date) -> list[MyPilot]:
    """The pilots a user owns (deployment owner), delivers, decides (named decision
    maker), holds the risk of, or, for a stakeholder reviewer, has to review.

    A reviewer has to review an open pilot when it has, on a criterion of the
    reviewer's function, evidence awaiting review, or accepted evidence with no verdict
    of the function since. Flagged pilots first, then open ones, then closed ones.
    Two queries, whatever the number of pilots.
    """
    mine = (
        Q(deployment_owner=user)
        | Q(delivery_owner=user)
        | Q(decision_maker=user)
        | Q(risk_owner=user)
    )
    pilots = Pilot.objects.all()
    is_reviewer = user.role == Role.REVIEWER and bool(user.function)
    if is_reviewer:
        pilots = _with_review_due(pilots, user.function)
        mine |= Q(stage__in=OPEN_STAGES) & (Q(review_due=True) | Q(signoff_due=True))
    pilots = (
        with_stall_flags(with_charter(pilots.filter(mine)), as_of=as_of)
        .select_related("business_unit")
        .prefetch_related(
            Prefetch(
                "gate_statuses",
                queryset=GateStatus.objects.select_related("gate").order_by("gate__number"),
            )
        )
        .order_by("title", "id")
    )
    rows = [
        MyPilot(
            pilot=pilot,
            roles=_roles_of(pilot, user, is_reviewer=is_reviewer),
            days_in_stage=pilot.days_in_stage(as_of),
            blocker=_reviewer_blocker(pilot, user) if is_reviewer else next_blocker_of(pilot),
        )
        for pilot in pilots
    ]
    rows.sort(
        key=lambda row: (
            not (row.pilot.is_stalled or row.pilot.is_drifting),
            row.pilot.stage not in OPEN_STAGES,
        )
    )
    return rows
