"""My work: everything waiting for one person, grouped by what they must do.

Each group is read by one query (or two), whatever the number of pilots and items:
the queue and the header's count cost the same fixed number of queries. A new reason
for a decision to be due is one more function in `DECISION_DUE_READERS`.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse

from gates.models import Criterion, Evidence, EvidenceStatus, SignOff, Verdict
from gates.selectors import criteria_of_versions, current_version, expiring_soon
from portfolio.lib.display import shown
from portfolio.models import (
    ConditionDecision,
    Function,
    Pilot,
    PilotCondition,
    Role,
    Snooze,
    Stage,
    User,
    Waiver,
)
from portfolio.selectors.decisions_due import decision_due_condition, decision_due_for
from portfolio.stages import OPEN_STAGES

# The stages in which a pilot collects evidence and sign-offs.
GATED_STAGES = (Stage.PILOTING, Stage.AWAITING_DECISION, Stage.SCALING)
# The stages before a pilot closes, when its conditions are still to decide.
CONDITION_STAGES = (Stage.PILOTING, Stage.AWAITING_DECISION, Stage.SCALING)
# A snooze "ends soon" when its last day is within this many days.
SNOOZE_ENDING_DAYS = 7

GROUPS = {
    "decisions": "Decisions due",
    "evidence_add": "Evidence to add",
    "reconfirm": "Evidence and sign-offs to re-confirm",
    "evidence_review": "Evidence to review",
    "signoff": "Criteria to sign off",
    "conditions": "Conditions to decide",
    "follow_up": "Waivers and objections to follow up",
    "snoozes": "Snoozes ending",
}


@dataclass(frozen=True)
class WorkItem:
    group: str  # a key of GROUPS
    pilot_id: int
    pilot_title: str
    what: str  # what to do, in a few words
    criterion: str = ""  # the criterion's text, when the item is about one
    url: str = ""  # straight to it on the pilot page


@dataclass
class WorkGroup:
    key: str
    label: str
    items: list[WorkItem] = field(default_factory=list)


def pilot_anchor(pilot_id: int, *, gate_key: str = "", criterion_id: int | None = None) -> str:
    """The pilot page, its gate's checklist opened and scrolled to the criterion (the
    `open` parameter opens the gate on the server, so it works without JavaScript)."""
    url = reverse("pilot_detail", args=[pilot_id])
    if criterion_id is not None:
        return f"{url}?open={gate_key}#criterion-{criterion_id}"
    return url


def _criterion_item(group: str, pilot, criterion: Criterion, what: str) -> WorkItem:
    return WorkItem(
        group=group,
        pilot_id=pilot.id,
        pilot_title=pilot.title,
        what=what,
        criterion=criterion.text,
        url=pilot_anchor(pilot.id, gate_key=criterion.gate.key, criterion_id=criterion.id),
    )


def _decides(user: User) -> Q:
    """The pilots `user` takes the go-live decision of (the named decision maker, or the
    deployment owner when nobody else is named)."""
    return Q(decision_maker=user) | Q(decision_maker__isnull=True, deployment_owner=user)


def _awaiting_decision(user: User, as_of: date) -> Iterable[WorkItem]:
    pilots = Pilot.objects.filter(_decides(user), stage=Stage.AWAITING_DECISION)
    for pilot in pilots.only("id", "title", "stage_entered_on").order_by("stage_entered_on"):
        yield WorkItem(
            group="decisions",
            pilot_id=pilot.id,
            pilot_title=pilot.title,
            what=f"decide: awaiting decision for {pilot.days_in_stage(as_of)} days",
            url=reverse("pilot_detail", args=[pilot.id]) + "?open=decision#decision",
        )


def _decision_due(user: User, as_of: date) -> Iterable[WorkItem]:
    """Piloting pilots whose decision fell due (their metric reached its target, or
    their planned end passed, as recorded by `services.decisions_due`)."""
    for pilot in decision_due_for(user).select_related(None):
        causes = []
        if pilot.due_target_on:
            causes.append(f"the success metric reached its target ({shown(pilot.due_target_on)})")
        if pilot.due_end_on:
            causes.append(f"the planned end passed ({shown(pilot.pilot_end_planned)})")
        yield WorkItem(
            group="decisions",
            pilot_id=pilot.id,
            pilot_title=pilot.title,
            what=f"decision due: {'; '.join(causes)}: mark it awaiting decision",
            url=reverse("pilot_detail", args=[pilot.id]) + "#stage-panel",
        )


def _planned_end_passed(user: User, as_of: date) -> Iterable[WorkItem]:
    """Piloting pilots past their planned end that the daily decision-due step has not
    recorded yet (it runs once a day)."""
    pilots = (
        Pilot.objects.filter(_decides(user), stage=Stage.PILOTING, pilot_end_planned__lt=as_of)
        .exclude(decision_due_condition())
        .only("id", "title", "pilot_end_planned")
    )
    for pilot in pilots.order_by("pilot_end_planned"):
        yield WorkItem(
            group="decisions",
            pilot_id=pilot.id,
            pilot_title=pilot.title,
            what=f"planned end passed {(as_of - pilot.pilot_end_planned).days} days ago: "
            "mark it awaiting decision",
            url=reverse("pilot_detail", args=[pilot.id]) + "#stage-panel",
        )


# Each reader gives the decisions due for one reason; one query each.
DECISION_DUE_READERS: list[Callable[[User, date], Iterable[WorkItem]]] = [
    _awaiting_decision,
    _decision_due,
    _planned_end_passed,
]


def _owned(user: User, stages) -> QuerySet[Pilot]:
    owns = Q(deployment_owner=user) | Q(delivery_owner=user)
    return Pilot.objects.filter(owns, stage__in=stages).only(
        "id", "title", "risk_tier", "checklist_version_id"
    )


def _owner_items(user: User) -> Iterable[WorkItem]:
    """Evidence to add (required criteria of the pilot's own checklist version with
    neither accepted nor pending evidence) and objections to follow up, on the pilots
    the user owns or delivers: four or five queries, one when they own no started
    pilot. Evidence and sign-offs count by criterion key, as readiness counts them."""
    pilots = list(_owned(user, GATED_STAGES).order_by("title", "id"))
    if not pilots:
        return
    current = current_version()
    version_of = {p.id: p.checklist_version_id or (current and current.id) for p in pilots}
    criteria = criteria_of_versions({v for v in version_of.values() if v})
    ids = [pilot.id for pilot in pilots]
    proven = set(
        Evidence.objects.filter(
            pilot_id__in=ids, status__in=[EvidenceStatus.ACCEPTED, EvidenceStatus.PENDING]
        ).values_list("pilot_id", "criterion__key")
    )
    verdicts: dict[tuple[int, str], str] = {}
    for pilot_id, key, verdict in (
        SignOff.objects.filter(pilot_id__in=ids)
        .order_by("id")
        .values_list("pilot_id", "criterion__key", "verdict")
    ):
        verdicts[pilot_id, key] = verdict  # the latest wins
    for pilot in pilots:
        for criterion in criteria.get(version_of[pilot.id], []):
            if not criterion.applies_to(pilot.risk_tier):
                continue
            if verdicts.get((pilot.id, criterion.key)) == Verdict.OBJECTED:
                what = f"resolve the {criterion.get_function_display()} objection"
                yield _criterion_item("follow_up", pilot, criterion, what)
            elif criterion.required and (pilot.id, criterion.key) not in proven:
                yield _criterion_item("evidence_add", pilot, criterion, "add evidence")


def _expiring_items(user: User, as_of: date) -> Iterable[WorkItem]:
    """Evidence and sign-offs on the user's pilots that stop holding within 30 days:
    to re-confirm (new evidence, or "still holds" for a reviewer to accept again)."""
    for entry in expiring_soon(owner_ids=[user.id], as_of=as_of).get(user.id, []):
        yield WorkItem(
            group="reconfirm",
            pilot_id=entry.pilot_id,
            pilot_title=entry.pilot_title,
            what=f"re-confirm the {entry.what}: it stops holding on {shown(entry.valid_until)}",
            criterion=entry.criterion,
            url=reverse("pilot_detail", args=[entry.pilot_id]) + "#checklist",
        )


def _reviewer_items(user: User) -> Iterable[WorkItem]:
    """Evidence of the reviewer's function to review, and criteria of their function with
    accepted evidence and no verdict since."""
    if user.role != Role.REVIEWER or not user.function:
        return
    of_function = Q(criterion__function=user.function)
    if user.function == Function.BUSINESS:  # evidence alone proves the function-less ones
        of_function |= Q(criterion__function="")
    verdict_since = SignOff.objects.filter(
        pilot=OuterRef("pilot"),
        criterion=OuterRef("criterion"),
        signed_at__gte=OuterRef("reviewed_at"),
    )
    # Evidence given is reviewed whatever the stage, until the pilot closes: awaiting
    # review, or accepted with no verdict of the function since. One query.
    evidence = (
        Evidence.objects.filter(pilot__stage__in=OPEN_STAGES)
        .filter(
            Q(of_function, status=EvidenceStatus.PENDING)
            | Q(criterion__function=user.function, status=EvidenceStatus.ACCEPTED)
        )
        .annotate(verdict_since=Exists(verdict_since))
        .select_related("pilot", "criterion__gate")
        .order_by("id")
    )
    seen = set()
    for item in evidence:
        if item.status == EvidenceStatus.PENDING:
            group, what = "evidence_review", "review the evidence"
        elif not item.verdict_since:
            group, what = "signoff", "sign off or object"
        else:
            continue
        if (group, item.pilot_id, item.criterion_id) not in seen:
            seen.add((group, item.pilot_id, item.criterion_id))
            yield _criterion_item(group, item.pilot, item.criterion, what)


def _condition_items(user: User) -> Iterable[WorkItem]:
    conditions = PilotCondition.objects.filter(
        pilot__in=_owned(user, CONDITION_STAGES).values("id"),
        decision=ConditionDecision.UNDECIDED,
    ).select_related("pilot")
    for condition in conditions.order_by("pilot__title", "id"):
        yield WorkItem(
            group="conditions",
            pilot_id=condition.pilot_id,
            pilot_title=condition.pilot.title,
            what=f"make permanent or withdraw: {condition.description}",
            url=reverse("pilot_detail", args=[condition.pilot_id]) + "#part-conditions",
        )


def _waiver_items(user: User, as_of: date) -> Iterable[WorkItem]:
    waivers = Waiver.objects.filter(owner=user, closed_on__isnull=True).select_related(
        "pilot", "gate"
    )
    for waiver in waivers.order_by("due_on", "id"):
        overdue = " (overdue)" if waiver.is_overdue(as_of) else ""
        yield WorkItem(
            group="follow_up",
            pilot_id=waiver.pilot_id,
            pilot_title=waiver.pilot.title,
            what=f"close the waiver of {waiver.gate} by {shown(waiver.due_on)}{overdue}: "
            f"{waiver.condition}",
            url=reverse("pilot_detail", args=[waiver.pilot_id]) + "#decisions-title",
        )


def _snooze_items(user: User, as_of: date) -> Iterable[WorkItem]:
    snoozes = Snooze.objects.filter(
        by=user, until__gte=as_of, until__lte=as_of + timedelta(days=SNOOZE_ENDING_DAYS)
    ).select_related("pilot")
    for snooze in snoozes.order_by("until", "id"):
        yield WorkItem(
            group="snoozes",
            pilot_id=snooze.pilot_id,
            pilot_title=snooze.pilot.title,
            what=f"its alert comes back after {shown(snooze.until)}",
            url=reverse("pilot_detail", args=[snooze.pilot_id]),
        )


def my_work(*, user: User, as_of: date) -> list[WorkGroup]:
    """Everything waiting for `user`, in the order of GROUPS, empty groups left out.
    Thirteen queries at most (eleven for whoever owns no started pilot), whatever the number
    of pilots and items."""
    groups = {key: WorkGroup(key, label) for key, label in GROUPS.items()}
    readers = [reader(user, as_of) for reader in DECISION_DUE_READERS]
    readers += [
        _owner_items(user),
        _expiring_items(user, as_of),
        _reviewer_items(user),
        _condition_items(user),
        _waiver_items(user, as_of),
        _snooze_items(user, as_of),
    ]
    for reader in readers:
        for item in reader:
            groups[item.group].items.append(item)
    return [group for group in groups.values() if group.items]


def my_work_count(*, user: User, as_of: date) -> int:
    """How many things wait for `user`: the header's "My work" figure."""
    return sum(len(group.items) for group in my_work(user=user, as_of=as_of))
