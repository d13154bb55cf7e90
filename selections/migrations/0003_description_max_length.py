"""Selection descriptions hold at most 2,000 characters (checked by forms and admin; no
change to the column)."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("selections", "0002_dynamic")]

    operations = [
        migrations.AlterField(
            model_name="selection",
            name="description",
            field=models.TextField(
                blank=True,
                validators=[django.core.validators.MaxLengthValidator(2000)],
                verbose_name="description",
            ),
        ),
    ]
