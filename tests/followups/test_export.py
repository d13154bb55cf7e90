"""Lists as files: CSV and Excel, every page, in the user's language and date style, with
constant queries, and nothing of another associate's."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from demo.factories import FollowUpFactory, PersonFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def url(fmt: str, **query) -> str:
    base = reverse("followups:export", args=[fmt])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


@pytest.fixture
def mine(salesperson):
    ola = PersonFactory(first_name="Ola", last_name="Ørsta")
    rows = [
        FollowUpFactory(
            owner=salesperson,
            company=ola.company,
            person=ola,
            start_date=TODAY - timedelta(days=1),
            description="Ring om tilbudet",
        ),
        *FollowUpFactory.create_batch(59, owner=salesperson, start_date=TODAY + timedelta(days=3)),
        FollowUpFactory(
            owner=salesperson,
            completed=True,
            completed_at=timezone.now() - timedelta(days=30),
            description="Done long ago",
        ),
    ]
    return rows


def test_the_activity_list_as_csv_has_every_page_and_day_first_dates(
    login, salesperson, outsider, mine
):
    FollowUpFactory(owner=outsider, description="Not mine")

    response = login(salesperson).get(url("csv", show="open"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"].startswith('attachment; filename="activities-open-')
    rows = csv_rows(response)
    assert rows[0][:3] == ["Start", "Type", "Description"]
    assert len(rows) == 1 + 60  # the open ones, past the first page of 50
    first = rows[1]
    assert first[0] == f"{TODAY - timedelta(days=1):%d.%m.%Y}"
    assert first[2] == "Ring om tilbudet" and first[4] == "Ola Ørsta"
    assert "Not mine" not in str(rows) and "Done long ago" not in str(rows)


def test_the_overdue_filter_and_the_history(login, salesperson, mine):
    client = login(salesperson)

    overdue = csv_rows(client.get(url("csv", show="overdue")))
    history = csv_rows(client.get(url("csv", source="history")))

    assert [r[2] for r in overdue[1:]] == ["Ring om tilbudet"]
    assert len(history) == 1 + 61
    assert "Done long ago" in [r[2] for r in history]


def test_excel_has_real_dates_in_the_style_and_norwegian_headings(login, salesperson, mine):
    client = login(salesperson)
    client.cookies["django_language"] = "nb"

    response = client.get(url("xlsx", show="overdue"))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; filename=")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Start", "Type", "Beskrivelse"]
    start = sheet["A2"]
    assert start.value.date() == TODAY - timedelta(days=1)
    assert start.number_format == "dd.mm.yyyy"
    assert sheet["E2"].value == "Ola Ørsta"


def test_a_formula_in_a_description_is_written_as_text(login, salesperson):
    FollowUpFactory(owner=salesperson, description='=HYPERLINK("http://x")')

    rows = csv_rows(login(salesperson).get(url("csv")))

    assert rows[1][2] == '\'=HYPERLINK("http://x")'


def test_a_generations_followups_only_for_who_may_see_it(login, salesperson, outsider):
    FollowUpFactory(owner=salesperson)
    client = login(outsider)

    assert client.get(url("csv", source="generation", generation="999999")).status_code == 404
    assert client.get(url("csv", source="generation", generation="x")).status_code == 404
    assert client.get(url("pdf")).status_code == 404


def test_the_queries_do_not_grow_with_the_rows(login, salesperson, django_assert_num_queries):
    client = login(salesperson)
    client.get(url("csv"))
    FollowUpFactory.create_batch(3, owner=salesperson)
    with django_assert_num_queries(QUERIES) as few:
        b"".join(client.get(url("csv")).streaming_content)
    FollowUpFactory.create_batch(300, owner=salesperson)
    with django_assert_num_queries(QUERIES):
        b"".join(client.get(url("csv")).streaming_content)
    assert few


# The request's own (session, user, associate, groups), the three small tables, the rows.
QUERIES = 8


def test_a_us_style_associate_gets_us_dates(login, salesperson):
    from crm import dates
    from crm.models import DateStyle

    FollowUpFactory(owner=salesperson, start_date=date(2026, 12, 24))
    client = login(salesperson)
    session = client.session
    session[dates.SESSION_KEY] = DateStyle.US  # as logging in with that style does
    session.save()

    rows = csv_rows(client.get(url("csv")))

    assert rows[1][0] == "12/24/2026"


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(url("csv"))

    assert response.status_code == 302 and "/login/" in response["Location"]
