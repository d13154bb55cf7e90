"""factory-boy factories for every model: used by the tests and by `seed_demo`."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.utils import timezone

from crm.models import Associate, Company, Person, Project, UserGroup
from followups.models import FollowUp, FollowUpType, Priority
from selections.models import Selection, SelectionMember, Visibility

DEMO_PASSWORD = "demo-pass-123"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="no_NO")
    last_name = factory.Faker("last_name", locale="no_NO")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(DEMO_PASSWORD)


class UserGroupFactory(factory.django.DjangoModelFactory[UserGroup]):
    class Meta:
        model = UserGroup
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Group {n}")


class AssociateFactory(factory.django.DjangoModelFactory[Associate]):
    class Meta:
        model = Associate
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    primary_group = factory.SubFactory(UserGroupFactory)
    active = True

    @factory.post_generation
    def roles(associate: Associate, create, extracted, **kwargs):
        """AssociateFactory(roles=["Salesperson"]) puts the login in those roles."""
        if create and extracted:
            associate.user.groups.add(*[Group.objects.get(name=name) for name in extracted])

    @factory.post_generation
    def other_groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.other_groups.add(*extracted)


class CompanyFactory(factory.django.DjangoModelFactory[Company]):
    class Meta:
        model = Company

    name = factory.Faker("company", locale="no_NO")
    city = factory.Faker("city", locale="no_NO")
    category = factory.Iterator(["Customer", "Prospect", "Partner", "Supplier"])
    our_contact = None
    active = True


class PersonFactory(factory.django.DjangoModelFactory[Person]):
    class Meta:
        model = Person

    first_name = factory.Faker("first_name", locale="no_NO")
    last_name = factory.Faker("last_name", locale="no_NO")
    email = factory.LazyAttributeSequence(
        lambda p, n: f"{p.first_name}.{p.last_name}.{n}".lower().replace(" ", "") + "@example.no"
    )
    phone = factory.Faker("phone_number", locale="no_NO")
    company = factory.SubFactory(CompanyFactory)
    rank = 1
    our_contact = None


class ProjectFactory(factory.django.DjangoModelFactory[Project]):
    class Meta:
        model = Project

    name = factory.Faker("catch_phrase")
    number = factory.Sequence(lambda n: f"P-{n + 1000}")
    active = True


class SelectionFactory(factory.django.DjangoModelFactory[Selection]):
    class Meta:
        model = Selection

    name = factory.Sequence(lambda n: f"Selection {n}")
    owner = factory.SubFactory(AssociateFactory)
    visibility = Visibility.EVERYONE
    description = ""


class SelectionMemberFactory(factory.django.DjangoModelFactory[SelectionMember]):
    """A person member at the person's company by default; pass person=None for a
    company-only member, or a person with company=None for a person with no company."""

    class Meta:
        model = SelectionMember

    selection = factory.SubFactory(SelectionFactory)
    person = factory.SubFactory(PersonFactory)
    company = factory.LazyAttribute(lambda m: m.person.company if m.person else CompanyFactory())


class FollowUpTypeFactory(factory.django.DjangoModelFactory[FollowUpType]):
    class Meta:
        model = FollowUpType

    name = factory.Sequence(lambda n: f"Type {n}")
    kind = FollowUpType.Kind.TASK
    rank = factory.Sequence(lambda n: 1000 + n)
    active = True


class PriorityFactory(factory.django.DjangoModelFactory[Priority]):
    class Meta:
        model = Priority

    name = factory.Sequence(lambda n: f"Priority {n}")
    rank = factory.Sequence(lambda n: 1000 + n)
    active = True


class FollowUpFactory(factory.django.DjangoModelFactory[FollowUp]):
    """An open follow-up at a company, owned and created by the same associate."""

    class Meta:
        model = FollowUp

    type = factory.SubFactory(FollowUpTypeFactory)
    start_date = factory.LazyFunction(timezone.localdate)
    description = factory.Sequence(lambda n: f"Follow-up {n}")
    owner = factory.SubFactory(AssociateFactory)
    created_by = factory.LazyAttribute(lambda f: f.owner)
    company = factory.SubFactory(CompanyFactory)
    person = None
    completed = False
    completed_at = factory.LazyAttribute(lambda f: timezone.now() if f.completed else None)
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyAttribute(lambda f: f.created_at)
