"""The daily portfolio snapshot: the gate figures of the day, kept for the portfolio as
of a past day (`selectors.history`)."""

from datetime import date

from django.db import transaction

from gates.models import Gate, GateStatus, Readiness
from portfolio.models import Pilot, PortfolioSnapshot
from portfolio.selectors.conditions import (
    blocked_condition,
    passed_all_gates_condition,
    process_change_condition,
)


def _ids(condition) -> list[int]:
    return sorted(Pilot.objects.filter(condition).values_list("id", flat=True))


@transaction.atomic
def portfolio_snapshot_record(*, on: date) -> PortfolioSnapshot:
    """Write (or rewrite) the snapshot of `on` from the gate statuses as they are now.
    Safe to run twice a day: the second run replaces the first's figures."""
    gate_keys = dict(Gate.objects.values_list("id", "key"))
    gates = {key: dict.fromkeys(Readiness.values, 0) for key in gate_keys.values()}
    blocked_gate: dict[str, list[int]] = {key: [] for key in gate_keys.values()}
    for gate_id, status, pilot_id in GateStatus.objects.order_by("pilot_id").values_list(
        "gate_id", "status", "pilot_id"
    ):
        gates[gate_keys[gate_id]][status] += 1
        if status == Readiness.BLOCKED:
            blocked_gate[gate_keys[gate_id]].append(pilot_id)
    figures = {
        "passed_all": _ids(passed_all_gates_condition()),
        "blocked": _ids(blocked_condition()),
        "process_change": _ids(process_change_condition()),
        "blocked_gate": blocked_gate,
        "gates": gates,
    }
    snapshot, _ = PortfolioSnapshot.objects.update_or_create(on=on, defaults={"figures": figures})
    return snapshot
