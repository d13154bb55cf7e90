"""Rules on the CRM models: who may receive follow-ups, and a person's our contact."""

import pytest

from crm.models import Associate
from demo.factories import AssociateFactory, CompanyFactory, PersonFactory, UserGroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(group, other_group):
    """Associates around salesperson's group "Salg Oslo" and outsider's "Salg Bergen"."""
    service = UserGroupFactory(name="Kundeservice")
    return {
        "oslo": AssociateFactory(primary_group=group),
        "bergen": AssociateFactory(primary_group=other_group),
        "service": AssociateFactory(primary_group=service),
        # Primary group elsewhere, but also in Oslo (and in Bergen: listed once).
        "oslo_too": AssociateFactory(primary_group=service, other_groups=[group, other_group]),
        "inactive": AssociateFactory(primary_group=group, active=False),
        "inactive_login": AssociateFactory(primary_group=group, user__is_active=False),
        "inactive_elsewhere": AssociateFactory(primary_group=service, active=False),
    }


def test_it_lets_a_sales_manager_assign_to_every_active_associate(
    manager, salesperson, outsider, staff
):
    assert set(Associate.objects.assignable_by(manager)) == {
        manager,
        salesperson,
        outsider,
        staff["oslo"],
        staff["bergen"],
        staff["service"],
        staff["oslo_too"],
    }


def test_it_lets_a_salesperson_assign_within_their_groups_only(salesperson, staff):
    assignable = list(Associate.objects.assignable_by(salesperson))
    assert set(assignable) == {salesperson, staff["oslo"], staff["oslo_too"]}
    assert len(assignable) == len(set(assignable))


def test_it_counts_a_salespersons_other_groups(group, other_group, salesperson, staff):
    travelling = AssociateFactory(
        primary_group=other_group, other_groups=[group], roles=["Salesperson"]
    )
    assignable = list(Associate.objects.assignable_by(travelling))
    assert set(assignable) == {
        travelling,
        salesperson,
        staff["oslo"],
        staff["bergen"],
        staff["oslo_too"],
    }
    assert len(assignable) == len(set(assignable))


def test_it_never_offers_inactive_associates_or_logins(manager, salesperson, staff):
    inactive = {staff["inactive"], staff["inactive_login"], staff["inactive_elsewhere"]}
    for associate in (manager, salesperson):
        assert not inactive & set(Associate.objects.assignable_by(associate))


def test_it_gives_a_person_at_a_company_the_companys_our_contact():
    company_contact, own_contact = AssociateFactory(), AssociateFactory()
    person = PersonFactory(
        company=CompanyFactory(our_contact=company_contact), our_contact=own_contact
    )
    assert person.effective_our_contact == company_contact

    # The company has none: the person's own is still not used.
    person.company.our_contact = None
    person.company.save()
    person.refresh_from_db()
    assert person.effective_our_contact is None


def test_it_gives_a_person_with_no_company_their_own_our_contact():
    own_contact = AssociateFactory()
    assert PersonFactory(company=None, our_contact=own_contact).effective_our_contact == (
        own_contact
    )
    assert PersonFactory(company=None, our_contact=None).effective_our_contact is None
