"""Who the weekly stall alerts go to, and about which pilots."""

from datetime import date, timedelta

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
from portfolio.models import AlertKind, Pilot, Role, Snooze, StallEvent, StallEventKind, User
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

    Each carries `with_stall_state`'s flags and signals, `overdue_since`, `is_new`
    (became stalled or drifting in the last NEW_WITHIN_DAYS days), the snooze in
    force if any (`snoozed_until`, `snooze_reason`, `snoozed_by`), and its gate
    statuses. A fixed number of queries.
    """
    became_flagged = StallEvent.objects.filter(
        pilot=OuterRef("pk"),
        kind__in=[StallEventKind.STALLED, StallEventKind.DRIFTING],
        on__gt=as_of - timedelta(days=NEW_WITHIN_DAYS),
        on__lte=as_of,
    )
    snooze = _active_snoozes(as_of).order_by("-until", "-id")
    pilots = with_stall_state(Pilot.objects.all(), as_of=as_of).filter(
        stalled_condition(as_of) | drifting_condition(as_of)
    )
    if owner is not None:
        pilots = pilots.filter(deployment_owner=owner)
    pilots = (
        pilots.select_related("business_unit", "deployment_owner")
        .annotate(
            overdue_since=overdue_since(),
            is_new=Exists(became_flagged),
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
    return list(pilots)
