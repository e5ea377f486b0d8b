"""`manage.py seed_demo`: the demo portfolio shows every stage, stall and signal, the two
reference cases of docs/domain.md, and logins that work; it is repeatable and writes in bulk."""

import re
from collections import Counter, defaultdict
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import F, Sum
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gates.models import GateStatus, Readiness, SignOff, Verdict
from portfolio.demo import CONTACT_CENTRE, FINANCE_ANOMALIES
from portfolio.models import (
    CostLine,
    CostPhase,
    Decision,
    Function,
    Outcome,
    Pilot,
    RiskApproval,
    RiskTier,
    Role,
    Stage,
    StageChange,
    User,
    Waiver,
)
from portfolio.selectors.charter import charter_missing_of, with_charter
from portfolio.selectors.history import cost_totals_on, portfolio_past
from portfolio.selectors.period import period_changes
from portfolio.selectors.stalls import SIGNALS, stall_signals_of, with_stall_state

PILOTS = 20


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """The demo hashes its one password with the real hasher; a fast one keeps tests quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed_demo(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(db) -> str:
    """A small demo portfolio; the command's output."""
    return seed_demo("--pilots", str(PILOTS))


def stall_state() -> list[Pilot]:
    return list(with_stall_state(Pilot.objects.all(), as_of=timezone.localdate()))


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


class Rollback(Exception):
    """Raised to undo a seed inside a test, so the test can seed again."""


def seed_and_undo(*args: str) -> list[tuple]:
    """Seed, note what each pilot looks like, and roll the seed back."""
    try:
        with transaction.atomic():
            seed_demo(*args)
            seen = list(
                Pilot.objects.order_by("reference").values_list(
                    "reference",
                    "title",
                    "stage",
                    "stage_entered_on",
                    "risk_tier",
                    "deployment_owner__email",
                )
            )
            raise Rollback
    except Rollback:
        return seen


def test_it_loads_the_reference_cases_and_the_generated_pilots_in_every_stage(demo):
    # then
    assert Pilot.objects.count() == PILOTS + 2
    assert set(Pilot.objects.values_list("stage", flat=True)) == set(Stage.values)
    references = list(Pilot.objects.order_by("id").values_list("reference", flat=True))
    assert references[:3] == ["PG-0001", "PG-0002", "PG-0003"]
    assert all(re.fullmatch(r"PG-\d{4,}", reference) for reference in references)
    assert f"Loaded the demo portfolio: {PILOTS + 2} pilots" in demo


def test_it_loads_stalled_drifting_and_recently_waiting_pilots(demo):
    # given
    today = timezone.localdate()

    # when
    pilots = stall_state()

    # then
    stalled = [p for p in pilots if p.is_stalled]
    waiting = [p for p in pilots if p.stage == Stage.AWAITING_DECISION]
    assert any(p.days_in_stage(today) > 150 for p in stalled)
    assert any(60 < p.days_in_stage(today) < 150 for p in stalled)
    assert any(not p.is_stalled for p in waiting)
    assert any(p.is_drifting for p in pilots)
    assert all(p.pilot_end_planned < today for p in pilots if p.is_drifting)


def test_it_shows_each_of_the_five_warning_signals(demo):
    # when
    shown = {signal for pilot in stall_state() for signal in stall_signals_of(pilot)}

    # then
    assert shown == set(SIGNALS)


@pytest.mark.parametrize(
    ("title", "unit", "passed", "stalled"),
    [
        (CONTACT_CENTRE, "Customer service", {"ownership", "value"}, True),
        (FINANCE_ANOMALIES, "Finance", {"ownership", "value", "adoption"}, False),
    ],
)
def test_it_builds_the_reference_cases_with_the_gates_domain_md_leaves_open(
    demo, title, unit, passed, stalled
):
    # when
    pilot = next(p for p in stall_state() if p.title == title)
    gates = dict(GateStatus.objects.filter(pilot=pilot).values_list("gate__key", "status"))

    # then
    assert pilot.business_unit.name == unit
    assert pilot.stage == Stage.AWAITING_DECISION
    assert pilot.risk_tier == RiskTier.MEDIUM
    assert pilot.is_stalled is stalled
    assert {key for key, status in gates.items() if status == Readiness.PASSED} == passed
    assert set(gates) == {"ownership", "data", "integration", "value", "adoption", "governance"}
    assert all(gates[key] in (Readiness.OPEN, Readiness.BLOCKED) for key in set(gates) - passed)


def test_it_tells_the_contact_centre_story_in_its_summary_and_objections(demo):
    # given
    pilot = Pilot.objects.get(title=CONTACT_CENTRE)

    # when
    objections = " ".join(
        SignOff.objects.filter(pilot=pilot, verdict=Verdict.OBJECTED).values_list(
            "comment", flat=True
        )
    )

    # then
    assert "knowledge base has no owner" in pilot.summary
    assert "copy and paste" in objections
    assert "customers be told" in objections
    assert pilot.deferrals.count() == 2


def test_it_gives_every_scaled_high_risk_pilot_its_risk_owner_approval_first(demo):
    # given
    scales = Decision.objects.filter(
        outcome=Outcome.SCALE, pilot__risk_tier=RiskTier.HIGH
    ).select_related("pilot")

    # then
    assert scales.exists()
    for scale in scales:
        assert scale.pilot.risk_owner_id is not None
        assert RiskApproval.objects.filter(
            pilot=scale.pilot,
            approved_by_id=scale.pilot.risk_owner_id,
            approved_on__lte=scale.decided_on,
        ).exists(), scale.pilot.reference


def test_it_records_a_stage_history_that_ends_on_the_current_stage(demo):
    # given
    history = defaultdict(list)
    for change in StageChange.objects.order_by("pilot_id", "changed_on", "id"):
        history[change.pilot_id].append(change)

    # then
    for pilot in Pilot.objects.all():
        changes = history[pilot.id]
        assert changes[0].from_stage == "", pilot.reference
        for before, after in zip(changes, changes[1:], strict=False):
            assert after.from_stage == before.to_stage, pilot.reference
        assert changes[-1].to_stage == pilot.stage, pilot.reference
        assert changes[-1].changed_on == pilot.stage_entered_on, pilot.reference


def test_it_backs_each_closed_or_scaled_stage_with_its_decision(demo):
    # given
    expected = {
        Stage.SCALING: Outcome.SCALE,
        Stage.IN_PRODUCTION: Outcome.SCALE,
        Stage.STOPPED: Outcome.STOP,
        Stage.RESEARCH: Outcome.RESEARCH,
    }

    # then
    for pilot in Pilot.objects.filter(stage__in=list(expected)):
        decisions = list(pilot.decisions.order_by("decided_on", "id"))
        assert decisions[-1].outcome == expected[pilot.stage], pilot.reference
        assert decisions[-1].decided_on <= pilot.stage_entered_on, pilot.reference
        assert decisions[-1].rationale
        for earlier, later in zip(decisions, decisions[1:], strict=False):
            assert later.supersedes_id == earlier.id, pilot.reference
    assert Pilot.objects.filter(stage=Stage.PILOTING, decisions__outcome=Outcome.REDESIGN).exists()
    assert Decision.objects.filter(supersedes__isnull=False).exists()


def test_it_measures_most_live_pilots_after_their_go_live(demo):
    # given
    live = Pilot.objects.filter(stage=Stage.IN_PRODUCTION)

    # when
    measured = live.filter(success_metric__readings__measured_on__gt=F("go_live_on")).distinct()

    # then
    assert all(pilot.go_live_on == pilot.stage_entered_on for pilot in live)
    assert live.count() / 2 < measured.count()


def test_it_leaves_a_few_charters_incomplete_as_an_imported_inventory_would(demo):
    # given
    started = with_charter(Pilot.objects.exclude(stage=Stage.PROPOSED))

    # when
    missing = [charter_missing_of(pilot) for pilot in started]

    # then
    complete = sum(1 for questions in missing if not questions)
    assert 0 < len(missing) - complete < complete


def test_it_costs_the_production_transition_above_the_pilot(demo):
    # when
    totals = dict(CostLine.objects.values_list("phase").annotate(total=Sum("amount")))

    # then
    assert set(totals) == set(CostPhase.values)
    assert totals[CostPhase.TRANSITION] > 2 * totals[CostPhase.PILOT]


def test_it_names_one_reviewer_per_function_and_an_admin_who_can_use_the_admin_site(demo):
    # when
    reviewers = list(User.objects.filter(role=Role.REVIEWER).values_list("function", flat=True))
    admin = User.objects.get(role=Role.ADMIN)

    # then
    assert sorted(reviewers) == sorted(Function.values)
    assert User.objects.filter(role=Role.EXECUTIVE).count() >= 2
    assert User.objects.filter(role=Role.OWNER).count() >= 8
    assert admin.is_staff and admin.is_superuser


def test_it_prints_demo_logins_that_sign_in(demo):
    # given
    password = re.search(r"password (\S+):", demo).group(1)
    emails = re.findall(r"\S+@\S+", demo)

    # when
    request = RequestFactory().post("/accounts/login/")
    signed_in = [authenticate(request, email=email, password=password) for email in emails]

    # then
    assert len(emails) == 1 + 1 + len(Function.values) + 1
    assert all(user is not None for user in signed_in)
    roles = [user.role for user in signed_in]
    assert roles.count(Role.EXECUTIVE) == 1
    assert roles.count(Role.ADMIN) == 1
    owner = next(user for user in signed_in if user.role == Role.OWNER)
    assert Pilot.objects.get(title=CONTACT_CENTRE).deployment_owner == owner


def test_it_writes_nothing_when_the_demo_is_loaded_and_if_empty_is_given(demo):
    # given
    before = row_counts()

    # when
    out = seed_demo("--if-empty")

    # then
    assert row_counts() == before
    assert out.startswith("The demo portfolio is already loaded.")
    assert "pilotgate-demo" in out
    assert "@pilotgate.example" in out


def test_it_refuses_to_load_over_existing_pilots_without_if_empty(demo):
    # given
    before = row_counts()

    # when
    with pytest.raises(CommandError, match="already holds pilots"):
        seed_demo()

    # then
    assert row_counts() == before


def test_it_loads_into_an_empty_database_when_if_empty_is_given(db):
    # when
    out = seed_demo("--if-empty", "--pilots", "0")

    # then
    assert Pilot.objects.count() == 2
    assert "Loaded the demo portfolio" in out


def test_it_gives_the_same_portfolio_for_the_same_seed(db):
    # when
    first = seed_and_undo("--pilots", str(PILOTS), "--seed", "7")
    again = seed_and_undo("--pilots", str(PILOTS), "--seed", "7")
    other = seed_and_undo("--pilots", str(PILOTS), "--seed", "8")

    # then
    assert len(first) == PILOTS + 2
    assert again == first
    assert other != first


@pytest.mark.parametrize("value", ["-1", "many", "2.5", ""])
def test_it_refuses_a_bad_number_of_pilots(db, value):
    # when
    with pytest.raises(CommandError, match="--pilots must be"):
        seed_demo("--pilots", value)

    # then
    assert not User.objects.exists()


def test_it_refuses_a_bad_seed(db):
    with pytest.raises(CommandError, match="--seed must be a whole number"):
        seed_demo("--seed", "abc")


def statements_to_seed(pilots: int) -> Counter[str]:
    """How many statements of each kind (SELECT, INSERT, ...) seeding takes."""
    with CaptureQueriesContext(connection) as context:
        seed_and_undo("--pilots", str(pilots))
    return Counter(query["sql"].split()[0].upper() for query in context.captured_queries)


def test_it_does_not_grow_the_number_of_queries_with_the_number_of_pilots(db):
    # when
    small, large = statements_to_seed(20), statements_to_seed(120)

    # then: 100 more pilots (some 3,000 rows) only fill a few more INSERT batches, which
    # SQLite caps at 999 parameters; an INSERT per pilot would add 100 or more...
    extra_inserts = large.pop("INSERT") - small.pop("INSERT")
    assert 0 <= extra_inserts <= 40
    # ...and reads, updates and savepoints do not depend on the number of pilots at all.
    assert large == small


def test_it_gives_every_generated_decision_its_snapshot_and_some_scales_a_waiver(db):
    # when
    call_command("seed_demo", "--pilots", "60", stdout=StringIO())

    # then
    decisions = Decision.objects.exclude(pilot__title__in=[CONTACT_CENTRE, FINANCE_ANOMALIES])
    assert decisions.exists() and not decisions.filter(snapshot={}).exists()
    stopped = decisions.filter(outcome=Outcome.STOP).first()
    assert stopped.snapshot["metric"]["target"] and stopped.snapshot["as_of"]
    waiver = Waiver.objects.select_related("decision").first()
    assert waiver.decision.outcome == Outcome.SCALE and waiver.gate.key == "governance"
    assert waiver.decision.snapshot["waivers"][0]["condition"] == waiver.condition


def test_it_gives_the_portfolio_two_years_of_history(db):
    # given: the demo of `make run`
    seed_demo("--pilots", "60")
    today = timezone.localdate()
    past = portfolio_past()
    year_ago, two_years_ago = today - timedelta(days=365), today - timedelta(days=700)
    # then: pilots started in most months of the last two years, decisions spread over them
    started = {p.started_on.strftime("%Y-%m") for p in past.pilots if p.started_on}
    assert len(started) >= 16
    decided = {on.strftime("%Y-%m") for p in past.pilots for on, _ in p.decisions}
    assert len(decided) >= 12
    # stalls begun and cleared, costs committed over time
    changes = period_changes(past, start=two_years_ago, end=today)
    assert changes["became_stalled"] and changes["cleared"]
    then, now = cost_totals_on(past.costs, [year_ago, today])
    assert 0 < then["totals"]["pilot"] < now["totals"]["pilot"]
    # and the two reference cases still await their decision
    reference_cases = Pilot.objects.filter(title__in=[CONTACT_CENTRE, FINANCE_ANOMALIES])
    assert set(reference_cases.values_list("stage", flat=True)) == {"awaiting_decision"}


def test_the_readme_names_exactly_the_logins_it_prints(demo):
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    named = set(re.findall(r"[\w.]+@pilotgate\.example", readme))

    assert named == set(re.findall(r"\S+@pilotgate\.example", demo))
