"""Who reviews a criterion's evidence and signs it off: the stakeholder functions'
rights of docs/domain.md ("Gates"), written once.

Registered with `rules` like portfolio/rules.py, whose `REFUSALS` these permissions
join, so the 403 page and the services explain a refusal the same way.
"""

import rules

from portfolio.models import Function, Role
from portfolio.rules import REFUSALS, is_governance_admin, is_signed_in


@rules.predicate
def is_reviewer_of_function(user, criterion) -> bool:
    """A stakeholder reviewer from the function that owns the criterion."""
    return (
        is_signed_in(user)
        and user.role == Role.REVIEWER
        and bool(criterion.function)
        and user.function == criterion.function
    )


@rules.predicate
def is_evidence_reviewer(user, criterion) -> bool:
    """Who accepts or rejects evidence on a criterion: the reviewers of its function
    (`is_reviewer_of_function`); where no function owns the criterion (evidence alone
    proves it), a stakeholder reviewer of the business function."""
    if criterion.function:
        return is_reviewer_of_function(user, criterion)
    return is_signed_in(user) and user.role == Role.REVIEWER and user.function == Function.BUSINESS


# Sign off or object: the object is the criterion.
rules.add_perm("gates.review_criterion", is_reviewer_of_function)
# Accept or reject evidence: as above, and the business reviewers where no function owns it.
rules.add_perm("gates.review_evidence", is_evidence_reviewer)
# Draft, edit and publish checklist versions, and choose which pilots move: no object.
rules.add_perm("gates.edit_checklist", is_governance_admin)
rules.add_rule("can_edit_checklist", is_governance_admin)  # for the templates' menu

REFUSALS.update(
    {
        "gates.review_criterion": (
            "review this criterion",
            "Only a stakeholder reviewer from the function that owns a criterion reviews "
            "and signs it off.",
        ),
        "gates.review_evidence": (
            "review this evidence",
            "Only a stakeholder reviewer from the function that owns a criterion (the business "
            "where no function does) accepts or rejects its evidence.",
        ),
        "gates.edit_checklist": (
            "change the checklist",
            "Only a governance admin drafts, publishes and moves pilots between checklist "
            "versions.",
        ),
    }
)
