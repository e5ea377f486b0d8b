"""Who the weekly stall alerts go to, and about which pilots."""

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from gates.models import (
    Evidence,
    EvidenceStatus,
    GateStatus,
    SignOff,
    Verdict,
)
from gates.selectors import WARN_DAYS
from portfolio.models import (
    AlertDelivery,
    AlertKind,
    CostLine,
    CostPhase,
    Decision,
    DeliveryStatus,
    Pilot,
    Role,
    Snooze,
    StallEvent,
    StallEventKind,
    User,
)
from portfolio.selectors.conditions import lapsed_condition
from portfolio.selectors.stalls import (
    drifting_condition,
    overdue_since,
    stalled_condition,
    with_stall_state,
)

# A pilot that became stalled or drifting in the seven days up to the alert is "new".
NEW_WITHIN_DAYS = 7


def stall_transitions(*, as_of: date) -> QuerySet:
    """(pilot id, kind) of every pilot whose stall state as of the date differs from
    its latest recorded stall event: one query over all pilots.

    The state is "stalled", "drifting" or "cleared" (neither); a pilot never flagged
    counts as cleared, so only real changes come out.
    """
    latest = (
        StallEvent.objects.filter(pilot=OuterRef("pk"), on__lte=as_of)
        .order_by("-on", "-id")
        .values("kind")[:1]
    )
    state = Case(
        When(stalled_condition(as_of), then=Value(StallEventKind.STALLED)),
        When(drifting_condition(as_of), then=Value(StallEventKind.DRIFTING)),
        default=Value(StallEventKind.CLEARED),
        output_field=CharField(),
    )
    return (
        Pilot.objects.annotate(
            new_kind=state,
            recorded_kind=Coalesce(Subquery(latest), Value(StallEventKind.CLEARED)),
        )
        .exclude(new_kind=F("recorded_kind"))
        .order_by()
        .values_list("id", "new_kind")
    )


def _active_snoozes(as_of: date) -> QuerySet[Snooze]:
    return Snooze.objects.filter(pilot=OuterRef("pk"), starts_on__lte=as_of, until__gte=as_of)


def stall_alert_recipients(*, as_of: date) -> list[tuple[int, str]]:
    """(user id, alert kind) of everyone who gets this week's stall email.

    Each active deployment owner of a stalled or drifting pilot whose alert is not
    snoozed, or of a pilot whose evidence or sign-off expires within WARN_DAYS, gets the
    owner alert; when any pilot is stalled or drifting, or live with its readiness
    lapsed, each active executive who has not opted out gets the digest. Nobody else;
    two queries.
    """
    flagged = Pilot.objects.filter(stalled_condition(as_of) | drifting_condition(as_of))
    window = {"valid_until__gt": as_of, "valid_until__lte": as_of + timedelta(days=WARN_DAYS)}
    expiring = Evidence.objects.filter(status=EvidenceStatus.ACCEPTED, **window).values(
        "pilot__deployment_owner"
    )
    signoffs = SignOff.objects.filter(verdict=Verdict.SIGNED_OFF, **window).values(
        "pilot__deployment_owner"
    )
    owners = (
        User.objects.filter(is_active=True)
        .filter(
            Q(id__in=flagged.exclude(Exists(_active_snoozes(as_of))).values("deployment_owner"))
            | Q(id__in=expiring)
            | Q(id__in=signoffs)
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    reported = flagged | Pilot.objects.filter(lapsed_condition())
    executives = (
        User.objects.filter(role=Role.EXECUTIVE, is_active=True, digest_opt_out__isnull=True)
        .filter(Exists(reported))
        .order_by("id")
        .values_list("id", flat=True)
    )
    return [(user_id, AlertKind.OWNER_ALERT) for user_id in owners] + [
        (user_id, AlertKind.EXECUTIVE_DIGEST) for user_id in executives
    ]


def stall_alert_pilots(*, as_of: date, owner: User | None = None) -> list[Pilot]:
    """The stalled and drifting pilots (of one owner, or all), worst first: the
    longest overdue at the top, as on the dashboard's stall list.

    Each carries `with_stall_state`'s flags and signals, `overdue_since`,
    `flagged_on` (the day the stall detection last saw it become stalled or
    drifting), `is_new` (flagged in the last NEW_WITHIN_DAYS days), the snooze in
    force if any (`snoozed_until`, `snooze_reason`, `snoozed_by`), its decision
    maker and its gate statuses. A fixed number of queries.
    """
    became_flagged = (
        StallEvent.objects.filter(
            pilot=OuterRef("pk"),
            kind__in=[StallEventKind.STALLED, StallEventKind.DRIFTING],
            on__lte=as_of,
        )
        .order_by("-on", "-id")
        .values("on")[:1]
    )
    snooze = _active_snoozes(as_of).order_by("-until", "-id")
    pilots = with_stall_state(Pilot.objects.all(), as_of=as_of).filter(
        stalled_condition(as_of) | drifting_condition(as_of)
    )
    if owner is not None:
        pilots = pilots.filter(deployment_owner=owner)
    pilots = (
        pilots.select_related("business_unit", "deployment_owner", "decision_maker")
        .annotate(
            overdue_since=overdue_since(),
            flagged_on=Subquery(became_flagged),
            snoozed_until=Subquery(snooze.values("until")[:1]),
            snooze_reason=Subquery(snooze.values("reason")[:1]),
            snoozed_by=Subquery(snooze.values("by__name")[:1]),
        )
        .prefetch_related(
            Prefetch(
                "gate_statuses",
                queryset=GateStatus.objects.select_related("gate").order_by("gate__number"),
            )
        )
        .order_by("overdue_since", "title", "id")
    )
    new_since = as_of - timedelta(days=NEW_WITHIN_DAYS)
    pilots = list(pilots)
    for pilot in pilots:
        pilot.is_new = pilot.flagged_on is not None and pilot.flagged_on > new_since
    return pilots


def previous_digest_as_of(*, executive: User, before: date) -> date | None:
    """The day the last digest this executive was sent reported on, before `before`;
    None when they never got one."""
    return (
        AlertDelivery.objects.filter(
            recipient=executive,
            kind=AlertKind.EXECUTIVE_DIGEST,
            status=DeliveryStatus.SENT,
            as_of__lt=before,
        )
        .order_by("-as_of")
        .values_list("as_of", flat=True)
        .first()
    )


def digest_changes(*, since: date, as_of: date, flagged_ids: set[int]) -> dict:
    """What changed after `since` up to `as_of`: the pilots cleared of their stall
    (and not flagged again since) and the decisions taken. Two queries."""
    cleared_events = (
        StallEvent.objects.filter(kind=StallEventKind.CLEARED, on__gt=since, on__lte=as_of)
        .exclude(pilot_id__in=flagged_ids)
        .select_related("pilot", "pilot__business_unit")
        .order_by("pilot__title", "pilot_id", "-on")
    )
    cleared = list({event.pilot_id: event for event in cleared_events}.values())
    decisions = list(
        Decision.objects.filter(decided_on__gt=since, decided_on__lte=as_of)
        .select_related("pilot", "pilot__business_unit", "decided_by")
        .order_by("-decided_on", "-id")
    )
    return {"cleared": cleared, "decided": decisions}


def transition_costs(pilot_ids: list[int]) -> dict[int, list[tuple[str, Decimal]]]:
    """Each pilot's production-transition cost, one total per currency: one query."""
    totals: dict[int, list[tuple[str, Decimal]]] = {pilot_id: [] for pilot_id in pilot_ids}
    for pilot_id, currency, total in (
        CostLine.objects.filter(pilot_id__in=pilot_ids, phase=CostPhase.TRANSITION)
        .order_by()
        .values_list("pilot_id", "currency")
        .annotate(total=Sum("amount"))
        .order_by("pilot_id", "currency")
    ):
        totals[pilot_id].append((currency, total))
    return totals
