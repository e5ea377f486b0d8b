"""Seed the six production-readiness gates and the checklist of docs/domain.md.

Low-risk pilots take the fast track: only the required criteria of gates 1, 3 and 4
apply to them. Medium and high risk pilots take all six gates.
"""

from django.db import migrations

GATES = [
    (
        "ownership", 1, "Business ownership", "organisational",
        "Is a business owner accountable for process outcomes, adoption and operational "
        "decisions after launch?",
        [
            ("A named deployment owner is accountable for process outcomes and adoption "
             "after launch", True, "business"),
            ("Decision rights are written: who takes the go-live decision, who may pause or "
             "stop, who accepts the risk", True, "business"),
            ("A delivery owner drives integration, compliance review and production KPIs "
             "after the pilot champion moves on", False, "operations"),
        ],
    ),
    (
        "data", 2, "Production data", "technical",
        "Does the pilot run on production-representative data, with clear ownership, "
        "quality, access and security rules (not a hand-made export)?",
        [
            ("Runs on production-representative data, not a hand-made export", True, "data"),
            ("Data ownership, quality and access rules are written down", True, "data"),
            ("Security clearance", True, "security"),
            ("Data privacy compliance", True, "legal"),
        ],
    ),
    (
        "integration", 3, "Workflow integration", "technical",
        "Is the AI embedded in the real process: systems, work queues, decision points, "
        "escalation and fallback (not a tool beside the process, not mocked connections)?",
        [
            ("Embedded in the real systems and work queues, with no mocked connections",
             True, "it"),
            ("Integration stability", True, "it"),
            ("Escalation procedure for AI errors", True, "operations"),
            ("Rollback procedure", True, "it"),
        ],
    ),
    (
        "value", 4, "Value measurement", "technical",
        "Is there a baseline, a value hypothesis, a measurement plan, and written "
        "scale/stop criteria?",
        [
            ("Baseline measured before the pilot", True, ""),
            ("Value hypothesis and measurement plan", True, "finance"),
            ("Scale and stop criteria written before the decision", True, "business"),
            ("An evaluation suite built during the pilot becomes the production quality gate",
             True, "data"),
        ],
    ),
    (
        "adoption", 5, "Adoption and change", "organisational",
        "Do users, managers and process owners have work standards, training, a feedback "
        "loop and time to adapt? Was there a working session with the people who will use "
        "it, before deployment?",
        [
            ("Work standards for the people who use the AI's output", True, "operations"),
            ("Team training completed", True, "hr"),
            ("A working session with the people who will use it, before deployment", True,
             "operations"),
            ("A feedback loop and time to adapt are planned", False, ""),
        ],
    ),
    (
        "governance", 6, "Governance and risk", "organisational",
        "Is there a risk classification, documentation, monitoring, named control owners "
        "and post-launch accountability?",
        [
            ("Risk classification recorded", True, "risk"),
            ("Documentation of the system, its data and its limits", True, "risk"),
            ("Monitoring of output quality", True, "data"),
            ("Named control owners and post-launch accountability", True, "risk"),
        ],
    ),
]

FAST_TRACK_GATES = {"ownership", "integration", "value"}


def seed(apps, schema_editor):
    Gate = apps.get_model("gates", "Gate")
    Criterion = apps.get_model("gates", "Criterion")
    for key, number, name, kind, question, criteria in GATES:
        gate = Gate.objects.create(key=key, number=number, name=name, kind=kind, question=question)
        for position, (text, required, function) in enumerate(criteria, start=1):
            Criterion.objects.create(
                gate=gate,
                text=text,
                required=required,
                function=function,
                applies_to_low=required and key in FAST_TRACK_GATES,
                applies_to_medium=True,
                applies_to_high=True,
                position=position,
            )


def unseed(apps, schema_editor):
    apps.get_model("gates", "Gate").objects.filter(key__in=[g[0] for g in GATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("gates", "0002_initial")]

    operations = [migrations.RunPython(seed, unseed)]
