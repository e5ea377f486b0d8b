import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("gates", "0008_criterion_version_required"),
    ]

    operations = [
        migrations.AddField(
            model_name="gatestatus",
            name="updated_at",
            field=models.DateTimeField(
                auto_now=True, db_index=True, default=django.utils.timezone.now
            ),
            preserve_default=False,
        ),
    ]
