"""What can happen to a generated pilot (its story), and how often.

A story is a pilot's fate: the stages it went through, how long it has been in the
current one, how far it moved its metric and (in the evidence module) what its gates
show. The numbers are the demo's tuning, in `data/stories.toml`.
"""

from dataclasses import dataclass
from enum import StrEnum

from portfolio.demo.prose import load
from portfolio.models import RiskTier, Stage


class Story(StrEnum):
    PROPOSED = "proposed"
    UNOWNED_IDEA = "unowned_idea"  # proposed with no owner nor decision maker yet
    PILOTING = "piloting"
    DRIFTING = "drifting"  # still piloting past its planned end
    REDESIGNED = "redesigned"  # a Redesign decision sent it back to piloting
    INVENTORY = "inventory"  # recorded from an inventory, charter incomplete
    AWAITING = "awaiting"  # awaiting decision, recently
    STALLED = "stalled"  # awaiting decision for over 60 days
    STALLED_DEFERRED = "stalled_deferred"  # 150+ days, decision deferred twice or more
    CONFLICTING = "conflicting"  # objections from two functions
    ORGANISATIONAL_GAP = "organisational_gap"  # technical gates pass, organisational do not
    SCALING = "scaling"
    IN_PRODUCTION = "in_production"
    REDESIGNED_THEN_LIVE = "redesigned_then_live"  # Redesign, then Scale superseding it
    STOPPED = "stopped"
    STOPPED_EARLY = "stopped_early"  # stopped while piloting, for a good reason
    RESEARCH = "research"


@dataclass(frozen=True)
class Arc:
    """The course of one story."""

    path: tuple[Stage, ...]  # the stages the pilot went through, the current one last
    days: tuple[int, int]  # the least and most days in its current stage
    weight: int  # how often the story is drawn, against the others
    result: tuple[float, float]  # how far its metric moved to target (1: target met)


def _arc(record: dict) -> Arc:
    return Arc(
        path=tuple(Stage(stage) for stage in record["path"]),
        days=(record["days"][0], record["days"][1]),
        weight=record["weight"],
        result=tuple(record.get("result", (0.4, 1.1))),
    )


_stories = load("stories")
if set(_stories["story"]) != set(Story):
    raise ValueError("data/stories.toml must describe every Story, and only those.")
ARCS: dict[Story, Arc] = {story: _arc(_stories["story"][story]) for story in Story}
# The first pilots, one of each story (some with a risk tier); the rest are drawn.
COVERAGE: tuple[tuple[Story, RiskTier | None], ...] = tuple(
    (Story(row["story"]), RiskTier(row["tier"]) if "tier" in row else None)
    for row in _stories["coverage"]
)
TIER_WEIGHTS: dict[RiskTier, int] = {
    RiskTier(tier): weight for tier, weight in _stories["tier_weights"].items()
}
# Days spent in a stage the pilot has left, at least and at most.
PAST_STAGE_DAYS: dict[Stage, tuple[int, int]] = {
    Stage(stage): (days[0], days[1]) for stage, days in _stories["past_stage_days"].items()
}
