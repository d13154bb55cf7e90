"""Start "in N working days": weekends and Norwegian public holidays skipped, the date
shown in Start by the preview, and saved as that date."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from crm.workdays import is_working_day, working_days_after
from followups.models import FollowUp, Generation
from tests.helpers import HTMX, element


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2027, 3, 24), 1, date(2027, 3, 30)),  # Wednesday before Easter: Tuesday after
        (date(2027, 3, 24), 3, date(2027, 4, 1)),
        (date(2026, 12, 4), 1, date(2026, 12, 7)),  # Friday: Monday
        (date(2026, 12, 5), 0, date(2026, 12, 7)),  # Saturday, 0: the next working day
        (date(2026, 12, 23), 1, date(2026, 12, 24)),  # Christmas Eve is a working day
        (date(2026, 12, 24), 1, date(2026, 12, 28)),  # 25th, 26th (Saturday), 27th skipped
        (date(2027, 5, 14), 1, date(2027, 5, 18)),  # 17 May (and Whit Monday) skipped
    ],
)
def test_working_days_skip_weekends_and_norwegian_holidays(settings, start, n, expected):
    settings.HOLIDAY_COUNTRY = "NO"
    assert working_days_after(start, n) == expected


def test_the_country_is_a_setting(settings):
    settings.HOLIDAY_COUNTRY = "SE"
    assert is_working_day(date(2027, 5, 17))  # a Monday, no holiday in Sweden
    settings.HOLIDAY_COUNTRY = "NO"
    assert not is_working_day(date(2027, 5, 17))


@pytest.mark.django_db
def test_the_preview_writes_the_start_and_the_save_uses_it(
    login, salesperson, selection, add_members, dialog_data, monkeypatch
):
    add_members(selection, 3)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: date(2027, 3, 24))
    client = login(salesperson)
    preview_url = reverse("followups:generate_preview", args=[selection.pk])

    preview = client.post(preview_url, dialog_data(start_in_days="1"), headers=HTMX)

    html = preview.content.decode()
    start = element(html, "input", id="id_start_date")
    assert (start["hx-swap-oob"], start["value"]) == ("true", "30.03.2027")
    assert "Start: Tuesday 30.03.2027, in 1 working day." in html
    client.post(
        reverse("followups:generate_save", args=[selection.pk]),
        dialog_data(start_in_days="1", start_date="nonsense"),
        headers=HTMX,
    )
    assert Generation.objects.get().start_date == date(2027, 3, 30)
    assert set(FollowUp.objects.values_list("start_date", flat=True)) == {date(2027, 3, 30)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("value", "message"),
    [("x", "Enter a whole number of working days"), ("-1", "Enter 0 or more"), ("999", "at most")],
)
def test_a_wrong_number_is_answered_next_to_the_field(
    login, salesperson, selection, add_members, dialog_data, value, message
):
    add_members(selection, 2)
    response = login(salesperson).post(
        reverse("followups:generate_save", args=[selection.pk]),
        dialog_data(start_in_days=value),
        headers=HTMX,
    )

    html = response.content.decode()
    assert message in element(html, "div", class_="errorlist", id="id_start_in_days_error").text
    assert not FollowUp.objects.exists()
