"""The checklist as it stood becomes version 1, published; every pilot follows it. Each
criterion gets its key (its gate and position), and the criteria whose evidence ages get
their validity period: security clearance and data privacy compliance 12 months,
integration stability 6."""

from django.db import migrations
from django.utils.text import slugify
from django.utils import timezone

VALIDITY_MONTHS = {
    "Security clearance": 12,
    "Data privacy compliance": 12,
    "Integration stability": 6,
}


def version_one(apps, schema_editor):
    ChecklistVersion = apps.get_model("gates", "ChecklistVersion")
    Criterion = apps.get_model("gates", "Criterion")
    Pilot = apps.get_model("portfolio", "Pilot")
    version = ChecklistVersion.objects.create(
        number=1, status="published", published_at=timezone.now()
    )
    keys = set()
    criteria = Criterion.objects.select_related("gate").order_by("gate__number", "position", "id")
    for criterion in criteria:
        key = slugify(criterion.text)[:50] or criterion.gate.key
        if key in keys:
            key = f"{key[:45]}-{criterion.id}"
        keys.add(key)
        criterion.version = version
        criterion.key = key
        criterion.validity_months = VALIDITY_MONTHS.get(criterion.text)
        criterion.save(update_fields=["version", "key", "validity_months"])
    Pilot.objects.update(checklist_version=version)


class Migration(migrations.Migration):
    dependencies = [
        ("gates", "0006_checklist_versions"),
        ("portfolio", "0009_checklist_versions"),
    ]

    operations = [migrations.RunPython(version_one, migrations.RunPython.noop)]
