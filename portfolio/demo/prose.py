"""Everything the demo says, read from the TOML files in `data/`.

The texts live apart from the code so that a use case, a rationale or a name can be
changed without reading Python. This module reads each file once, checks the kinds
and directions against the models' choices, and hands the rest of the demo plain
values. Each file explains its own fields in its comments.
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from portfolio.models import ConditionKind, Direction, KpiKind, PathKind

DATA = Path(__file__).resolve().parent / "data"

# The reference cases, in the order they are created (PG-0001 first).
REFERENCE_CASE_FILES = ("contact_centre", "finance_anomalies")


def load(name: str) -> dict[str, Any]:
    """One data file, by its path below `data/` without the `.toml`."""
    with (DATA / f"{name}.toml").open("rb") as file:
        return tomllib.load(file)


@dataclass(frozen=True)
class UseCase:
    title: str
    summary: str
    metric: str
    unit: str
    baseline: float
    target: float
    direction: str
    system: str


class CriterionTexts(NamedTuple):
    """What the evidence for a criterion says, a reviewer's rejection of it, and the
    objection of the criterion's function."""

    evidence: str
    rejection: str
    objection: str


def _use_cases_by_unit(records: list[dict[str, Any]]) -> dict[str, tuple[UseCase, ...]]:
    by_unit: dict[str, list[UseCase]] = {}
    for record in records:
        fields = dict(record)
        unit = fields.pop("business_unit")
        fields["direction"] = Direction(fields["direction"])
        by_unit.setdefault(unit, []).append(UseCase(**fields))
    return {unit: tuple(cases) for unit, cases in by_unit.items()}


# --- people.toml: the people, the business units and who owns and sponsors their pilots

_people = load("people")
PEOPLE: tuple[dict[str, str], ...] = tuple(_people["person"])
BUSINESS_UNITS: tuple[dict[str, Any], ...] = tuple(_people["business_unit"])
DELIVERY_OWNERS: tuple[str, ...] = tuple(_people["delivery_owners"])
EXECUTIVES: tuple[str, ...] = tuple(_people["executives"])
UNNAMED_OWNER: str = _people["unnamed"]["owner"]
UNNAMED_SPONSOR: str = _people["unnamed"]["sponsor"]

# --- use_cases.toml: what the generated pilots are about

_use_cases = load("use_cases")
USE_CASES: dict[str, tuple[UseCase, ...]] = _use_cases_by_unit(_use_cases["use_case"])
SCOPES: tuple[str, ...] = tuple(_use_cases["scopes"])
SUMMARY_TAILS: tuple[str, ...] = tuple(_use_cases["summary_tails"])

# --- criteria.toml: evidence, rejections and objections, by (gate key, position)

_criteria = load("criteria")
CRITERION_TEXTS: dict[tuple[str, int], CriterionTexts] = {
    (c["gate"], c["position"]): CriterionTexts(c["evidence"], c["rejection"], c["objection"])
    for c in _criteria["criterion"]
}
GENERIC_CRITERION_TEXTS = CriterionTexts(**_criteria["generic"])
RESOLVED_OBJECTION: str = _criteria["resolved_objection"]

# --- lifecycle.toml: stage changes, decisions, deferrals

_lifecycle = load("lifecycle")
STAGE_CHANGE_REASONS: dict[str, str] = _lifecycle["stage_change_reasons"]
RATIONALES: dict[str, tuple[str, ...]] = {
    outcome: tuple(texts) for outcome, texts in _lifecycle["rationales"].items()
}
SCALE_CONDITIONS: tuple[str, ...] = tuple(_lifecycle["scale_conditions"])
DEFERRAL_REASONS: tuple[str, ...] = tuple(_lifecycle["deferral_reasons"])
RISK_APPROVAL_NOTE: str = _lifecycle["risk_approval_note"]
WAIVER: dict[str, Any] = _lifecycle["waiver"]

# --- charter.toml: path items, conditions, KPIs and the notes on readings and costs

_charter = load("charter")
PATH_ITEMS: dict[PathKind, str] = {PathKind(k): v for k, v in _charter["path_items"].items()}
CONDITIONS: dict[ConditionKind, str] = {
    ConditionKind(k): v for k, v in _charter["conditions"].items()
}
KPIS: dict[KpiKind, tuple[str, str]] = {
    KpiKind(k): (kpi["name"], kpi["target"]) for k, kpi in _charter["kpis"].items()
}
READING_NOTES: dict[str, str] = _charter["reading_notes"]
COST_NOTES: dict[str, str] = _charter["cost_notes"]

# --- reference_cases/*.toml: the two reference cases of docs/domain.md, step by step

REFERENCE_CASES: dict[str, dict[str, Any]] = {
    name: load(f"reference_cases/{name}") for name in REFERENCE_CASE_FILES
}
