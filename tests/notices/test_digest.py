"""The morning digest: once a day per associate who asked for it, in their language,
through a real SMTP server."""

from __future__ import annotations

import tracemalloc
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from demo.factories import AssociateFactory, CompanyFactory, FollowUpFactory
from followups.models import FollowUp, FollowUpType
from notices.models import DigestSent
from notices.services import DIGEST_ROWS, digest_send

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 2)


@pytest.fixture
def wants_it(group):
    return AssociateFactory(
        user__first_name="Siri", user__last_name="Berg", primary_group=group, morning_digest=True
    )


def send(day=DAY) -> str:
    out = StringIO()
    call_command("send_digest", f"--day={day:%Y-%m-%d}", stdout=out)
    return out.getvalue()


def test_running_it_twice_sends_once(smtp, wants_it):
    FollowUpFactory(owner=wants_it, start_date=DAY - timedelta(3), description="Ring Aker")
    FollowUpFactory(owner=wants_it, start_date=DAY, description="Send tilbud")

    assert send() == "sent 1, already sent today 0, nothing due 0, failed 0\n"
    assert send() == "sent 0, already sent today 0, nothing due 0, failed 0\n"

    (message,) = smtp.messages
    assert wants_it.user.email in message["To"]
    assert message["Subject"] == "Your follow-ups 02.12.2026: 1 overdue, 1 due today"
    text = smtp.text(message)
    assert "Overdue: 1" in text and "Due today: 1" in text
    assert "Ring Aker" in text and "Send tilbud" in text
    assert "https://crm.example.com/activities/?show=overdue" in text
    assert DigestSent.objects.filter(associate=wants_it, day=DAY).count() == 1
    # The next day it is sent again.
    assert send(DAY + timedelta(1)).startswith("sent 1,")


def test_it_is_in_the_associates_language_and_escaped(smtp, wants_it):
    wants_it.language = "nb"
    wants_it.save()
    FollowUpFactory(
        owner=wants_it,
        start_date=DAY,
        description="<script>alert(1)</script> & co",
        company=CompanyFactory(name="Ærlig & Ålreit <AS>"),
    )
    send()
    (message,) = smtp.messages
    assert (
        message["Subject"].strip() == "Oppfølgingene dine 02.12.2026: 0 forfalt, 1 forfaller i dag"
    )
    html = smtp.html(message)
    assert "God morgen, Siri Berg!" in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "Ærlig &amp; Ålreit &lt;AS&gt;" in html
    assert "Ærlig & Ålreit <AS>" in smtp.text(message)


def test_it_lists_the_first_twenty_and_counts_all(smtp, wants_it):
    FollowUpFactory.create_batch(25, owner=wants_it, start_date=DAY - timedelta(1))
    FollowUpFactory.create_batch(3, owner=wants_it, start_date=DAY)
    FollowUpFactory(owner=wants_it, start_date=DAY + timedelta(1))  # not yet due
    send()
    text = smtp.text(smtp.messages[0])
    assert "Overdue: 25" in text and "Due today: 3" in text
    assert text.count("https://crm.example.com/followups/") == DIGEST_ROWS
    assert "And 8 more in your activity list." in text


def test_only_those_who_asked_with_something_due_get_it(smtp, wants_it, group, salesperson):
    FollowUpFactory(owner=salesperson, start_date=DAY)  # digest off (the default)
    nothing_due = AssociateFactory(primary_group=group, morning_digest=True)
    FollowUpFactory(owner=nothing_due, start_date=DAY + timedelta(5))
    FollowUpFactory(owner=wants_it, start_date=DAY)
    inactive = AssociateFactory(primary_group=group, morning_digest=True, active=False)
    FollowUpFactory(owner=inactive, start_date=DAY)

    assert send() == "sent 1, already sent today 0, nothing due 1, failed 0\n"
    assert [m["X-Envelope-To"] for m in smtp.messages] == [wants_it.user.email]


def test_a_failed_send_is_tried_again_on_the_next_run(settings, wants_it, smtp):
    from tests.notices.conftest import free_port

    FollowUpFactory(owner=wants_it, start_date=DAY)
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nobody listens there
    with pytest.raises(CommandError):
        send()
    assert not DigestSent.objects.exists()

    settings.EMAIL_PORT = port
    assert send().startswith("sent 1,")
    assert len(smtp.messages) == 1


def test_a_wrong_day_is_refused():
    with pytest.raises(CommandError, match="is not a date"):
        call_command("send_digest", "--day=02.12.2026")


def test_memory_stays_bounded_with_many_followups(wants_it, group, mailoutbox):
    """Memory does not grow with the follow-ups: 2,000 due or 20,000 due cost the same."""
    others = [AssociateFactory(primary_group=group, morning_digest=True) for _ in range(4)]

    def peak(per_associate: int, day: date) -> int:
        FollowUp.objects.all().delete()
        type_id = FollowUpType.objects.values_list("pk", flat=True).first()
        rows = [
            FollowUp(owner=a, created_by=a, type_id=type_id, start_date=day, description="Ring")
            for a in [wants_it, *others]
            for _ in range(per_associate)
        ]
        FollowUp.objects.bulk_create(rows, batch_size=2000)
        tracemalloc.start()
        run = digest_send(day=day)
        _current, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert run.sent == 5
        return top

    small, large = peak(400, DAY), peak(4000, DAY + timedelta(1))
    assert large < small * 1.5 + 200_000
