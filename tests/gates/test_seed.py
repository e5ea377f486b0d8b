"""The gates and checklist seeded at install (gates/migrations/0003_seed_default_gates.py)."""

import pytest

from gates.models import Criterion, Gate

# The production-readiness checklist of docs/domain.md, each item a criterion of its gate.
CHECKLIST = [
    ("Security clearance", "data"),
    ("Data privacy compliance", "data"),
    ("Integration stability", "integration"),
    ("Team training completed", "adoption"),
    ("Escalation procedure for AI errors", "integration"),
    ("Monitoring of output quality", "governance"),
    ("Rollback procedure", "integration"),
    ("evaluation suite", "value"),
]


def test_it_seeds_the_six_gates_in_order(db):
    gates = list(Gate.objects.order_by("number").values_list("number", "key", "name", "kind"))

    assert gates == [
        (1, "ownership", "Business ownership", "organisational"),
        (2, "data", "Production data", "technical"),
        (3, "integration", "Workflow integration", "technical"),
        (4, "value", "Value measurement", "technical"),
        (5, "adoption", "Adoption and change", "organisational"),
        (6, "governance", "Governance and risk", "organisational"),
    ]


def test_it_seeds_each_gate_with_its_question_and_required_criteria(db):
    for gate in Gate.objects.all():
        assert gate.question.endswith("?"), gate.key
        assert gate.criteria.filter(required=True).exists(), gate.key


@pytest.mark.parametrize("text, gate_key", CHECKLIST)
def test_it_seeds_the_production_readiness_checklist(db, text, gate_key):
    criterion = Criterion.objects.get(text__icontains=text)

    assert criterion.gate.key == gate_key
    assert criterion.required is True
    assert criterion.function != ""
    assert (criterion.applies_to_medium, criterion.applies_to_high) == (True, True)


def test_it_applies_every_criterion_to_medium_and_high_risk(db):
    assert Criterion.objects.count() > 0
    assert not Criterion.objects.filter(applies_to_medium=False).exists()
    assert not Criterion.objects.filter(applies_to_high=False).exists()


def test_it_applies_only_the_required_criteria_of_gates_1_3_4_to_low_risk(db):
    low = set(Criterion.objects.filter(applies_to_low=True).values_list("id", flat=True))
    expected = set(
        Criterion.objects.filter(required=True, gate__number__in=[1, 3, 4]).values_list(
            "id", flat=True
        )
    )

    assert low == expected
    assert expected


def test_it_numbers_the_criteria_of_each_gate_from_one(db):
    for gate in Gate.objects.all():
        positions = list(gate.criteria.values_list("position", flat=True))
        assert positions == list(range(1, len(positions) + 1)), gate.key
