from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Associate, Company, Person

from .models import DESCRIPTION_MAX_LENGTH, Criterion, Selection

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class MemberSearchForm(forms.Form):
    q = forms.CharField(label=_("Find companies and persons"), max_length=100, required=False)


class MemberAddForm(forms.Form):
    """Exactly one of company or person."""

    company = forms.ModelChoiceField(queryset=Company.objects.all(), required=False)
    person = forms.ModelChoiceField(
        queryset=Person.objects.select_related("company"), required=False
    )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if "company" in self.errors or "person" in self.errors:
            return data  # an unknown id: the field's error says so, not "choose one"
        if bool(data.get("company")) == bool(data.get("person")):
            raise forms.ValidationError(_("Choose one company or one person to add."))
        return data


class SelectionForm(forms.ModelForm):
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": _(
                "Keep the description to %(limit_value)s characters (it has %(show_value)s)."
            ),
        },
    )

    class Meta:
        model = Selection
        fields = ["name", "kind", "visibility", "description"]
        widgets = {"kind": forms.RadioSelect}
        error_messages = {"name": {"required": _("Give the selection a name.")}}


class CriterionForm(forms.Form):
    """One criterion of a dynamic selection. The value's meaning depends on the field;
    an associate in "Our contact is" must be one this user may pick."""

    field = forms.ChoiceField(
        label=_("Criterion"),
        choices=Criterion.Field.choices,
        error_messages={
            "required": _("Choose a criterion."),
            "invalid_choice": _("Choose a criterion from the list."),
        },
    )
    value = forms.CharField(label=_("Value"), max_length=200, required=False, strip=True)

    YES_NO: list[tuple[str, StrOrPromise]] = [("yes", _("yes")), ("no", _("no"))]

    def __init__(self, *args, associate: Associate, **kwargs):
        super().__init__(*args, **kwargs)
        self.associate = associate

    def contact_choices(self) -> list[tuple[str, StrOrPromise]]:
        others = Associate.objects.assignable_by(self.associate).select_related("user")
        return [("me", _("me")), ("none", _("nobody")), *((str(a.pk), a.name) for a in others)]

    def value_choices(self) -> list[tuple[str, StrOrPromise]] | None:
        field = self["field"].value()
        if field == Criterion.Field.OUR_CONTACT:
            return self.contact_choices()
        if field in (Criterion.Field.COMPANY_ACTIVE, Criterion.Field.PERSON_HAS_EMAIL):
            return self.YES_NO
        return None

    def clean(self):
        super().clean()
        data = self.cleaned_data
        field, value = data.get("field"), (data.get("value") or "").strip()
        if not field:
            return data
        F = Criterion.Field
        if field == F.OUR_CONTACT:
            if value not in {key for key, _label in self.contact_choices()}:
                self.add_error(
                    "value", _("Choose yourself, nobody, or an associate from the list.")
                )
        elif field in (F.COMPANY_ACTIVE, F.PERSON_HAS_EMAIL):
            if value not in {"yes", "no"}:
                self.add_error("value", _("Choose yes or no."))
        elif field == F.PERSON_RANK_AT_MOST:
            if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 1000:
                self.add_error("value", _("Enter a whole number from 1 (the first contact) up."))
        elif not value:
            self.add_error("value", _("Enter the text to look for."))
        data["value"] = value
        return data
