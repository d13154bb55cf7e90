"""Quick search off indexes: companies by the start of the name or by city, persons by
the start of a name or an e-mail address, in any case and script (MatchKey)."""

import crm.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0008_associate_notices'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='company',
            name='crm_company_upper_name',
        ),
        migrations.RemoveIndex(
            model_name='person',
            name='crm_person_upper_last',
        ),
        migrations.RemoveIndex(
            model_name='person',
            name='crm_person_upper_first',
        ),
        migrations.AddIndex(
            model_name='company',
            index=models.Index(crm.models.MatchKey('name'), name='crm_company_name_match'),
        ),
        migrations.AddIndex(
            model_name='company',
            index=models.Index(crm.models.MatchKey('city'), name='crm_company_city_match'),
        ),
        migrations.AddIndex(
            model_name='person',
            index=models.Index(crm.models.MatchKey('last_name'), name='crm_person_last_name_match'),
        ),
        migrations.AddIndex(
            model_name='person',
            index=models.Index(crm.models.MatchKey('first_name'), name='crm_person_first_name_match'),
        ),
        migrations.AddIndex(
            model_name='person',
            index=models.Index(crm.models.MatchKey('email'), name='crm_person_email_match'),
        ),
    ]
