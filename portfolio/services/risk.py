"""Separation of duties around a pilot's people and risk (docs/domain.md).

Decision rights are named from above the pilot: the decision maker, risk owner,
deployment owner, sponsor and risk tier change only by an executive, a governance admin
or the sponsor, never by the pilot's deployment or delivery owner. Nobody is risk owner
of a pilot they own or deliver; on a high-risk pilot the risk owner is not the decision
maker either. Lowering the tier of a started pilot is the risk owner's or an
executive's act, with a reason. A risk approval holds for what it approved.
"""

from copy import copy

from django.core.exceptions import PermissionDenied, ValidationError

from portfolio.models import Pilot, RiskApproval, RiskTier, Stage, User
from portfolio.rules import (
    can_edit_charter,
    can_edit_pilot,
    can_lower_risk_tier,
    can_name_people,
    is_governance_admin,
    refusal,
)

can_edit_answers = can_edit_pilot | is_governance_admin

# The fields that carry decision rights, with the words that name them.
GOVERNED_FIELDS = {
    "decision_maker": "decision maker",
    "risk_owner": "risk owner",
    "deployment_owner": "deployment owner",
    "sponsor": "sponsor",
    "risk_tier": "risk tier",
}
# The charter's other fields: its editors' and the governance admins' (who keep the
# inventory in the administration).
ANSWER_FIELDS = [
    "title",
    "reference",
    "summary",
    "business_unit",
    "pilot_start",
    "pilot_end_planned",
    "delivery_owner",
]
# A change of any of these can break the separation of duties: checked again.
PEOPLE_FIELDS = {"decision_maker", "risk_owner", "deployment_owner", "delivery_owner", "risk_tier"}
TIER_RANK = {RiskTier.LOW: 0, RiskTier.MEDIUM: 1, RiskTier.HIGH: 2}
# simple_history keeps a change reason of up to 100 characters.
REASON_MAX_LENGTH = 100


def governed_refusal(name: str) -> str:
    """Why a pilot's owner may not change the governed field `name`."""
    return (
        f"Only an executive, a governance admin or the pilot's sponsor changes the "
        f"{GOVERNED_FIELDS[name]}; the pilot's deployment and delivery owners do not."
    )


def charter_fields_locked(pilot: Pilot, user: User) -> list[str]:
    """The charter's fields `user` may not change on `pilot`."""
    names = [] if can_edit_answers.test(user, pilot) else list(ANSWER_FIELDS)
    if not can_name_people.test(user, pilot):
        names += [name for name in GOVERNED_FIELDS if name != "risk_tier"]
        if not can_lower_risk_tier.test(user, pilot):
            names.append("risk_tier")
    return names


def charter_field_refusal(name: str) -> str:
    """Why a charter field is not open to someone."""
    if name in GOVERNED_FIELDS:
        return governed_refusal(name)
    return refusal("portfolio.edit_pilot")


def pilot_duties_check(pilot: Pilot) -> None:
    """Raise a ValidationError on `risk_owner` when the pilot's people break the
    separation of duties: the risk owner is one of its owners or, on a high-risk
    pilot, its decision maker (four eyes)."""
    risk_owner = pilot.risk_owner_id
    if risk_owner is None:
        return
    if risk_owner in (pilot.deployment_owner_id, pilot.delivery_owner_id):
        raise ValidationError(
            {
                "risk_owner": "Nobody is risk owner of a pilot they own or deliver: name "
                "someone other than its deployment and delivery owners."
            }
        )
    decision_maker = pilot.decision_maker_id or pilot.deployment_owner_id
    if pilot.risk_tier == RiskTier.HIGH and risk_owner == decision_maker:
        raise ValidationError(
            {
                "risk_owner": "On a high-risk pilot the risk owner is a different person "
                "from the decision maker and both owners (four eyes)."
            }
        )


def _check_tier_change(pilot: Pilot, tier: str, by: User | None, reason: str) -> None:
    """Raising the tier, or lowering it before the pilot starts, is for those who name
    its people; lowering it afterwards is the risk owner's or an executive's, with a
    reason."""
    lowered = TIER_RANK[RiskTier(tier)] < TIER_RANK[RiskTier(pilot.risk_tier)]
    if lowered and pilot.stage != Stage.PROPOSED:
        if by is not None and not can_lower_risk_tier.test(by, pilot):
            raise ValidationError({"risk_tier": refusal("portfolio.lower_risk_tier")})
        if not reason.strip():
            raise ValidationError(
                {"reason": "Lowering the risk tier of a started pilot needs a reason."}
            )
    elif by is not None and not can_name_people.test(by, pilot):
        raise ValidationError({"risk_tier": governed_refusal("risk_tier")})


def pilot_changes_check(*, pilot: Pilot, fields: dict, by: User | None, reason: str = "") -> dict:
    """Check the changes `fields` to `pilot` (as it is now) and return those that
    really change something.

    With `by`: PermissionDenied when they may not touch the charter at all; a field
    error for a governed field they may not change, or an answer only its editors
    change. Always: lowering the tier of a started pilot needs a reason, and the
    people after the change keep the separation of duties.
    """
    if by is not None and not can_edit_charter.test(by, pilot):
        raise PermissionDenied(refusal("portfolio.edit_pilot"))
    changed = {name: value for name, value in fields.items() if getattr(pilot, name) != value}
    if by is not None:
        for name in changed:
            if name == "risk_tier":
                continue
            if name in GOVERNED_FIELDS and not can_name_people.test(by, pilot):
                raise ValidationError({name: governed_refusal(name)})
            if name not in GOVERNED_FIELDS and not can_edit_answers.test(by, pilot):
                raise ValidationError({name: charter_field_refusal(name)})
    if "risk_tier" in changed:
        _check_tier_change(pilot, changed["risk_tier"], by, reason)
    if len(reason.strip()) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": f"At most {REASON_MAX_LENGTH} characters."})
    if PEOPLE_FIELDS & set(changed):
        after = copy(pilot)
        for name, value in changed.items():
            setattr(after, name, value)
        pilot_duties_check(after)
    return changed


def risk_approval_require(pilot: Pilot) -> None:
    """A high-risk Scale needs the current risk owner's approval of the pilot as it is
    now, from someone who neither owns nor decides it: raise why not."""
    if pilot.risk_owner_id is None:
        raise ValidationError("A high-risk pilot needs a named risk owner before Scale.")
    try:
        pilot_duties_check(pilot)
    except ValidationError as exc:
        # A decision has no risk owner field to put it on: one message.
        raise ValidationError("The risk approval cannot count: " + " ".join(exc.messages)) from None
    approval = (
        RiskApproval.objects.filter(pilot=pilot, approved_by_id=pilot.risk_owner_id)
        .select_related("pilot__success_metric")
        .order_by("-id")
        .first()
    )
    if approval is None:
        raise ValidationError(
            "A high-risk pilot cannot be scaled before its risk owner's approval is recorded."
        )
    if approval.void_since:
        raise ValidationError(
            f"The risk approval of {approval.approved_on} is void since "
            f"{approval.void_since} changed: the risk owner approves the pilot again "
            "before Scale."
        )
