"""Quick search: type-ahead over the open follow-ups this associate may see (description,
project, the start of the company's or person's name), and over companies and persons.
Completed follow-ups are never found."""

import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from demo.factories import (
    AssociateFactory,
    CompanyFactory,
    FollowUpFactory,
    FollowUpTypeFactory,
    PersonFactory,
    PriorityFactory,
    ProjectFactory,
)
from followups import services
from followups.models import FollowUp
from followups.search import SEARCH_LIMIT
from tests.helpers import HTMX, elements, generation_choices

pytestmark = pytest.mark.django_db

URL = reverse("followups:quick_search")


def followup(**fields) -> FollowUp:
    """A follow-up at a company whose name no search below matches (not a random one)."""
    fields.setdefault("company", CompanyFactory(name="Firma"))
    return FollowUpFactory(**fields)


def found(response) -> list[int]:
    """The ids of the follow-ups the results link to, in order."""
    return [int(pk) for pk in re.findall(r'href="/followups/(\d+)/"', response.content.decode())]


def search(client, text: str) -> list[int]:
    response = client.get(URL, {"q": text}, headers=HTMX)
    assert response.status_code == 200
    return found(response)


def test_it_requires_login(client):
    response = client.get(URL, {"q": "call"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_it_searches_description_company_person_and_project(login, salesperson):
    company = CompanyFactory(name="Fjord Fisk AS")
    by_description = followup(owner=salesperson, description="Send the Easter offer")
    by_company = followup(owner=salesperson, company=company)
    by_first_name = followup(
        owner=salesperson, person=PersonFactory(first_name="Solveig", last_name="Dahl")
    )
    by_last_name = followup(
        owner=salesperson, person=PersonFactory(first_name="Per", last_name="Vindenes")
    )
    by_project = followup(owner=salesperson, project=ProjectFactory(name="Harbour expo"))
    client = login(salesperson)

    assert search(client, "easter") == [by_description.pk]
    assert search(client, "FJORD") == [by_company.pk]
    assert search(client, "solv") == [by_first_name.pk]
    assert search(client, "vinden") == [by_last_name.pk]
    assert search(client, "harbour") == [by_project.pk]
    assert search(client, "nothing like it") == []


def test_it_never_finds_completed_followups(login, salesperson):
    found_one = followup(owner=salesperson, description="Offer for spring")
    followup(
        owner=salesperson,
        description="Offer for summer",
        completed=True,
        completed_at=timezone.now(),  # still in the activity list today, never in search
    )
    followup(
        owner=salesperson,
        description="Offer for autumn",
        completed=True,
        completed_at=timezone.now() - timedelta(days=1),
    )

    assert search(login(salesperson), "offer") == [found_one.pk]


def test_it_waits_for_two_characters(login, salesperson):
    followup(owner=salesperson, description="a b c")
    client = login(salesperson)

    assert search(client, "a") == []
    assert search(client, " a ") == []
    assert client.get(URL, {"q": "a"}, headers=HTMX).content.decode().strip() == ""


def test_it_says_when_nothing_matches(login, salesperson):
    response = login(salesperson).get(URL, {"q": "zebra"}, headers=HTMX)
    assert "No open follow-up matches “zebra”." in response.content.decode()


def test_it_answers_htmx_with_the_results_only(login, salesperson):
    demo = followup(owner=salesperson, description="Demo for the board")
    client = login(salesperson)

    fragment = client.get(URL, {"q": "demo"}, headers=HTMX).content.decode()
    page = client.get(URL, {"q": "demo"}).content.decode()

    assert not elements(fragment, "html")
    assert elements(page, "html")
    assert elements(page, "input", name="q", value="demo")
    for html in (fragment, page):
        assert reverse("followups:detail", args=[demo.pk]) in html
        assert "Demo for the board" in html


def test_it_shows_at_most_a_few_results_by_start_date(login, salesperson):
    today = timezone.localdate()
    followups = [
        followup(owner=salesperson, description="Call", start_date=today + timedelta(n))
        for n in reversed(range(SEARCH_LIMIT + 2))
    ]

    assert search(login(salesperson), "call") == [f.pk for f in followups[::-1][:SEARCH_LIMIT]]


def test_it_finds_followups_of_colleagues_in_the_same_group(
    login, salesperson, manager, reader, outsider
):
    own = followup(owner=salesperson, description="Visit 1")
    colleagues = followup(owner=manager, description="Visit 2")
    created_for_outsider = followup(owner=outsider, created_by=salesperson, description="Visit 3")
    other_groups = followup(owner=outsider, description="Visit 4")

    assert search(login(salesperson), "visit") == [own.pk, colleagues.pk, created_for_outsider.pk]
    assert search(login(reader), "visit") == [own.pk, colleagues.pk]
    assert search(login(outsider), "visit") == [created_for_outsider.pk, other_groups.pk]


def test_it_finds_followups_of_colleagues_through_other_groups(
    login, salesperson, group, other_group
):
    colleague = AssociateFactory(
        primary_group=other_group, other_groups=[group], roles=["Salesperson"]
    )
    theirs = followup(owner=colleague, description="Visit")

    assert search(login(salesperson), "visit") == [theirs.pk]


def test_it_finds_every_followup_for_a_sales_manager(login, manager, salesperson, outsider):
    followups = [followup(owner=owner, description="Visit") for owner in (salesperson, outsider)]

    assert search(login(manager), "visit") == [f.pk for f in followups]


@pytest.mark.parametrize("n", [10, 500])
def test_it_uses_the_same_number_of_queries_for_any_size(
    login, salesperson, group, django_assert_num_queries, n
):
    colleague = AssociateFactory(primary_group=group)
    company = CompanyFactory(name="Nordlys AS")
    FollowUp.objects.bulk_create(
        FollowUpFactory.build_batch(
            n,
            owner=colleague,
            type=FollowUpTypeFactory(),
            company=company,
            person=PersonFactory(company=company),
            project=ProjectFactory(),
            priority=PriorityFactory(),
        )
    )
    client = login(salesperson)

    # 1: the session
    # 2: the user
    # 3: the associate, with its user and primary group
    # 4: the associate's other user groups
    # 5: the user's own permissions (may this role see every associate?)
    # 6: the user's roles' permissions
    # 7: the generations whose description or project matches
    # 8: the first matching follow-ups of each part (by company or person, edited rows,
    #    each generation's rows), with project, company and person
    # 9-11: their types, priorities and owners (with logins)
    # 12-13: the first matching companies, and persons (with their companies)
    with django_assert_num_queries(13):
        response = client.get(URL, {"q": "nordlys"}, headers=HTMX)

    assert len(found(response)) == SEARCH_LIMIT


def test_it_finds_companies_and_persons_in_any_case_with_norwegian_letters(login, salesperson):
    aalgaard = CompanyFactory(name="Ålgård Bygg AS", city="Ålgård")
    oslo = CompanyFactory(name="Oslo Rør AS", city="Oslo")
    oyvind = PersonFactory(first_name="Øyvind", last_name="Ås", email="oyvind@rør.no", company=oslo)
    client = login(salesperson)

    by_name = client.get(URL, {"q": "ålgå"}, headers=HTMX).content.decode()
    by_city = client.get(URL, {"q": "oslo"}, headers=HTMX).content.decode()
    by_person = client.get(URL, {"q": "øyv"}, headers=HTMX).content.decode()
    by_mail = client.get(URL, {"q": "OYVIND@"}, headers=HTMX).content.decode()

    assert reverse("crm:company", args=[aalgaard.pk]) in by_name
    assert reverse("crm:company", args=[oslo.pk]) in by_city
    assert reverse("crm:person", args=[oyvind.pk]) in by_person
    assert reverse("crm:person", args=[oyvind.pk]) in by_mail
    assert "Companies" in by_name and "Persons" in by_person
    assert reverse("crm:person", args=[oyvind.pk]) not in by_name


def generate(selection, creator, kind, **choices):
    generation, created = services.followups_generate(
        selection=selection,
        creator=creator,
        key=uuid.uuid4(),
        **generation_choices(type=kind, start_date=timezone.localdate(), **choices),
    )
    assert created
    return generation


def test_it_finds_a_generations_rows_by_its_description_and_project(
    login, salesperson, selection, call_type, add_members
):
    add_members(selection, 3)
    harbour = ProjectFactory(name="Harbour expo")
    spring = generate(selection, salesperson, call_type, description="Spring offer")
    expo = generate(selection, salesperson, call_type, description="Invite", project=harbour)
    generate(selection, salesperson, call_type, description="Spring offer", completed=True)
    client = login(salesperson)

    spring_rows = sorted(spring.followups.values_list("id", flat=True))
    assert search(client, "SPRING") == spring_rows
    assert search(client, "harb") == sorted(expo.followups.values_list("id", flat=True))


def test_it_finds_a_generated_row_changed_since_by_its_own_text_only(
    login, salesperson, selection, call_type, add_members
):
    add_members(selection, 3)
    spring = generate(selection, salesperson, call_type, description="Spring offer")
    edited, completed, untouched = spring.followups.order_by("id")
    services.followup_save_changes(
        followup=edited, changes={"description": "Call the mayor"}, by=salesperson
    )
    services.followup_set_completed(followup=completed, by=salesperson)
    client = login(salesperson)

    assert search(client, "mayor") == [edited.pk]
    assert search(client, "spring") == [untouched.pk]


def test_it_finds_a_row_of_a_completed_generation_opened_again(
    login, salesperson, selection, call_type, add_members
):
    add_members(selection, 2)
    done = generate(selection, salesperson, call_type, description="Winter offer", completed=True)
    reopened, _ = done.followups.order_by("id")
    services.followup_set_completed(followup=reopened, by=salesperson)

    assert search(login(salesperson), "winter") == [reopened.pk]


def test_it_finds_followups_by_the_start_of_their_companys_or_persons_name(login, salesperson):
    at_company = followup(owner=salesperson, company=CompanyFactory(name="Åsgard Sag AS"))
    of_person = followup(owner=salesperson, person=PersonFactory(first_name="Åse", last_name="Lie"))
    followup(owner=salesperson, company=CompanyFactory(name="Store Åsen AS"))
    client = login(salesperson)

    assert search(client, "ås") == [at_company.pk, of_person.pk]
    assert search(client, "LIE") == [of_person.pk]


def test_it_reads_every_part_off_an_index(
    login, salesperson, selection, call_type, add_members, django_assert_num_queries
):
    """No part of the search reads the follow-ups' table from end to end, whatever its
    size: each is a range of an index (PostgreSQL told not to scan where it can avoid
    it, as it would for a table this small)."""
    add_members(selection, 3)
    generate(selection, salesperson, call_type, description="Spring offer")
    followup(owner=salesperson, description="Spring call")
    client = login(salesperson)
    with CaptureQueriesContext(connection) as queries:
        search(client, "spring")
    (union,) = [q["sql"] for q in queries.captured_queries if "UNION ALL" in q["sql"]]

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET enable_seqscan = off")
            cursor.execute(f"EXPLAIN {union}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("RESET enable_seqscan")
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {union}")
            plan = "\n".join(row[-1] for row in cursor.fetchall())

    if connection.vendor == "sqlite":
        assert "followups_open_by_generation" in plan, plan
    else:
        assert "followups_by_generation" in plan, plan
    assert "followups_open_edited" in plan
    # A company's and a person's follow-ups as models.party_parts finds them.
    if connection.vendor == "sqlite":
        assert "followups_party_by_gen" in plan, plan
        assert "followups_loose_by_person" in plan, plan
    else:
        assert "followups_by_company" in plan, plan
        assert "followups_by_person" in plan, plan
    assert "Seq Scan on followups_followup" not in plan
    assert not re.search(r"SCAN followups_followup(?! USING)", plan), plan
