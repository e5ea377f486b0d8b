"""Readiness criteria as the demo fills them in: the gates in order, how one criterion of
a pilot can stand, and what its evidence, rejection and objection say."""

from gates.models import Criterion
from gates.selectors import current_version
from portfolio.demo import prose
from portfolio.demo.prose import CriterionTexts

ALL_GATES = ("ownership", "data", "integration", "value", "adoption", "governance")
TECHNICAL_GATES = ("data", "integration", "value")
ORGANISATIONAL_GATES = ("ownership", "adoption", "governance")

# How one criterion of one pilot stands after its evidence and sign-offs.
MET = "met"  # accepted evidence and, where there is a function, its sign-off
PENDING = "pending"  # evidence awaiting review
REJECTED = "rejected"  # evidence rejected with a comment
UNSIGNED = "unsigned"  # accepted evidence, the function has not signed yet
OBJECTED = "objected"  # the function objects
NOTHING = "nothing"


def criteria_by_gate() -> dict[str, list[Criterion]]:
    """The criteria of the current checklist version, by gate key."""
    criteria: dict[str, list[Criterion]] = {key: [] for key in ALL_GATES}
    current = current_version()
    for criterion in (
        Criterion.objects.filter(version=current)
        .select_related("gate")
        .order_by("gate__number", "position", "id")
    ):
        criteria.setdefault(criterion.gate.key, []).append(criterion)
    return criteria


def criterion_texts(criterion: Criterion) -> CriterionTexts:
    """The texts of `data/criteria.toml` for a criterion, or the generic ones."""
    texts = prose.CRITERION_TEXTS.get((criterion.gate.key, criterion.position))
    if texts is not None:
        return texts
    generic = prose.GENERIC_CRITERION_TEXTS
    return generic._replace(evidence=generic.evidence.format(criterion=criterion.text))
