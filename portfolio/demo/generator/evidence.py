"""A generated pilot's gates: what its story makes of each gate, and the evidence and
sign-offs that show it. The gate statuses themselves are derived afterwards by
`readiness_refresh`, the same derivation a user's evidence goes through."""

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from gates.models import Criterion, Evidence, EvidenceStatus, SignOff, Verdict
from portfolio.demo import prose
from portfolio.demo.criteria import (
    ALL_GATES,
    MET,
    NOTHING,
    OBJECTED,
    ORGANISATIONAL_GATES,
    PENDING,
    REJECTED,
    TECHNICAL_GATES,
    UNSIGNED,
)
from portfolio.demo.figures import at
from portfolio.demo.generator.drafts import Draft, Generation, Rows
from portfolio.demo.generator.stories import Story
from portfolio.demo.people import EMAIL_DOMAIN, reviewer_key
from portfolio.models import RiskTier, Stage, User

# What a pilot's evidence makes of one gate.
PASSED, OPEN, BLOCKED, UNTOUCHED = "passed", "open", "blocked", "untouched"


def gates_add(generation: Generation, rows: Rows, draft: Draft) -> None:
    """Evidence and sign-offs that make each gate what the plan says."""
    pilot, today = draft.pilot, generation.today
    # From the pilot's start (or its proposal, for a start still to come) to the first
    # decision that closed or scaled it.
    window_start = min(pilot.pilot_start or pilot.stage_entered_on, pilot.stage_entered_on)
    closing = (Stage.SCALING, Stage.STOPPED, Stage.RESEARCH)
    decided = [on for s, on in zip(draft.path, draft.entered, strict=True) if s in closing]
    window_end = min(decided[0] if decided else today, today) - timedelta(days=1)
    window_start = min(window_start, window_end)
    objecting: list[str] = []  # functions already objecting: a second one differs
    for gate_key, state in _gate_plan(generation.rng, draft).items():
        criteria = [c for c in generation.criteria[gate_key] if c.applies_to(pilot.risk_tier)]
        if state == UNTOUCHED or not criteria:
            continue
        outcomes = _criterion_outcomes(generation.rng, criteria, state, objecting)
        for criterion in criteria:
            _criterion_rows_add(
                generation, rows, draft, criterion, outcomes[criterion.id], window_start, window_end
            )


def _gate_plan(rng: random.Random, draft: Draft) -> dict[str, str]:
    """What the pilot's evidence makes of each gate, given its story."""
    story = draft.story

    def some(*states: str) -> str:
        return rng.choice(states)

    if story in (Story.PROPOSED, Story.UNOWNED_IDEA, Story.INVENTORY):
        return {"ownership": some(UNTOUCHED, UNTOUCHED, OPEN)}
    if story in (Story.PILOTING, Story.DRIFTING, Story.REDESIGNED):
        # Mid-pilot: ownership settled or not, the value case in progress, the rest
        # mostly not looked at yet.
        return {
            "ownership": some(PASSED, OPEN, UNTOUCHED, UNTOUCHED),
            "value": some(OPEN, UNTOUCHED, UNTOUCHED),
        }
    if story in (Story.SCALING, Story.IN_PRODUCTION, Story.REDESIGNED_THEN_LIVE):
        plan = dict.fromkeys(ALL_GATES, PASSED)
        if rng.random() < 0.15:  # scaled with training still under way
            plan["adoption"] = OPEN
        return plan
    if story == Story.ORGANISATIONAL_GAP:
        plan = dict.fromkeys(TECHNICAL_GATES, PASSED)
        plan |= {key: some(PASSED, OPEN, BLOCKED) for key in ORGANISATIONAL_GATES}
        # The one organisational gate every tier takes stays open.
        plan["ownership"] = some(OPEN, BLOCKED)
        return plan
    if story in (Story.STOPPED, Story.STOPPED_EARLY):
        # The evidence that explains the stop: value not shown, data not fit.
        return {
            "ownership": some(PASSED, UNTOUCHED),
            "data": some(BLOCKED, UNTOUCHED, UNTOUCHED),
            "value": some(OPEN, BLOCKED),
        }
    if story == Story.RESEARCH:
        return {"ownership": OPEN, "value": some(PASSED, OPEN)}
    # Awaiting decision: some gates proven, some open or blocked, and some whose
    # criteria nobody has looked at yet.
    states, weights = (PASSED, OPEN, BLOCKED, UNTOUCHED), (30, 20, 10, 40)
    plan = {key: rng.choices(states, weights)[0] for key in ALL_GATES}
    if story == Story.CONFLICTING:
        candidates = ("data", "integration", "adoption", "governance")
        if draft.pilot.risk_tier == RiskTier.LOW:
            candidates = ("integration", "value")
        for key in rng.sample(candidates, 2):
            plan[key] = BLOCKED
    return plan


def _criterion_outcomes(
    rng: random.Random, criteria: list[Criterion], state: str, objecting: list[str]
) -> dict[int, str]:
    """How each criterion of a gate stands, so that the gate is in `state`."""
    # A passed gate has every required criterion met; an open or blocked one only some.
    met_share = 1 if state == PASSED else 0.6
    outcomes = {
        c.id: MET if rng.random() < (met_share if c.required else 0.15) else NOTHING
        for c in criteria
    }
    required = [c for c in criteria if c.required]
    if state == OPEN and required:
        for criterion in rng.sample(required, rng.randint(1, max(1, len(required) // 2))):
            options = [NOTHING, PENDING, REJECTED] + ([UNSIGNED] if criterion.function else [])
            outcomes[criterion.id] = rng.choice(options)
    elif state == BLOCKED:
        signed = [c for c in criteria if c.function]
        fresh = [c for c in signed if c.function not in objecting] or signed
        criterion = rng.choice(fresh)
        outcomes[criterion.id] = OBJECTED
        objecting.append(criterion.function)
    return outcomes


class _Clock:
    """The moments of one criterion's evidence and sign-offs: the first on a random day
    from `start` to `end`, each next one a little later, none after `end`."""

    def __init__(self, rng: random.Random, *, start: date, end: date, tz: tzinfo) -> None:
        self.rng = rng
        self.limit = at(end, 18, tz=tz)
        self.now = at(
            start + timedelta(days=rng.randint(0, (end - start).days)),
            rng.randint(8, 16),
            rng.choice((0, 15, 30, 45)),
            tz=tz,
        )

    def later(self) -> datetime:
        step = timedelta(days=self.rng.randint(0, 6), hours=self.rng.randint(1, 5))
        self.now = min(self.now + step, self.limit)
        return self.now


def _criterion_rows_add(
    generation: Generation,
    rows: Rows,
    draft: Draft,
    criterion: Criterion,
    outcome: str,
    start: date,
    end: date,
) -> None:
    """The evidence (after a rejected attempt, sometimes) and the sign-offs that make one
    criterion stand as `outcome` says."""
    if outcome == NOTHING:
        return
    rng, pilot = generation.rng, draft.pilot
    texts = generation.texts[criterion.id]
    submitter = pilot.deployment_owner or pilot.delivery_owner or pilot.sponsor
    reviewer = generation.people[reviewer_key(criterion.function)]
    clock = _Clock(rng, start=start, end=end, tz=generation.tz)
    link = (
        f"https://wiki.{EMAIL_DOMAIN}/ai/{pilot.reference.lower()}/{criterion.gate.key}"
        if rng.random() < 0.3
        else ""
    )
    submission = _Submission(draft, criterion, texts.evidence, by=submitter, reviewer=reviewer)
    if outcome == REJECTED or (outcome == MET and rng.random() < 0.05):
        rejection = texts.rejection.format(**draft.context)
        rows.add(submission.evidence(clock, EvidenceStatus.REJECTED, comment=rejection))
        if outcome == REJECTED:
            return
        clock.later()
    accepted = outcome != PENDING and not (outcome == OBJECTED and rng.random() < 0.3)
    status = EvidenceStatus.ACCEPTED if accepted else EvidenceStatus.PENDING
    rows.add(submission.evidence(clock, status, link=link))
    if not criterion.function or outcome in (PENDING, UNSIGNED):
        return
    verdicts = [Verdict.OBJECTED] if outcome == OBJECTED else [Verdict.SIGNED_OFF]
    if outcome == MET and rng.random() < 0.05:  # an objection, resolved since
        verdicts.insert(0, Verdict.OBJECTED)
    for i, verdict in enumerate(verdicts):
        comment = ""
        if verdict == Verdict.OBJECTED:
            comment = texts.objection.format(**draft.context)
        elif i:
            comment = prose.RESOLVED_OBJECTION
        rows.add(submission.signoff(clock, verdict, comment=comment))


@dataclass(frozen=True)
class _Submission:
    """What every row about one criterion of one pilot shares."""

    draft: Draft
    criterion: Criterion
    text: str  # the evidence, before its placeholders are filled in
    by: User
    reviewer: User  # who reviews the evidence and, for a function, signs off

    def evidence(
        self, clock: _Clock, status: str, *, comment: str = "", link: str = ""
    ) -> Evidence:
        """Evidence submitted now and, unless it is pending, reviewed a little later."""
        reviewed = status != EvidenceStatus.PENDING
        return Evidence(
            pilot_id=self.draft.pilot.id,
            criterion_id=self.criterion.id,
            text=self.text.format(**self.draft.context),
            link=link,
            submitted_by_id=self.by.id,
            submitted_at=clock.now,
            status=status,
            reviewed_by_id=self.reviewer.id if reviewed else None,
            reviewed_at=clock.later() if reviewed else None,
            review_comment=comment,
        )

    def signoff(self, clock: _Clock, verdict: str, *, comment: str) -> SignOff:
        return SignOff(
            pilot_id=self.draft.pilot.id,
            criterion_id=self.criterion.id,
            function=self.criterion.function,
            verdict=verdict,
            signed_by_id=self.reviewer.id,
            signed_at=clock.later(),
            comment=comment,
        )
