"""Who may use the app pages: logged-in users with an active associate only."""

import pytest

from crm.factories import AssociateFactory, SelectionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(db):
    selection = SelectionFactory()
    return ["/selections/", f"/selections/{selection.pk}/"]


def test_it_lets_an_active_associate_in(client, pages):
    client.force_login(AssociateFactory().user)
    for page in pages:
        assert client.get(page).status_code == 200


def test_it_refuses_a_login_with_no_associate(client, pages):
    # An administrator-only account, say.
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for page in pages:
        response = client.get(page)
        assert response.status_code == 403


def test_it_refuses_an_inactive_associate(client, pages):
    client.force_login(AssociateFactory(active=False).user)
    for page in pages:
        assert client.get(page).status_code == 403


def test_it_sends_anonymous_users_to_the_login_page(client, pages):
    for page in pages:
        response = client.get(page)
        assert response.status_code == 302
        assert response.url == f"/login/?next={page}"


def test_it_treats_a_deactivated_login_as_anonymous(client, pages):
    associate = AssociateFactory()
    client.force_login(associate.user)
    associate.user.is_active = False
    associate.user.save()
    response = client.get(pages[0])
    assert response.status_code == 302
    assert response.url.startswith("/login/")
