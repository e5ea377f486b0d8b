import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("gates", "0007_checklist_version_one")]

    operations = [
        migrations.AlterField(
            model_name="criterion",
            name="version",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="criteria",
                to="gates.checklistversion",
            ),
        ),
        migrations.AlterField(
            model_name="criterion",
            name="key",
            field=models.SlugField(
                help_text="The same criterion in every version: evidence and sign-offs carry "
                "over by it",
                max_length=60,
            ),
        ),
    ]
