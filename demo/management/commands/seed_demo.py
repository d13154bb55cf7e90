"""Demo data for `make run`: associates in three user groups with different roles,
about 200 companies and 1,000 persons with Norwegian names, 50 projects and a few
selections. Built with the factories the tests use. Running it again changes nothing.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

import factory.random
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from crm.models import Person, UserGroup
from demo.factories import (
    DEMO_PASSWORD,
    AssociateFactory,
    CompanyFactory,
    PersonFactory,
    ProjectFactory,
    SelectionFactory,
    UserFactory,
    UserGroupFactory,
)
from followups.models import FollowUp, FollowUpType, OwnerMode, Priority
from followups.services import Scope, Settings, followup_set_completed, followups_generate
from selections.models import Criterion, Selection, SelectionMember, Visibility

# login, first name, last name, role, primary group, active, staff
ASSOCIATES = [
    ("anna", "Anna", "Berg", "Sales manager", "Salg Oslo", True, True),
    ("olav", "Olav", "Haugen", "Salesperson", "Salg Oslo", True, False),
    ("kari", "Kari", "Nilsen", "Salesperson", "Salg Bergen", True, False),
    ("per", "Per", "Johansen", "Salesperson", "Salg Bergen", True, False),
    ("lise", "Lise", "Dahl", "Read only", "Kundeservice", True, False),
    ("erik", "Erik", "Lunde", "Salesperson", "Salg Oslo", False, False),
]
ROLE_HELP = {
    "Sales manager": "all rights; administrator in Django admin",
    "Salesperson": "may create follow-ups; assigns within own user group",
    "Read only": "may look, not run tasks",
}
MARKER_GROUP = "Salg Oslo"
# The starting lists (migrations followups 0002 and 0008) in English and Norwegian: the
# demo has them even in a database emptied since it was migrated.
TYPES = [
    ("Meeting", "Møte", FollowUpType.Kind.APPOINTMENT, "#2f6fd0", 10),
    ("Phone call", "Telefonsamtale", FollowUpType.Kind.PHONE_CALL, "#1e8a4c", 20),
    ("To-do", "Gjøremål", FollowUpType.Kind.TASK, "#b26b00", 30),
    ("Presentation", "Presentasjon", FollowUpType.Kind.APPOINTMENT, "#7a3fb5", 40),
    ("Send offer", "Send tilbud", FollowUpType.Kind.TASK, "#c0392b", 50),
]
PRIORITIES = [("High", "Høy", 10), ("Medium", "Middels", 20), ("Low", "Lav", 30)]
PROJECT_WORDS = [
    "Produktlansering",
    "Kundemøte",
    "Messe",
    "Fornyelse",
    "Oppgradering",
    "Kampanje",
    "Pilot",
    "Opplæring",
    "Innføring",
    "Anbud",
]


class Command(BaseCommand):
    help = "Create demo data (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        if UserGroup.objects.filter(name=MARKER_GROUP).exists():
            self.stdout.write("Demo data is already there; nothing changed.")
        else:
            with transaction.atomic():
                self._create()
            self.stdout.write(self.style.SUCCESS("Demo data created."))
        self._print_logins()

    def _create(self) -> None:
        factory.random.reseed_random(20221206)
        rng = random.Random(20221206)
        self._lists()

        groups = {
            name: UserGroupFactory.create(name=name)
            for name in ("Salg Oslo", "Salg Bergen", "Kundeservice")
        }
        associates = {}
        for login, first, last, role, group, active, staff in ASSOCIATES:
            user = UserFactory.create(
                username=login,
                first_name=first,
                last_name=last,
                is_staff=staff,
                is_superuser=staff,
            )
            associates[login] = AssociateFactory.create(
                user=user, primary_group=groups[group], active=active, roles=[role]
            )
        associates["anna"].other_groups.add(groups["Salg Bergen"])
        owners = [associates[a] for a in ("anna", "olav", "kari", "per", "erik")]

        companies = []
        for i in range(200):
            # Most companies have an our contact; a few have none, a few an inactive one.
            our_contact = None if i % 17 == 0 else owners[rng.randrange(len(owners))]
            companies.append(CompanyFactory.create(our_contact=our_contact))
        persons: list[Person] = []
        for company in companies:
            for rank in range(1, rng.randint(3, 6) + 1):
                if len(persons) >= 900:
                    break
                persons.append(PersonFactory.create(company=company, rank=rank))
        loners = [
            PersonFactory.create(
                company=None, our_contact=owners[i % len(owners)] if i % 5 else None
            )
            for i in range(100)
        ]
        for i in range(50):
            ProjectFactory.create(
                name=f"{PROJECT_WORDS[i % len(PROJECT_WORDS)]} {companies[i * 3].city} {2026 + i % 2}",
                number=f"P-{1001 + i}",
                active=i % 10 != 9,
            )

        launch = SelectionFactory.create(
            name="Kunder – produktlansering",
            owner=associates["anna"],
            visibility=Visibility.EVERYONE,
            description="Alle kunder som skal inviteres til produktpresentasjonen.",
        )
        rows = [
            SelectionMember(selection=launch, person=p, company=p.company) for p in persons[:380]
        ]
        rows += [SelectionMember(selection=launch, company=c) for c in companies[120:150]]
        rows += [SelectionMember(selection=launch, person=p) for p in loners[:40]]
        rng.shuffle(rows)  # added in no particular order, as a real selection is

        mine = SelectionFactory.create(
            name="Mine prospekter", owner=associates["olav"], visibility=Visibility.OWNER
        )
        rows += [SelectionMember(selection=mine, company=c) for c in companies[150:180]]

        bergen = SelectionFactory.create(
            name="Bergen-teamets oppfølging", owner=associates["kari"], visibility=Visibility.GROUP
        )
        rows += [
            SelectionMember(selection=bergen, person=p, company=p.company) for p in persons[500:540]
        ]
        rows += [SelectionMember(selection=bergen, company=c) for c in companies[190:200]]
        rows += [SelectionMember(selection=bergen, person=p) for p in loners[60:70]]
        SelectionMember.objects.bulk_create(rows)

        dynamic = SelectionFactory.create(
            name="Mine førstekontakter med e-post",
            owner=associates["anna"],
            visibility=Visibility.EVERYONE,
            kind=Selection.Kind.DYNAMIC,
            description="Dynamisk: vår kontaktperson er meg, rangering 1, har e-post.",
        )
        dynamic.criteria.create(field=Criterion.Field.OUR_CONTACT, value="me")
        dynamic.criteria.create(field=Criterion.Field.PERSON_RANK_AT_MOST, value="1")
        dynamic.criteria.create(field=Criterion.Field.PERSON_HAS_EMAIL, value="yes")
        self._generate_followups(launch=launch, bergen=bergen, associates=associates)

    def _lists(self) -> None:
        """The default follow-up types and priorities, each named in both languages."""
        for name, name_nb, kind, colour, rank in TYPES:
            row, _created = FollowUpType.objects.get_or_create(
                name=name, defaults={"kind": kind, "colour": colour, "rank": rank}
            )
            if not row.name_nb:
                row.name_nb = name_nb
                row.save(update_fields=["name_nb"])
        for name, name_nb, rank in PRIORITIES:
            priority, _created = Priority.objects.get_or_create(name=name, defaults={"rank": rank})
            if not priority.name_nb:
                priority.name_nb = name_nb
                priority.save(update_fields=["name_nb"])

    def _generate_followups(self, *, launch, bergen, associates) -> None:
        """Some follow-ups in everyone's activity lists, generated the product's own way:
        overdue, due today, ahead, and a few completed."""
        today = timezone.localdate()
        runs = [
            (
                launch,
                "anna",
                "Presentation",
                7,
                OwnerMode.OUR_CONTACT,
                True,
                "Inviter til produktpresentasjonen",
            ),
            (
                bergen,
                "kari",
                "Phone call",
                -3,
                OwnerMode.MINE,
                False,
                "Ring om fornyelse av avtalen",
            ),
            (launch, "anna", "To-do", 0, OwnerMode.OUR_CONTACT, True, "Send tilbud på ny modell"),
        ]
        for selection, login, type_name, days, mode, one_per_company, text in runs:
            followups_generate(
                selection=selection,
                creator=associates[login],
                key=uuid.UUID(int=days + 1000),
                scope=Scope(owner_mode=mode, one_per_company=one_per_company),
                settings=Settings(
                    type=FollowUpType.objects.get(name=type_name),
                    priority=Priority.objects.get(name="High") if days < 0 else None,
                    start_date=today + timedelta(days=days),
                    description=text,
                ),
            )
        for followup in FollowUp.objects.order_by("id")[::17]:
            followup_set_completed(followup=followup, completed=True)

    def _print_logins(self) -> None:
        self.stdout.write(
            f"\nDemo logins at http://127.0.0.1:8000/ (password for all: {DEMO_PASSWORD}):"
        )
        for login, _first, _last, role, group, active, _staff in ASSOCIATES:
            note = ROLE_HELP[role] if active else "inactive associate: receives no follow-ups"
            self.stdout.write(f"  {login:<6} {role:<14} {group:<13} {note}")
