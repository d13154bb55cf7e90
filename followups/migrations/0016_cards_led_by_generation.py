"""The company and person cards off indexes led by the generation, (generation, company)
and (generation, person), in place of the company's and the person's own: a generation,
newer than every row before it, writes them at their end (models.party_parts)."""

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
        migrations.AddIndex(
            model_name='followup',
            index=models.Index(fields=['generation', 'company'], name='followups_company_by_gen'),
        ),
        migrations.AddIndex(
            model_name='followup',
            index=models.Index(fields=['generation', 'person'], name='followups_person_by_gen'),
        ),
    ]
