"""The selection list: only the selections this associate may see, with member counts."""

import pytest

from demo.factories import AssociateFactory, SelectionFactory
from selections.models import Visibility

pytestmark = pytest.mark.django_db

URL = "/selections/"


def listed(response) -> dict[str, int]:
    """{selection name: member count} as the page shows it."""
    return {s.name: s.member_count for s in response.context["selections"]}


@pytest.fixture
def selections(salesperson, outsider):
    """One selection of each visibility for salesperson (group "Salg Oslo") and for
    outsider (group "Salg Bergen")."""
    return {
        f"{who.user.username}-{visibility}": SelectionFactory(
            name=f"{who.user.username}-{visibility}", owner=who, visibility=visibility
        )
        for who in (salesperson, outsider)
        for visibility in Visibility.values
    }


def test_it_shows_the_owner_every_own_selection_and_others_everyone_selections(
    login, salesperson, selections
):
    response = login(salesperson).get(URL)
    assert response.status_code == 200
    assert set(listed(response)) == {
        "olav-everyone",
        "olav-group",
        "olav-owner",
        "kari-everyone",
    }


def test_it_shows_group_selections_to_the_owners_primary_group(login, group, selections):
    colleague = AssociateFactory(primary_group=group)
    response = login(colleague).get(URL)
    assert set(listed(response)) == {"olav-everyone", "olav-group", "kari-everyone"}


def test_it_shows_group_selections_to_members_through_other_groups(
    login, group, other_group, selections
):
    colleague = AssociateFactory(primary_group=other_group, other_groups=[group])
    response = login(colleague).get(URL)
    # Bergen's own group selection through the primary group, Oslo's through other_groups.
    assert set(listed(response)) == {
        "olav-everyone",
        "olav-group",
        "kari-everyone",
        "kari-group",
    }


def test_it_hides_group_and_private_selections_from_other_groups(login, outsider, selections):
    response = login(outsider).get(URL)
    assert set(listed(response)) == {"kari-everyone", "kari-group", "kari-owner", "olav-everyone"}
    assert b"olav-group" not in response.content
    assert b"olav-owner" not in response.content


def test_it_shows_member_counts(login, salesperson, add_members):
    SelectionFactory(name="Empty", owner=salesperson)
    add_members(SelectionFactory(name="Seven", owner=salesperson), 7)
    add_members(SelectionFactory(name="Two", owner=salesperson), 2)

    response = login(salesperson).get(URL)

    assert listed(response) == {"Empty": 0, "Seven": 7, "Two": 2}
    assert response.content.decode().count('<td class="num">7</td>') == 1


def test_it_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url == f"/login/?next={URL}"


@pytest.mark.parametrize("n", [10, 500])
def test_it_uses_the_same_number_of_queries_for_any_size(
    n, login, salesperson, outsider, add_members, django_assert_num_queries
):
    for visibility in Visibility.values:
        add_members(SelectionFactory(owner=salesperson, visibility=visibility), n)
        add_members(SelectionFactory(owner=outsider, visibility=visibility), n)
    client = login(salesperson)

    # 1. the session
    # 2. the user
    # 3. the associate, with its primary group
    # 4. the associate's other groups (prefetch)
    # 5. the user's own permissions and
    # 6. the user's permissions through roles ("New selection": "Can manage selections")
    # 7. the visible selections, with their owners and member counts
    with django_assert_num_queries(7):
        response = client.get(URL)

    assert list(listed(response).values()) == [n, n, n, n]
