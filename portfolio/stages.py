"""The stage machine: the one home of where a pilot may go next.

A pilot is proposed, piloted, awaits its stage-gate decision, and then scales (and
goes live), goes back to piloting (redesign), stops, or is kept as research
(docs/domain.md, "Stages"). Some moves are made by hand; the others only follow a
decision. The services (`portfolio.services.lifecycle`) enforce these tables; the
pilot page reads them to offer only the moves and outcomes that are legal now.
"""

from portfolio.models import Outcome, Stage

# Stages in which a pilot is still on its way somewhere (not closed).
OPEN_STAGES = (Stage.PROPOSED, Stage.PILOTING, Stage.AWAITING_DECISION, Stage.SCALING)

# The stage moves a person makes by hand; the others follow a stage-gate decision.
MANUAL_MOVES = {
    Stage.PROPOSED: {Stage.PILOTING},
    Stage.PILOTING: {Stage.AWAITING_DECISION},
    Stage.SCALING: {Stage.IN_PRODUCTION},
}

# The button that makes each manual stage move.
MOVE_LABELS = {
    Stage.PILOTING: "Start the pilot",
    Stage.AWAITING_DECISION: "Mark awaiting decision",
    Stage.IN_PRODUCTION: "Mark live (in production)",
}

# The stage a stage-gate decision sends the pilot to.
OUTCOME_STAGE = {
    Outcome.SCALE: Stage.SCALING,
    Outcome.REDESIGN: Stage.PILOTING,
    Outcome.STOP: Stage.STOPPED,
    Outcome.RESEARCH: Stage.RESEARCH,
}

# The stages from which each decision outcome may be taken. Stopping early for a
# good, recorded reason is allowed before the pilot has produced its result.
DECISION_FROM = {
    Outcome.SCALE: {Stage.AWAITING_DECISION},
    Outcome.REDESIGN: {Stage.AWAITING_DECISION},
    Outcome.RESEARCH: {Stage.AWAITING_DECISION},
    Outcome.STOP: {Stage.PROPOSED, Stage.PILOTING, Stage.AWAITING_DECISION},
}


def manual_moves_from(stage: str) -> list[Stage]:
    """The stages a person may move a pilot to by hand from `stage`, in stage order."""
    allowed = MANUAL_MOVES.get(stage, set())
    return [to for to in Stage if to in allowed]


def outcomes_from(stage: str) -> list[Outcome]:
    """The decision outcomes that may be taken on a pilot in `stage`."""
    return [outcome for outcome in Outcome if stage in DECISION_FROM[outcome]]


def needs_decision(to_stage: str) -> bool:
    """Whether reaching `to_stage` takes a stage-gate decision rather than a hand move."""
    return to_stage in OUTCOME_STAGE.values()
