"""Factories for tests. Pilots are created through the services, so every pilot a
test sees has its stage history and gate statuses like a real one."""

from datetime import date

import factory

from gates import services as gate_services
from gates.models import Criterion, Gate
from gates.selectors import current_version
from portfolio.forms import PilotForm
from portfolio.models import BusinessUnit, ConditionDecision, Pilot, Role, User
from portfolio.selectors.decisions import decision_version, scale_gaps
from portfolio.services.decisions import WaiverInput
from portfolio.services.lifecycle import pilot_stage_move
from portfolio.services.parts import condition_decide, kpi_add, metric_set, path_item_add
from portfolio.services.pilots import pilot_create, pilot_update


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"User {n}")
    role = Role.OWNER
    function = "business"
    password = factory.django.Password("correct horse battery")


class BusinessUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessUnit
        django_get_or_create = ("name",)

    name = "Customer service"


def make_pilot(**fields):
    fields.setdefault("title", "Contact-centre assistant")
    fields.setdefault("business_unit", BusinessUnitFactory())
    return pilot_create(**fields)


def make_chartered_pilot(*, owner: User, **fields):
    """A proposed pilot whose charter answers all three questions, with its dates (by
    default far enough out that it never drifts)."""
    fields.setdefault("pilot_start", date(2020, 1, 1))
    fields.setdefault("pilot_end_planned", date(2099, 12, 31))
    pilot = make_pilot(deployment_owner=owner, **fields)
    metric_set(
        pilot=pilot,
        name="Hours of manual review per week",
        unit="hours",
        baseline=120,
        target=60,
        direction="decrease",
    )
    path_item_add(pilot=pilot, kind="system", description="Contact-centre platform", owner=owner)
    return pilot


def make_awaiting_pilot(*, owner: User, entered_on: date, **fields):
    fields.setdefault("stage_entered_on", entered_on)
    pilot = make_chartered_pilot(owner=owner, **fields)
    pilot_stage_move(pilot=pilot, to_stage="piloting", by=owner, on=entered_on)
    pilot_stage_move(pilot=pilot, to_stage="awaiting_decision", by=owner, on=entered_on)
    return pilot


def gate(key: str) -> Gate:
    return Gate.objects.get(key=key)


def criteria(key: str, *, version=None) -> list[Criterion]:
    """The criteria of a gate in a checklist version (the current one by default)."""
    return list(Criterion.objects.filter(gate__key=key, version=version or current_version()))


def reviewer(function: str) -> User:
    """A stakeholder reviewer from one function (one per function: get-or-create by email)."""
    return UserFactory(
        email=f"{function}.reviewer@example.com",
        name=f"{function.title()} Reviewer",
        role=Role.REVIEWER,
        function=function,
    )


def criterion_meet(*, pilot, criterion: Criterion, by: User) -> None:
    """Make one criterion met for a pilot: accepted evidence and, where the criterion
    belongs to a function, that function's sign-off, both given by a reviewer of the
    criterion's function (of the business where no function owns it)."""
    evidence = gate_services.evidence_submit(
        pilot=pilot, criterion=criterion, by=by, text=f"Evidence for {criterion.text}"
    )
    gate_services.evidence_review(
        evidence=evidence, by=reviewer(criterion.function or "business"), accept=True
    )
    if criterion.function:
        gate_services.signoff_record(
            pilot=pilot,
            criterion=criterion,
            by=reviewer(criterion.function),
            verdict="signed_off",
        )


def gate_meet(*, pilot, key: str, by: User) -> None:
    """Meet every required criterion of a gate that applies to the pilot's risk tier."""
    for criterion in criteria(key):
        if criterion.required and criterion.applies_to(pilot.risk_tier):
            criterion_meet(pilot=pilot, criterion=criterion, by=by)


def charter_data(pilot, **changes) -> dict:
    """The pilot page's charter form as it shows the pilot (with its version), with
    `changes`: what a browser posts to save the charter."""
    form = PilotForm(instance=Pilot.objects.get(pk=pilot.pk), prefix="charter")
    data = {name: form[name].value() for name in form.fields}
    data.update(changes)
    return {f"charter-{name}": "" if value is None else value for name, value in data.items()}


def close_out(pilot) -> None:
    """Answer a pilot's close-out questions: a delivery owner, a production KPI with
    its horizon, every pilot condition decided (made permanent)."""
    if pilot.delivery_owner_id is None:
        delivery = UserFactory(email="delivery@example.com", name="Dana Delivery")
        pilot_update(pilot=pilot, delivery_owner=delivery)
    if not pilot.production_kpis.exists():
        kpi_add(pilot=pilot, kind="business", name="Hours of manual review", horizon_months=12)
    for condition in pilot.conditions.filter(decision=ConditionDecision.UNDECIDED):
        condition_decide(condition=condition, decision=ConditionDecision.PERMANENT)


WAIVER_DUE = date(2099, 12, 31)


def scale_waivers(pilot, *, owner: User, due_on: date = WAIVER_DUE) -> list[WaiverInput]:
    """A waiver for every gate (or open objection) a Scale of the pilot needs one for."""
    return [
        WaiverInput(
            key=need.key,
            reason=f"Accepted risk on {need.gate.name}",
            condition=f"Close {need.gate.name} before go-live",
            owner=owner,
            due_on=due_on,
        )
        for need in scale_gaps(pilot).waivers
    ]


def scale_ready(pilot, *, by: User) -> dict:
    """Make a pilot's Scale possible without meeting its criteria: the close-out
    answered and a waiver for each open gate, owned by `by`. The keyword arguments to
    give `decision_record` with the Scale."""
    close_out(pilot)
    return {"waivers": scale_waivers(pilot, owner=by)}


def decision_data(pilot, *, waivers: list[WaiverInput] = (), **fields) -> dict:
    """What the pilot page's decision form posts: the stage and version of the pilot it
    is shown for (the pilot as it is now), the `fields` given, and each waiver."""
    current = Pilot.objects.get(pk=pilot.pk)
    data = {"stage": current.stage, "version": decision_version(current), **fields}
    for waiver in waivers:
        data |= {
            f"{waiver.key}-reason": waiver.reason,
            f"{waiver.key}-condition": waiver.condition,
            f"{waiver.key}-owner": waiver.owner.pk if waiver.owner else "",
            f"{waiver.key}-due_on": waiver.due_on.isoformat() if waiver.due_on else "",
        }
    return data
