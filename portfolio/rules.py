"""Who may do what to a pilot: the decision rights of docs/domain.md, written once.

Every signed-in user may read the whole portfolio; the permissions below guard the
writes. Views check them with `pilot_for_user(..., perm=...)`, services call the
predicates themselves, so the rule is the same whichever way a change comes in.

Check them with `rules.has_perm(name, user, obj)`, not `user.has_perm(name, obj)`:
Django's `has_perm` lets every superuser through, and governance admins are
superusers (for the admin site) who take no decision on a pilot: they only name its
people (`portfolio.name_people`).
"""

import rules
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from portfolio.models import Pilot, Role


@rules.predicate
def is_signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


@rules.predicate
def is_executive(user) -> bool:
    return is_signed_in(user) and user.role == Role.EXECUTIVE


def _is(user, user_id: int | None) -> bool:
    # An anonymous user has no id: never matches an empty role of a pilot.
    return is_signed_in(user) and user_id is not None and user.pk == user_id


@rules.predicate
def is_deployment_owner(user, pilot) -> bool:
    return _is(user, pilot.deployment_owner_id)


@rules.predicate
def is_delivery_owner(user, pilot) -> bool:
    return _is(user, pilot.delivery_owner_id)


@rules.predicate
def is_decision_maker(user, pilot) -> bool:
    """The named decision maker, or the deployment owner when nobody else is named."""
    return _is(user, pilot.decision_maker_id or pilot.deployment_owner_id)


@rules.predicate
def is_risk_owner(user, pilot) -> bool:
    return _is(user, pilot.risk_owner_id)


@rules.predicate
def is_owner_or_executive(user) -> bool:
    return is_signed_in(user) and user.role in (Role.OWNER, Role.EXECUTIVE)


@rules.predicate
def is_governance_admin(user) -> bool:
    return is_signed_in(user) and (user.role == Role.ADMIN or user.is_superuser)


@rules.predicate
def is_sponsor(user, pilot) -> bool:
    return _is(user, pilot.sponsor_id)


@rules.predicate
def has_no_deployment_owner(user, pilot) -> bool:
    return pilot is not None and pilot.deployment_owner_id is None


is_pilot_owner = is_deployment_owner | is_delivery_owner
# An ownerless pilot is not left without an editor: the executives keep it up to date
# until a deployment owner is named.
can_edit_pilot = is_pilot_owner | (is_executive & has_no_deployment_owner)
can_decide_pilot = is_decision_maker | is_executive
# Decision rights are named from above the pilot, never by those they hold to account.
can_name_people = (is_executive | is_governance_admin | is_sponsor) & ~is_pilot_owner
# Lowering the risk tier of a started pilot: the risk owner's or an executive's act.
can_lower_risk_tier = (is_risk_owner | is_executive) & ~is_pilot_owner
# The charter form: its answers (editors), its people (those who name them), its tier.
can_edit_charter = can_edit_pilot | can_name_people | can_lower_risk_tier

rules.add_perm("portfolio.view_pilot", is_signed_in)
# Propose a new pilot: owners and executives (reviewers review, admins use the admin).
rules.add_perm("portfolio.add_pilot", is_owner_or_executive)
# The charter, the parts (metric, readings, KPIs, path, conditions, costs), evidence.
rules.add_perm("portfolio.edit_pilot", can_edit_pilot)
# Stage-gate decisions and deferrals.
rules.add_perm("portfolio.decide_pilot", can_decide_pilot)
# The formal approval a high-risk pilot needs before Scale.
rules.add_perm("portfolio.approve_risk", is_risk_owner)
# Name or change the decision maker, risk owner, deployment owner, sponsor, risk tier.
rules.add_perm("portfolio.name_people", can_name_people)
rules.add_perm("portfolio.lower_risk_tier", can_lower_risk_tier)
# Open the charter form (each field then open to those who may change it).
rules.add_perm("portfolio.edit_charter", can_edit_charter)
# Import a pilot inventory from the upload page: executives and governance admins. Also a
# plain rule, so the header tests it without asking the model backend's permission tables.
can_import_pilots = is_executive | is_governance_admin
rules.add_perm("portfolio.import_pilots", can_import_pilots)
rules.add_rule("can_import_pilots", can_import_pilots)

# What a refused user tried, and why not: the 403 page and the services say the same.
# Other apps add their own permissions' (gates/rules.py).
REFUSALS = {
    "portfolio.view_pilot": ("see this pilot", "Sign in to read the portfolio."),
    "portfolio.add_pilot": (
        "propose a pilot",
        "Only owners and executives propose pilots here; governance admins use the administration.",
    ),
    "portfolio.edit_pilot": (
        "change this pilot",
        "Only the pilot's deployment owner or delivery owner edits its charter, parts "
        "and evidence (an executive too while it has no deployment owner).",
    ),
    "portfolio.decide_pilot": (
        "decide on this pilot",
        "Only the pilot's decision maker or an executive decides on it.",
    ),
    "portfolio.approve_risk": (
        "approve this pilot's risk",
        "Only the pilot's named risk owner approves its risk.",
    ),
    "portfolio.name_people": (
        "name this pilot's people",
        "Only an executive, a governance admin or the pilot's sponsor names its decision "
        "maker, risk owner, deployment owner, sponsor and risk tier; its deployment and "
        "delivery owners do not.",
    ),
    "portfolio.lower_risk_tier": (
        "lower this pilot's risk tier",
        "Lowering the risk tier of a started pilot is its risk owner's or an executive's "
        "act, with a reason.",
    ),
    "portfolio.import_pilots": (
        "import a pilot inventory",
        "Only executives and governance admins import an inventory.",
    ),
    "portfolio.edit_charter": (
        "change this pilot",
        "Only the pilot's deployment owner or delivery owner edits its charter; an "
        "executive, a governance admin or its sponsor names its people, and its risk "
        "owner may lower its risk tier.",
    ),
}


def refusal(perm: str) -> str:
    """Why `perm` was refused, in one sentence."""
    return REFUSALS[perm][1]


def require_perm(user, perm: str, obj, title: str) -> None:
    """Raise PermissionDenied (the 403 page, saying what was refused and why) unless
    `user` may `perm` on `obj`; `title` names the thing in the message."""
    if not rules.has_perm(perm, user, obj):
        action, why = REFUSALS[perm]
        raise PermissionDenied(f"You tried to {action} ({title}). {why}")


def pilot_for_user(
    user,
    pilot_id: int,
    *,
    perm: str | None = None,
    queryset: QuerySet[Pilot] | None = None,
) -> Pilot:
    """The pilot `pilot_id` (from `queryset` when given) if `user` may `perm` it.
    Without `perm`, reading: every signed-in user reads the whole portfolio.

    Raises Http404 when there is no such pilot, PermissionDenied when the user may not.
    """
    pilot = get_object_or_404(Pilot.objects.all() if queryset is None else queryset, pk=pilot_id)
    for name in ["portfolio.view_pilot"] + ([perm] if perm else []):
        require_perm(user, name, pilot, pilot.title)
    return pilot
