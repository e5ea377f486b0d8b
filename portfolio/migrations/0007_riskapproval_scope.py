from decimal import Decimal

from django.db import migrations, models


def _number(value):
    return None if value is None else format(Decimal(value).normalize(), "f")


def record_scope(apps, schema_editor):
    """The approvals recorded so far approved the pilot as it is now: they hold until
    its risk tier, risk owner or scope next changes."""
    RiskApproval = apps.get_model("portfolio", "RiskApproval")
    SuccessMetric = apps.get_model("portfolio", "SuccessMetric")
    for approval in RiskApproval.objects.select_related("pilot"):
        pilot = approval.pilot
        metric = SuccessMetric.objects.filter(pilot_id=pilot.id).first()
        scope = {
            "risk_tier": pilot.risk_tier,
            "risk_owner": pilot.risk_owner_id,
            "summary": pilot.summary.strip(),
            "metric_name": metric.name.strip() if metric else None,
            "metric_baseline": _number(metric.baseline) if metric else None,
            "metric_target": _number(metric.target) if metric else None,
            "metric_direction": metric.direction if metric else None,
        }
        RiskApproval.objects.filter(pk=approval.pk).update(scope=scope)


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0006_waivers_and_snapshots"),
    ]

    operations = [
        migrations.AddField(
            model_name="riskapproval",
            name="scope",
            field=models.JSONField(
                default=dict, editable=False, help_text="What was approved: see risk_scope_of"
            ),
        ),
        migrations.RunPython(record_scope, migrations.RunPython.noop),
    ]
