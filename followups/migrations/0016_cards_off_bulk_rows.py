"""The cards off rows written in bulk: a generation's follow-ups are left out of the
company and person indexes (which it would write all over) and found through two indexes
led by the generation, which it writes at their end (models.of_party). The generations
and rows already there are marked as not in bulk, so their rows stay in the company and
person indexes; every generation made from now on writes in bulk."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0010_spread_across_group'),
        ('followups', '0015_generation_jobs'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='followup',
            name='followups_by_company',
        ),
        migrations.RemoveIndex(
            model_name='followup',
            name='followups_by_person',
        ),
        migrations.AddField(
            model_name='followup',
            name='in_bulk',
            field=models.BooleanField(db_default=False, default=False, editable=False, verbose_name='written in bulk'),
        ),
        # False for the generations already there, True for every one made from now on.
        migrations.AddField(
            model_name='generation',
            name='in_bulk',
            field=models.BooleanField(default=False, editable=False, verbose_name='rows written in bulk'),
        ),
        migrations.AlterField(
            model_name='generation',
            name='in_bulk',
            field=models.BooleanField(default=True, editable=False, verbose_name='rows written in bulk'),
        ),
        migrations.AddIndex(
            model_name='followup',
            index=models.Index(condition=models.Q(('in_bulk', False)), fields=['company'], name='followups_by_company'),
        ),
        migrations.AddIndex(
            model_name='followup',
            index=models.Index(condition=models.Q(('in_bulk', False)), fields=['person'], name='followups_by_person'),
        ),
        migrations.AddIndex(
            model_name='followup',
            index=models.Index(condition=models.Q(('in_bulk', True)), fields=['generation', 'company'], name='followups_bulk_by_company'),
        ),
        migrations.AddIndex(
            model_name='followup',
            index=models.Index(condition=models.Q(('in_bulk', True)), fields=['generation', 'person'], name='followups_bulk_by_person'),
        ),
    ]
