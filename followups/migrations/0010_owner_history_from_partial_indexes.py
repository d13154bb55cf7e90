"""An associate's history list from the open follow-ups' partial index and a completed
twin, merged, instead of an index over all their follow-ups that every generation wrote
(the completed twin is written only by generations created completed)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0007_project_name_match_every_language'),
        ('followups', '0009_checked_once_per_generation'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='followup',
            name='followups_owner_history',
        ),
        migrations.AddIndex(
            model_name='followup',
            index=models.Index(condition=models.Q(('completed', True)), fields=['owner', 'start_date', 'id'], name='followups_done_by_owner_start'),
        ),
    ]
