import pytest
from django.db import IntegrityError

from demo.factories import CompanyFactory, PersonFactory, SelectionFactory
from selections import services
from selections.models import SelectionMember

pytestmark = pytest.mark.django_db


def rows(selection):
    return list(selection.members.order_by("id").values_list("company_id", "person_id"))


def test_it_adds_a_company_once():
    selection, company = SelectionFactory(), CompanyFactory()
    assert services.selection_member_add_company(selection=selection, company=company)
    assert not services.selection_member_add_company(selection=selection, company=company)
    assert rows(selection) == [(company.pk, None)]


def test_it_replaces_the_company_only_row_with_a_person_at_that_company():
    selection = SelectionFactory()
    person = PersonFactory()
    other = CompanyFactory()
    services.selection_member_add_company(selection=selection, company=person.company)
    services.selection_member_add_company(selection=selection, company=other)

    assert services.selection_member_add_person(selection=selection, person=person)

    assert rows(selection) == [(other.pk, None), (person.company_id, person.pk)]


def test_it_does_not_add_a_company_already_represented_by_a_person():
    selection, person = SelectionFactory(), PersonFactory()
    services.selection_member_add_person(selection=selection, person=person)
    assert not services.selection_member_add_company(selection=selection, company=person.company)
    assert rows(selection) == [(person.company_id, person.pk)]


def test_it_adds_a_person_once_and_a_person_without_company():
    selection = SelectionFactory()
    loner = PersonFactory(company=None)
    assert services.selection_member_add_person(selection=selection, person=loner)
    assert not services.selection_member_add_person(selection=selection, person=loner)
    assert rows(selection) == [(None, loner.pk)]


def test_it_keeps_insertion_order():
    selection = SelectionFactory()
    people = [PersonFactory() for _ in range(3)]
    for person in reversed(people):
        services.selection_member_add_person(selection=selection, person=person)
    assert [p for _c, p in rows(selection)] == [p.pk for p in reversed(people)]


def test_the_database_refuses_duplicate_members():
    selection, person = SelectionFactory(), PersonFactory()
    SelectionMember.objects.create(selection=selection, person=person, company=person.company)
    with pytest.raises(IntegrityError):
        SelectionMember.objects.create(selection=selection, person=person, company=person.company)


def test_the_database_refuses_duplicate_company_only_members():
    selection, company = SelectionFactory(), CompanyFactory()
    SelectionMember.objects.create(selection=selection, company=company)
    with pytest.raises(IntegrityError):
        SelectionMember.objects.create(selection=selection, company=company)


def test_the_database_refuses_an_empty_member():
    with pytest.raises(IntegrityError):
        SelectionMember.objects.create(selection=SelectionFactory())


def test_it_removes_only_members_of_its_own_selection():
    a, b = SelectionFactory(), SelectionFactory()
    company = CompanyFactory()
    services.selection_member_add_company(selection=b, company=company)
    member = b.members.get()
    assert not services.selection_member_remove(selection=a, member_id=member.pk)
    assert services.selection_member_remove(selection=b, member_id=member.pk)
    assert not b.members.exists()
