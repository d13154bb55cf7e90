"""Names per language: follow-up types and priorities get a Norwegian name beside the
English one (blank: the English one is shown). Names stay unique case-insensitive per
language, now in every script on SQLite too (UnicodeUpper): the English names, and the
names shown in Norwegian. Migration 0008 names the default rows in Norwegian."""

import crm.models
import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('followups', '0006_done_by_owner_index'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='followuptype',
            name='followups_type_unique_name_ci',
        ),
        migrations.RemoveConstraint(
            model_name='priority',
            name='followups_priority_unique_name_ci',
        ),
        migrations.AddField(
            model_name='followuptype',
            name='name_nb',
            field=models.CharField(blank=True, help_text='Blank: the English name is shown in Norwegian too.', max_length=100, verbose_name='name (Norwegian Bokmål)'),
        ),
        migrations.AddField(
            model_name='priority',
            name='name_nb',
            field=models.CharField(blank=True, help_text='Blank: the English name is shown in Norwegian too.', max_length=50, verbose_name='name (Norwegian Bokmål)'),
        ),
        migrations.AlterField(
            model_name='followuptype',
            name='name',
            field=models.CharField(max_length=100, verbose_name='name (English)'),
        ),
        migrations.AlterField(
            model_name='priority',
            name='name',
            field=models.CharField(max_length=50, verbose_name='name (English)'),
        ),
        migrations.AddConstraint(
            model_name='followuptype',
            constraint=models.UniqueConstraint(crm.models.UnicodeUpper('name'), name='followups_type_unique_name_ci', violation_error_message='Another follow-up type has this English name.'),
        ),
        migrations.AddConstraint(
            model_name='followuptype',
            constraint=models.UniqueConstraint(crm.models.UnicodeUpper(django.db.models.functions.comparison.Coalesce(django.db.models.functions.comparison.NullIf('name_nb', models.Value('')), 'name')), name='followups_type_unique_name_nb_ci', violation_error_message='Another follow-up type has this name in Norwegian.'),
        ),
        migrations.AddConstraint(
            model_name='priority',
            constraint=models.UniqueConstraint(crm.models.UnicodeUpper('name'), name='followups_priority_unique_name_ci', violation_error_message='Another priority has this English name.'),
        ),
        migrations.AddConstraint(
            model_name='priority',
            constraint=models.UniqueConstraint(crm.models.UnicodeUpper(django.db.models.functions.comparison.Coalesce(django.db.models.functions.comparison.NullIf('name_nb', models.Value('')), 'name')), name='followups_priority_unique_name_nb_ci', violation_error_message='Another priority has this name in Norwegian.'),
        ),
    ]
