from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Company, Person


class MemberSearchForm(forms.Form):
    q = forms.CharField(label=_("Find companies and persons"), max_length=100, required=False)


class MemberAddForm(forms.Form):
    """Exactly one of company or person."""

    company = forms.ModelChoiceField(queryset=Company.objects.all(), required=False)
    person = forms.ModelChoiceField(
        queryset=Person.objects.select_related("company"), required=False
    )

    def clean(self):
        data = super().clean()
        if "company" in self.errors or "person" in self.errors:
            return data  # an unknown id: the field's error says so, not "choose one"
        if bool(data.get("company")) == bool(data.get("person")):
            raise forms.ValidationError(_("Choose one company or one person to add."))
        return data
