"""The dashboard's pilot table as of a past day: the same filters and sorts as
`selectors.dashboard.pilot_table`, each pilot shown in the stage it was in then."""

from datetime import date

from django.db.models import Prefetch

from gates.models import GateStatus
from portfolio.models import Pilot, Stage
from portfolio.selectors.dashboard import pilots_filter

# Filters that depend on the day: answered from the figures' pilot sets.
DATED_FILTERS = ("stage", "state", "readiness", "blocked_gate", "value")
_STATES = {
    "stalled": ("stalled",),
    "drifting": ("drifting",),
    "stalling": ("stalled", "drifting"),
    "past_end": ("past_end",),
}
_STAGE_ORDER = {stage: i for i, stage in enumerate(Stage.values)}


def _dated_ids(ids: dict, filters: dict) -> set[int]:
    keep = set(ids["all"])
    if filters.get("stage"):
        keep &= ids[filters["stage"]]
    if filters.get("state"):  # a state not kept for a past day (decision due) has none
        keep &= set().union(*(ids[key] for key in _STATES.get(filters["state"], ())))
    if filters.get("readiness"):
        keep &= ids.get(filters["readiness"], set())
    if filters.get("blocked_gate"):
        keep &= ids.get(f"blocked_gate:{filters['blocked_gate']}", set())
    value = filters.get("value")
    if value:  # post-launch value reached, on the way or leaking: not kept for a past day
        keep &= ids.get({"measured": "measured"}.get(value, value), set())
    return keep


def pilot_ids_as_of(*, figures: dict, sort: str = "title", **filters) -> list[int]:
    """The ids of the pilots the table shows as of `figures["as_of"]`, in order."""
    ids = figures["ids"]
    keep = _dated_ids(ids, filters)
    plain = {key: value for key, value in filters.items() if key not in DATED_FILTERS}
    rows = pilots_filter(Pilot.objects.all(), as_of=figures["as_of"], **plain).values_list(
        "id", "title", "business_unit__name", "deployment_owner__name"
    )
    entered = ids["entered"]
    stage_of = {pid: stage for stage in Stage.values for pid in ids[stage]}
    keys = {
        "title": lambda r: (r[1], r[0]),
        "unit": lambda r: (r[2], r[1], r[0]),
        "stage": lambda r: (_STAGE_ORDER[stage_of[r[0]]], r[1], r[0]),
        "owner": lambda r: (r[3] is None, r[3] or "", r[1], r[0]),
        "days": lambda r: (entered[r[0]], r[1], r[0]),
    }
    chosen = [row for row in rows if row[0] in keep]
    chosen.sort(key=keys[sort.lstrip("-")], reverse=sort.startswith("-"))
    return [row[0] for row in chosen]


def states_of(ids: list[int], *, figures: dict) -> list[tuple]:
    """Each of `ids` as it stood on the figures' day: (id, stage, day it entered it,
    stalled, drifting). Small enough to keep for a page of the table."""
    states = figures["ids"]
    return [
        (
            pid,
            next(stage for stage in Stage.values if pid in states[stage]),
            states["entered"][pid],
            pid in states["stalled"],
            pid in states["drifting"],
        )
        for pid in ids
    ]


def pilots_as_of(rows: list[tuple]) -> list[Pilot]:
    """The pilots of `rows` (`states_of`: a page of the table), in that order, each
    with its stage, stage entry and stall flags as of that day."""
    pilots = (
        Pilot.objects.filter(id__in=[row[0] for row in rows])
        .select_related("business_unit", "deployment_owner", "decision_maker")
        .prefetch_related(
            Prefetch(
                "gate_statuses",
                queryset=GateStatus.objects.select_related("gate").order_by("gate__number"),
            )
        )
        .in_bulk()
    )
    shown = []
    for pid, stage, entered, stalled, drifting in rows:
        pilot = pilots[pid]
        pilot.stage, pilot.stage_entered_on = stage, entered
        pilot.is_stalled, pilot.is_drifting = stalled, drifting
        shown.append(pilot)
    return shown


def stall_order_as_of(figures: dict, *, limit: int | None) -> list[tuple]:
    """The stalled and drifting pilots as of the figures' day, the longest overdue
    first: (id, days overdue, stalled, drifting)."""
    ids, day = figures["ids"], figures["as_of"]
    since: dict[int, date] = {pid: ids["entered"][pid] for pid in ids["stalled"]}
    for pid in ids["drifting"]:
        since[pid] = ids["planned_end"][pid]
    order = sorted(since, key=lambda pid: (since[pid], pid))[:limit]
    return [
        (pid, (day - since[pid]).days, pid in ids["stalled"], pid in ids["drifting"])
        for pid in order
    ]


def stall_rows(order: list[tuple]) -> list[dict]:
    """The rows of `stall_order_as_of`, as `selectors.stalls.stall_row` shows them
    (their signals are today's, so a past day shows none)."""
    pilots = Pilot.objects.select_related("business_unit", "deployment_owner").in_bulk(
        [row[0] for row in order]
    )
    rows = []
    for pid, days, stalled, drifting in order:
        pilot = pilots[pid]
        pilot.is_stalled, pilot.is_drifting = stalled, drifting
        rows.append({"pilot": pilot, "days": days, "signals": []})
    return rows


def stall_rows_as_of(figures: dict, *, limit: int | None) -> list[dict]:
    return stall_rows(stall_order_as_of(figures, limit=limit))
