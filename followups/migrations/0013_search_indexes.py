"""Quick search off indexes: a generation's rows by start date (in place of the
generation foreign key's own index, which it starts with), and the open rows whose text
may differ from their generation's, which a generation never writes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0009_name_match_indexes'),
        ('followups', '0012_bulk_rows_one_index'),
    ]

    operations = [
        migrations.AlterField(
            model_name='followup',
            name='generation',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='followups', to='followups.generation', verbose_name='generation'),
        ),
        migrations.AddIndex(
            model_name='followup',
            index=models.Index(condition=models.Q(('completed', False), models.Q(('generation__isnull', True), models.Q(('updated_at', models.F('created_at')), _negated=True), _connector='OR')), fields=['start_date', 'id'], name='followups_open_edited'),
        ),
        migrations.AddIndex(
            model_name='followup',
            index=models.Index(fields=['generation', 'completed', 'start_date', 'id'], name='followups_by_generation'),
        ),
    ]
