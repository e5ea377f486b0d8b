"""The export as of a past day: the same rows as `selectors.export`, each pilot as the
records stood then (`selectors.as_of`)."""

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from django.utils import timezone

from portfolio.models import CostPhase, Stage
from portfolio.selectors.as_of import figures_as_of
from portfolio.selectors.export import export_queryset, pilot_export_row, portfolio_export
from portfolio.selectors.history import cost_lines_on, gates_of, portfolio_past


def _past_costs(past, day: date) -> dict[int, dict[str, Decimal]]:
    totals: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for line in cost_lines_on(past.costs, day):
        totals[line.pilot_id][line.phase] += line.amount
    return totals


def past_export(*, as_of: date) -> tuple[dict, Iterator[dict]]:
    """(summary, rows) of the export as of the end of `as_of`. A row's stall signals
    are given only for a pilot still in the stage it was in then (they read today's
    objections and gates); its gates as the daily snapshot of that day (or the latest
    before) has them."""
    past = portfolio_past()
    figures = figures_as_of(as_of=as_of, past=past)
    ids, counts = figures["ids"], figures["counts"]
    costs = _past_costs(past, as_of)
    summary = {
        "total": counts["total"],
        "stalled": counts["stalled"],
        "drifting": counts["drifting"],
        "by_stage": {stage: counts[stage] for stage in Stage.values},
        "cost": {phase: f"{figures['cost_totals'][phase]:.2f}" for phase in CostPhase.values},
    }

    def rows() -> Iterator[dict]:
        for pilot in export_queryset(as_of=as_of).iterator(chunk_size=2000):
            if pilot.id not in ids["all"]:
                continue
            then = next(stage for stage in Stage.values if pilot.id in ids[stage])
            # Signals read today's objections and gates: kept while the pilot is still
            # in the stage it was in that day, left out otherwise.
            same_stage = (then, ids["entered"][pilot.id]) == (pilot.stage, pilot.stage_entered_on)
            pilot.stage, pilot.stage_entered_on = then, ids["entered"][pilot.id]
            pilot.is_stalled = pilot.id in ids["stalled"]
            pilot.is_drifting = pilot.id in ids["drifting"]
            live = past.by_id[pilot.id].went_live_on
            pilot.go_live_on = live if live and live <= as_of else None
            for phase in CostPhase.values:
                setattr(pilot, f"cost_{phase}", costs[pilot.id][phase])
            row = pilot_export_row(pilot, as_of=as_of)
            day = as_of.isoformat()
            row["decisions"] = [d for d in row["decisions"] if d["decided_on"] <= day]
            if not same_stage:
                row["stall_signals"] = []
            row["gates"] = gates_of(figures["gate_snapshot"], pilot.id)
            yield row

    return summary, rows()


def portfolio_export_as_of(*, as_of: date) -> dict:
    """The whole export ({as_of, summary, pilots}); as of a past day, each pilot as the
    records stood then."""
    if as_of >= timezone.localdate():
        return portfolio_export(as_of=as_of)
    summary, rows = past_export(as_of=as_of)
    return {"as_of": as_of.isoformat(), "summary": summary, "pilots": list(rows)}
