"""One notice per owner when someone else gives them follow-ups: a generation, or a new
owner on the follow-up's page. Sent through a real SMTP server (tests/notices/conftest)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse

from demo.factories import (
    AssociateFactory,
    CompanyFactory,
    FollowUpFactory,
    FollowUpTypeFactory,
    SelectionFactory,
    SelectionMemberFactory,
)
from followups import services
from followups.models import FollowUp, Generation, OwnerMode
from notices.services import generation_notify
from selections.models import Visibility
from tests.helpers import HTMX, elements, generation_choices

pytestmark = pytest.mark.django_db

START = date(2026, 12, 7)


@pytest.fixture
def call_type(db):
    return FollowUpTypeFactory(name="Renewal call", name_nb="Fornyelsessamtale")


@pytest.fixture
def spread(manager, group):
    """A selection "Kunder Oslo" of 6 + 5 + 4 + 3 + 2 + 1 companies: the manager (who
    generates) is the our contact of 6, five colleagues of the others, in English and
    Norwegian."""
    owners = [manager]
    for i, language in enumerate(["nb", "en", "nb", "", "en"]):
        owners.append(
            AssociateFactory(
                user__username=f"owner{i}",
                user__first_name=f"Owner{i}",
                user__last_name="Berg",
                primary_group=group,
                language=language,
            )
        )
    selection = SelectionFactory(owner=manager, name="Kunder Oslo")
    for owner, n in zip(owners, [6, 5, 4, 3, 2, 1], strict=True):
        for _ in range(n):
            SelectionMemberFactory(
                selection=selection, company=CompanyFactory(our_contact=owner), person=None
            )
    return selection, owners


def generate(selection, creator, call_type, *, key=None, mode=OwnerMode.OUR_CONTACT, **more):
    choices = generation_choices(
        type=call_type,
        start_date=START,
        description="Ring om vårtilbudet",
        owner_mode=mode,
        **more,
    )
    return services.followups_generate(
        selection=selection, creator=creator, **choices, key=key or uuid.uuid4()
    )


def test_it_tells_each_other_owner_once_in_their_language(
    smtp, spread, manager, call_type, django_capture_on_commit_callbacks
):
    selection, owners = spread
    with django_capture_on_commit_callbacks(execute=True):
        generation, created = generate(selection, manager, call_type)
    assert created and generation.created_count == 21

    assert len(smtp.messages) == 5  # not one for the manager, who did it
    assert smtp.to(manager.user.email) == []
    assert all(manager.user.email in m["Reply-To"] for m in smtp.messages)
    link = f"https://crm.example.com/activities/?generation={generation.pk}"
    for owner, n in zip(owners[1:], [5, 4, 3, 2, 1], strict=True):
        (message,) = smtp.to(owner.user.email)
        text, html = smtp.text(message), smtp.html(message)
        assert link in text
        assert elements(html, "a", href=link)
        if owner.language == "nb":
            assert message["Subject"] == f"{manager.name} ga deg {n} oppfølging" + (
                "er" if n > 1 else ""
            )
            assert "Fra utvalget «Kunder Oslo»." in text
            assert "Type: Fornyelsessamtale" in text
            assert "Start: 07.12.2026" in text
        else:
            follow = "follow-ups" if n > 1 else "follow-up"
            assert message["Subject"] == f"{manager.name} gave you {n} {follow}"
            assert "From the selection “Kunder Oslo”." in text
            assert "Type: Renewal call" in text
            assert "Start: 07.12.2026" in text


def test_the_same_key_again_sends_nothing(
    smtp, spread, manager, call_type, django_capture_on_commit_callbacks
):
    selection, _owners = spread
    key = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        generate(selection, manager, call_type, key=key)
    assert len(smtp.messages) == 5

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _generation, created = generate(selection, manager, call_type, key=key)

    assert not created
    assert callbacks == []
    assert len(smtp.messages) == 5


def test_a_generation_that_fails_sends_nothing(
    smtp, spread, manager, call_type, django_capture_on_commit_callbacks, monkeypatch
):
    selection, _owners = spread

    def fail(**kwargs):
        raise DatabaseError("canceling statement due to statement timeout")

    monkeypatch.setattr(services, "_insert_followups", fail)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DatabaseError):
        generate(selection, manager, call_type)

    assert smtp.messages == []


def test_a_generation_rolled_back_after_it_sends_nothing(
    smtp, spread, manager, call_type, django_capture_on_commit_callbacks
):
    """The notices wait for the outermost commit: one that never comes sends none."""
    selection, _owners = spread
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        generate(selection, manager, call_type)
        raise RuntimeError("rolled back")

    assert smtp.messages == []


def test_an_undo_sends_nothing(
    smtp, spread, manager, call_type, django_capture_on_commit_callbacks
):
    selection, _owners = spread
    with django_capture_on_commit_callbacks(execute=True):
        generation, _created = generate(selection, manager, call_type)
    with django_capture_on_commit_callbacks(execute=True):
        services.generation_undo(generation=generation, by=manager)

    assert len(smtp.messages) == 5
    assert generation_notify(generation.pk) == 0  # and asking again afterwards sends none


def test_it_sends_none_for_my_own_list(
    smtp, spread, manager, call_type, django_capture_on_commit_callbacks
):
    selection, _owners = spread
    with django_capture_on_commit_callbacks(execute=True):
        generate(selection, manager, call_type, mode=OwnerMode.MINE)
    assert smtp.messages == []


def test_my_own_list_reads_none_of_the_followups(
    smtp, spread, manager, call_type, django_assert_num_queries
):
    selection, _owners = spread
    generation, _ = generate(selection, manager, call_type, mode=OwnerMode.MINE)

    with django_assert_num_queries(1):  # the generation, and nothing of its rows
        assert generation_notify(generation.pk) == 0


def test_it_tells_the_other_associate(
    smtp, spread, manager, call_type, django_capture_on_commit_callbacks
):
    selection, owners = spread
    with django_capture_on_commit_callbacks(execute=True):
        generate(selection, manager, call_type, mode=OwnerMode.OTHER, owner_associate=owners[2])
    (message,) = smtp.messages
    assert owners[2].user.email in message["To"]
    assert message["Subject"] == f"{manager.name} gave you 21 follow-ups"


def test_it_leaves_out_who_turned_it_off_is_inactive_or_has_no_address(
    smtp, spread, manager, call_type, django_capture_on_commit_callbacks
):
    selection, owners = spread
    owners[1].notify_assignments = False
    owners[1].save()
    owners[2].user.email = ""
    owners[2].user.save()
    owners[3].user.is_active = False
    owners[3].user.save()
    with django_capture_on_commit_callbacks(execute=True):
        generate(selection, manager, call_type)
    # owners[3] is inactive, so its companies fell back to the manager: no notice either.
    assert sorted(m["X-Envelope-To"] for m in smtp.messages) == sorted(
        [owners[4].user.email, owners[5].user.email]
    )


def test_it_names_a_selection_the_owner_cannot_see_as_such_and_escapes_html(
    smtp, manager, other_group, call_type, django_capture_on_commit_callbacks
):
    outsider = AssociateFactory(primary_group=other_group, language="en")
    selection = SelectionFactory(
        owner=manager, name="<b>Private</b> & co", visibility=Visibility.OWNER
    )
    SelectionMemberFactory(
        selection=selection, company=CompanyFactory(our_contact=outsider), person=None
    )
    manager.user.first_name, manager.user.last_name = "Anna <i>", "& Co"
    manager.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        generate(selection, manager, call_type)

    (message,) = smtp.messages
    text, html = smtp.text(message), smtp.html(message)
    assert "From a selection you cannot see." in text
    assert "Private" not in text + html
    assert "Anna <i> & Co gave you 1 follow-up." in text  # plain text, as it is
    assert "Anna &lt;i&gt; &amp; Co gave you 1 follow-up." in html
    assert "<i>" not in html


def test_it_sends_one_message_per_owner_with_the_same_queries_at_any_size(
    manager, group, call_type, django_assert_num_queries, mailoutbox
):
    """4,000 follow-ups for 40 owners: 40 messages, and the same 4 queries as for one."""
    selection = SelectionFactory(owner=manager)
    owners = [AssociateFactory(primary_group=group) for _ in range(40)]
    generation, _created = generate(selection, manager, call_type)
    FollowUp.objects.bulk_create(
        FollowUp(
            owner=owner,
            created_by=manager,
            generation=generation,
            type=call_type,
            start_date=START,
            description="Ring",
        )
        for owner in owners
        for _ in range(100)
    )

    # 1: the generation (with its creator and selection); 2: the owners' shares, one
    # grouped query; 3: the owners who get a notice (with their logins); 4: the types.
    with django_assert_num_queries(4):
        sent = generation_notify(generation.pk)

    assert sent == 40
    assert len(mailoutbox) == 40
    assert sorted(m.to[0].split("<")[1].rstrip(">") for m in mailoutbox) == sorted(
        o.user.email for o in owners
    )
    assert all(m.subject == f"{manager.name} gave you 100 follow-ups" for m in mailoutbox)


def test_through_the_dialog_the_owners_are_told(
    smtp, spread, manager, call_type, login, django_capture_on_commit_callbacks
):
    selection, _owners = spread
    data = {
        "key": str(uuid.uuid4()),
        "type": str(call_type.pk),
        "start_date": "2026-12-07",
        "description": "Ring om vårtilbudet",
        "owner_mode": "our_contact",
    }
    client = login(manager)
    url = reverse("followups:generate_save", args=[selection.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data, headers=HTMX)
        again = client.post(url, data, headers=HTMX)  # a double click
    assert response.status_code == again.status_code == 200
    assert len(smtp.messages) == 5


def test_a_new_owner_on_the_followup_page_is_told(
    smtp, salesperson, group, call_type, login, django_capture_on_commit_callbacks
):
    colleague = AssociateFactory(primary_group=group, language="nb")
    followup = FollowUpFactory(
        owner=salesperson, created_by=salesperson, type=call_type, start_date=START
    )
    data = {
        "type": call_type.pk,
        "start_date": "2026-12-07",
        "description": followup.description,
        "project_text": "",
        "priority": "",
        "owner": colleague.pk,
    }
    client = login(salesperson)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("followups:detail", args=[followup.pk]), data)
        # Saving again without changing the owner tells nobody.
        client.post(reverse("followups:detail", args=[followup.pk]), data)
    assert response.status_code == 302

    (message,) = smtp.messages
    assert colleague.user.email in message["To"]
    assert message["Subject"] == f"{salesperson.name} ga deg 1 oppfølging"
    assert f"https://crm.example.com/followups/{followup.pk}/" in smtp.text(message)


def test_giving_a_followup_to_myself_tells_nobody(
    smtp, salesperson, group, call_type, login, django_capture_on_commit_callbacks
):
    colleague = AssociateFactory(primary_group=group)
    followup = FollowUpFactory(owner=colleague, created_by=salesperson, type=call_type)
    data = {
        "type": call_type.pk,
        "start_date": "2026-12-07",
        "description": followup.description,
        "owner": salesperson.pk,
    }
    with django_capture_on_commit_callbacks(execute=True):
        login(salesperson).post(reverse("followups:detail", args=[followup.pk]), data)
    assert smtp.messages == []


def test_a_failing_mail_server_leaves_the_generation_saved(
    settings, spread, manager, call_type, django_capture_on_commit_callbacks
):
    from tests.notices.conftest import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    selection, _owners = spread
    with django_capture_on_commit_callbacks(execute=True):
        generation, created = generate(selection, manager, call_type)
    assert created and generation.created_count == 21


def test_it_says_so_when_the_selection_was_deleted_since(
    smtp, spread, manager, call_type, django_capture_on_commit_callbacks
):
    selection, _owners = spread
    generation, _created = generate(selection, manager, call_type)  # no notice yet
    Generation.objects.filter(pk=generation.pk).update(selection=None)
    generation_notify(generation.pk)
    assert len(smtp.messages) == 5
    said = {
        "From a selection that was deleted since." in smtp.text(m)
        or "Fra et utvalg som er slettet siden." in smtp.text(m)
        for m in smtp.messages
    }
    assert said == {True}


def test_the_html_part_links_the_selection_it_came_from(
    smtp, spread, manager, call_type, django_capture_on_commit_callbacks
):
    selection, owners = spread
    with django_capture_on_commit_callbacks(execute=True):
        generate(selection, manager, call_type)
    (message,) = smtp.to(owners[2].user.email)
    url = f"https://crm.example.com/selections/{selection.pk}/"
    assert f'<a href="{url}">From the selection “Kunder Oslo”.</a>' in smtp.html(message)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_error_while_telling_the_owners_is_logged_and_the_generation_stays(
    spread, manager, call_type, monkeypatch, caplog
):
    """The notices run after the real commit: their failure is logged, and neither the
    save's answer nor its follow-ups suffer from it."""

    def broken_notices(generation_id):
        raise RuntimeError("the notices' template is broken")

    monkeypatch.setattr("followups.services.generation_notify", broken_notices)
    selection, _owners = spread

    generation, created = generate(selection, manager, call_type)

    assert created and FollowUp.objects.filter(generation=generation).count() == 21
    assert "broken_notices" in caplog.text
    assert "the notices' template is broken" in caplog.text
