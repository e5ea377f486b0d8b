"""The portfolio's past, rebuilt from its dated records in a fixed number of queries.

Every pilot's stages come from its stage changes (a stage lasts from its change's date
to the next change's date), its decisions and its readings from their dates, its cost
lines from their history (django-simple-history), its waivers from the decision that
recorded them and their closing date. What no dated record tells exactly, a pilot's
gate states, comes from the daily snapshot (`models.PortfolioSnapshot`).

A day means the end of that day: a change dated D counts as of D.
"""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from hashlib import sha256
from typing import TypeVar

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from gates.models import GATE_KEYS, Gate, GateStatus, Readiness
from portfolio.models import (
    CostLine,
    Decision,
    DecisionDue,
    MetricReading,
    PathItem,
    Pilot,
    PortfolioSnapshot,
    StageChange,
    SuccessMetric,
    Waiver,
)
from portfolio.models.pilots import Stage
from portfolio.selectors.conditions import (
    blocked_condition,
    passed_all_gates_condition,
    process_change_condition,
)

T = TypeVar("T")


@dataclass
class PilotPast:
    """One pilot's dated records, enough to tell its state on any day."""

    id: int
    planned_end: date | None
    pilot_start: date | None
    starts: list[date] = field(default_factory=list)  # each stage's first day, in order
    stages: list[str] = field(default_factory=list)
    decisions: list[tuple[date, str]] = field(default_factory=list)  # (day, outcome)
    readings: list[date] = field(default_factory=list)  # the success metric's
    waivers: list[tuple[date, date | None, date]] = field(default_factory=list)

    def stage_on(self, day: date) -> tuple[str, date] | None:
        """(stage, the day it was entered) at the end of `day`; None before the pilot
        was recorded."""
        i = bisect_right(self.starts, day) - 1
        return None if i < 0 else (self.stages[i], self.starts[i])

    def first_on(self, stage: str) -> date | None:
        try:
            return self.starts[self.stages.index(stage)]
        except ValueError:
            return None

    @cached_property
    def started_on(self) -> date | None:
        """The pilot's start: its first day piloting; for a pilot recorded past that
        stage (an inventory), its planned start or the day it was recorded."""
        piloting = self.first_on(Stage.PILOTING)
        if piloting or self.stages == [Stage.PROPOSED] * len(self.stages):
            return piloting
        return self.pilot_start or self.starts[0]

    @cached_property
    def went_live_on(self) -> date | None:
        return self.first_on(Stage.IN_PRODUCTION)

    def decided_between(self, after: date, until: date) -> bool:
        return any(after < on <= until for on, _ in self.decisions)


@dataclass(slots=True)
class CostEvent:
    line_id: int
    pilot_id: int
    on: date
    phase: str
    category: str
    amount: Decimal | None  # None: the line was removed
    currency: str = "EUR"


@dataclass
class PortfolioPast:
    pilots: list[PilotPast]
    costs: list[CostEvent]
    by_id: dict[int, PilotPast] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {pilot.id: pilot for pilot in self.pilots}


def portfolio_past() -> PortfolioPast:
    """Every pilot's dated records and the cost lines' history: six queries."""
    pilots = {
        pid: PilotPast(id=pid, planned_end=end, pilot_start=start)
        for pid, end, start in Pilot.objects.order_by().values_list(
            "id", "pilot_end_planned", "pilot_start"
        )
    }
    for pid, stage, on in StageChange.objects.order_by("changed_on", "id").values_list(
        "pilot_id", "to_stage", "changed_on"
    ):
        past = pilots[pid]
        past.starts.append(on)
        past.stages.append(stage)
    _without_changes_fill(pilots)
    for pid, on, outcome in Decision.objects.order_by("decided_on", "id").values_list(
        "pilot_id", "decided_on", "outcome"
    ):
        pilots[pid].decisions.append((on, outcome))
    for pid, on in MetricReading.objects.order_by("measured_on").values_list(
        "metric__pilot_id", "measured_on"
    ):
        pilots[pid].readings.append(on)
    for pid, decided_on, recorded_at, closed_on, due_on in Waiver.objects.order_by().values_list(
        "pilot_id", "decision__decided_on", "recorded_at", "closed_on", "due_on"
    ):
        recorded_on = decided_on or timezone.localtime(recorded_at).date()
        pilots[pid].waivers.append((recorded_on, closed_on, due_on))
    return PortfolioPast(pilots=list(pilots.values()), costs=_cost_events())


def _without_changes_fill(pilots: dict[int, PilotPast]) -> None:
    """A pilot with no recorded stage change (written before they were recorded) is
    taken to have been in its stage since the day it entered it."""
    missing = [pid for pid, past in pilots.items() if not past.starts]
    if not missing:
        return
    for pid, stage, entered in Pilot.objects.filter(id__in=missing).values_list(
        "id", "stage", "stage_entered_on"
    ):
        pilots[pid].starts, pilots[pid].stages = [entered], [stage]


def _cost_events() -> list[CostEvent]:
    """Each cost line's versions, oldest first, dated by the day they were written (in
    the portfolio's time zone)."""
    rows = CostLine.history.order_by("history_date", "history_id").values_list(
        "id", "pilot_id", "history_date", "history_type", "phase", "category", "amount", "currency"
    )
    zone = timezone.get_current_timezone()
    return [
        CostEvent(
            line_id,
            pilot_id,
            written.astimezone(zone).date(),
            phase,
            category,
            None if kind == "-" else amount,
            currency,
        )
        for line_id, pilot_id, written, kind, phase, category, amount, currency in rows
    ]


def cost_totals_on(costs: list[CostEvent], days: list[date]) -> list[dict]:
    """For each of `days` (ascending), the cost lines as they stood at its end:
    {"by_category": {category: {phase: total}}, "totals": {phase: total}, "by_currency":
    {currency: {category: {phase: total}}}} (by_category and totals add every currency
    together: the figures over time assume one currency; the dashboard reads
    by_currency)."""
    lines: dict[int, CostEvent] = {}
    result, i = [], 0
    for day in days:
        while i < len(costs) and costs[i].on <= day:
            event = costs[i]
            if event.amount is None:
                lines.pop(event.line_id, None)
            else:
                lines[event.line_id] = event
            i += 1
        by_category: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        totals: dict[str, Decimal] = defaultdict(Decimal)
        by_currency: dict[str, dict] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(Decimal))
        )
        for line in lines.values():
            by_category[line.category][line.phase] += line.amount
            totals[line.phase] += line.amount
            by_currency[line.currency][line.category][line.phase] += line.amount
        result.append({"by_category": by_category, "totals": totals, "by_currency": by_currency})
    return result


def _ids(condition) -> list[int]:
    return sorted(Pilot.objects.filter(condition).values_list("id", flat=True))


def gate_figures_now() -> dict:
    """The gate figures as they are, with the pilots behind each, as the daily snapshot
    keeps them: {"passed_all", "blocked", "process_change": [ids], "blocked_gate":
    {gate key: [ids]}, "gates": {gate key: {readiness: count}}}."""
    gate_keys = dict(Gate.objects.values_list("id", "key"))
    gates = {key: dict.fromkeys(Readiness.values, 0) for key in gate_keys.values()}
    blocked_gate: dict[str, list[int]] = {key: [] for key in gate_keys.values()}
    statuses: dict[str, dict[str, str]] = defaultdict(dict)
    for gate_id, status, pilot_id in GateStatus.objects.order_by("pilot_id").values_list(
        "gate_id", "status", "pilot_id"
    ):
        gates[gate_keys[gate_id]][status] += 1
        statuses[str(pilot_id)][gate_keys[gate_id]] = status
        if status == Readiness.BLOCKED:
            blocked_gate[gate_keys[gate_id]].append(pilot_id)
    return {
        # Each pilot's gates, one letter a gate in GATE_KEYS order (see `gates_of`).
        "statuses": {
            pid: "".join(by_key.get(key, " ")[0] for key in GATE_KEYS)
            for pid, by_key in statuses.items()
        },
        "passed_all": _ids(passed_all_gates_condition()),
        "blocked": _ids(blocked_condition()),
        "process_change": _ids(process_change_condition()),
        "blocked_gate": blocked_gate,
        "gates": gates,
    }


def cost_lines_on(costs: list[CostEvent], day: date) -> list[CostEvent]:
    """The cost lines as they stood at the end of `day`."""
    lines: dict[int, CostEvent] = {}
    for event in costs:
        if event.on > day:
            break
        if event.amount is None:
            lines.pop(event.line_id, None)
        else:
            lines[event.line_id] = event
    return list(lines.values())


_READINESS_OF_LETTER = {status[0]: status for status in Readiness.values}


def gates_of(figures: dict, pilot_id: int) -> dict[str, str]:
    """A pilot's gate statuses as a snapshot's figures keep them; "" where unknown."""
    letters = figures.get("statuses", {}).get(str(pilot_id), "")
    return {
        key: _READINESS_OF_LETTER.get(letter, "")
        for key, letter in zip(GATE_KEYS, letters.ljust(len(GATE_KEYS)), strict=True)
    }


def snapshot_on(day: date) -> PortfolioSnapshot | None:
    """The latest daily snapshot written on or before `day`."""
    return PortfolioSnapshot.objects.filter(on__lte=day).order_by("-on").first()


def _aggregates(*parts: tuple[str, str, type]) -> tuple:
    """Each (function, column, model) as one value, all in one query (COUNT of a
    column counts its values that are not null)."""
    quote = connection.ops.quote_name
    selects = [
        f"(SELECT {function}({quote(column)}) FROM {quote(model._meta.db_table)})"
        for function, column, model in parts
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(selects)}")
        return tuple(cursor.fetchone())


def past_version() -> tuple:
    """What changes whenever a record the portfolio's past is read from is written,
    changed or deleted: the number of pilots and their latest change, the highest id
    of the dated records (none is deleted but with its pilot, nor changed, but a
    waiver's closing, counted), the histories of cost lines and readings, the
    snapshots. One query: index lookups, but for the two counts."""
    return _aggregates(
        ("COUNT", "id", Pilot),
        ("MAX", "updated_at", Pilot),
        *[("MAX", "id", model) for model in (StageChange, Decision, Waiver)],
        ("COUNT", "closed_on", Waiver),  # the waivers closed
        *[("MAX", "history_id", m.history.model) for m in (CostLine, MetricReading)],
        ("MAX", "recorded_at", PortfolioSnapshot),
    )


def portfolio_version(past: tuple | None = None) -> tuple:
    """`past_version` (given, or read), and what else today's figures read: when gate
    statuses were last derived (a pilot's progress and lapse are written with them),
    the decision-due causes, the histories of success metrics and path items."""
    today = _aggregates(
        ("MAX", "updated_at", GateStatus),
        ("MAX", "id", DecisionDue),
        *[("MAX", "history_id", m.history.model) for m in (SuccessMetric, PathItem)],
    )
    return (past or past_version()) + today


def kept(key: tuple, compute: Callable[[], T], *, version: tuple | None = None) -> T:
    """`compute()`, kept in the cache for this version of the portfolio (`version`, if
    the caller read it already; `past_version` where `compute` reads only the dated
    records): exact, since any write to what it reads changes the key."""
    version = version or portfolio_version()
    digest = sha256(repr((version, *key)).encode()).hexdigest()
    found = cache.get(f"past:{digest}")
    if found is None:
        found = compute()
        cache.set(f"past:{digest}", found, timeout=24 * 3600)
    return found
