"""Date styles (day first, ISO, US) and the associate's settings page."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django import forms
from django.conf import settings
from django.template import engines
from django.utils import timezone, translation
from pytest_django.asserts import assertInHTML

from crm import dates
from crm.models import DateStyle
from demo.factories import DEMO_PASSWORD, AssociateFactory, FollowUpFactory
from tests.helpers import element

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 1)
MOMENT = datetime(2026, 12, 1, 19, 49)


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


def checked(html: str) -> str:
    """The date style the settings page has ticked."""
    return element(html, "input", type="radio", name="date_style", checked=True)["value"]


def shown(style: str | None = None, language: str = "en") -> str:
    """1 December 2026 19:49 as the templates show it: short date | short date and time |
    time."""
    moment = timezone.make_aware(MOMENT)
    with translation.override(language), dates.activate(style):
        return render(
            '{{ d|date:"SHORT_DATE_FORMAT" }} | {{ t|date:"SHORT_DATETIME_FORMAT" }} | {{ t|time }}',
            d=DAY,
            t=moment,
        )


# Formats ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "nb"])
def test_it_shows_day_first_and_24_hour_by_default_in_both_languages(language):
    assert shown(language=language) == "01.12.2026 | 01.12.2026 19:49 | 19:49"


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        (DateStyle.DAY_FIRST, "01.12.2026 | 01.12.2026 19:49 | 19:49"),
        (DateStyle.ISO, "2026-12-01 | 2026-12-01 19:49 | 19:49"),
        (DateStyle.US, "12/01/2026 | 12/01/2026 7:49 p.m. | 7:49 p.m."),
    ],
)
def test_it_shows_each_style(style, expected):
    assert shown(style) == expected


def test_it_shows_the_long_date_in_the_language():
    with translation.override("nb"):
        assert render("{{ d|date }}", d=DAY) == "1. desember 2026"
    with translation.override("en"):
        assert render("{{ d|date }}", d=DAY) == "1 December 2026"


def test_it_leaves_a_format_string_as_it_is():
    with dates.activate(DateStyle.US):
        assert render('{{ d|date:"Y-m-d" }}', d=DAY) == "2026-12-01"


def test_it_takes_an_unknown_style_for_the_default():
    assert shown("1970s") == shown(DateStyle.DAY_FIRST)


@pytest.mark.parametrize("language", ["en", "nb"])
def test_it_reads_day_first_and_iso_dates_and_never_a_slashed_one(language):
    field = forms.DateField()
    with translation.override(language):
        assert field.clean("01.12.2026") == DAY
        assert field.clean("1.12.26") == DAY
        assert field.clean("2026-12-01") == DAY
        with pytest.raises(forms.ValidationError):
            field.clean("12/01/2026")  # 12 January or 1 December: not guessed


# StyleDateField: a text field in the associate's style -----------------------------------


@pytest.mark.parametrize(
    ("style", "typed", "written", "placeholder"),
    [
        (DateStyle.DAY_FIRST, "01.12.2026", "01.12.2026", "dd.mm.yyyy"),
        (DateStyle.ISO, "2026-12-01", "2026-12-01", "yyyy-mm-dd"),
        (DateStyle.US, "12/01/2026", "12/01/2026", "mm/dd/yyyy"),
    ],
)
def test_it_reads_and_writes_a_date_in_the_style(style, typed, written, placeholder):
    class Form(forms.Form):
        start = dates.StyleDateField()

    with translation.override("en"), dates.activate(style):
        form = Form({"start": typed})
        assert form.is_valid(), form.errors
        assert form.cleaned_data == {"start": DAY}
        assert Form({"start": "2026-12-01"}).is_valid()  # a browser's date field
        html = str(Form(initial={"start": DAY})["start"])
    assert element(
        html, "input", type="text", value=written, placeholder=placeholder, inputmode="numeric"
    )


def test_it_reads_01_12_as_the_style_says():
    field = dates.StyleDateField()
    with dates.activate(DateStyle.US):
        assert field.clean("12/01/2026") == DAY
        with pytest.raises(forms.ValidationError):
            field.clean("01.12.2026")
    with dates.activate(DateStyle.DAY_FIRST):
        assert field.clean("01.12.2026") == DAY
        with pytest.raises(forms.ValidationError):
            field.clean("12/01/2026")


def test_it_shows_the_placeholder_in_norwegian():
    with translation.override("nb"), dates.activate(DateStyle.DAY_FIRST):
        html = dates.StyleDateInput().render("start", DAY)
    assert element(html, "input", name="start", placeholder="dd.mm.åååå")


# The settings page -----------------------------------------------------------------------


def test_it_needs_a_login(client):
    response = client.get("/crm/settings/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_it_is_linked_from_the_top_bar(login, salesperson):
    response = login(salesperson).get("/activities/")
    assert element(response, "a", href="/crm/settings/")


def test_it_shows_the_choices_with_an_example(login, salesperson):
    response = login(salesperson).get("/crm/settings/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Day first, 24-hour (01.12.2026 19:49)" in html
    assert "ISO (2026-12-01 19:49)" in html
    assert "US (12/01/2026 7:49 p.m.)" in html
    assert checked(html) == "dmy"
    assert "The browser&#x27;s language" in html


def test_it_shows_the_choices_in_norwegian(login, salesperson):
    client = login(salesperson)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nb"
    html = client.get("/crm/settings/").content.decode()
    assert "Innstillinger" in html
    assert "Dag først, 24 timer (01.12.2026 19:49)" in html


def test_it_saves_the_style_and_the_language(login, salesperson):
    client = login(salesperson)
    response = client.post("/crm/settings/", {"language": "nb", "date_style": "us"})
    assert response.status_code == 302
    assert response["Location"] == "/crm/settings/"
    salesperson.refresh_from_db()
    assert (salesperson.language, salesperson.date_style) == ("nb", "us")
    assert client.session[dates.SESSION_KEY] == "us"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "nb"

    page = client.get("/crm/settings/").content.decode()
    assert "Innstillingene dine er lagret." in page
    assert checked(page) == "us"


def test_it_forgets_the_language_when_left_blank(login, salesperson):
    salesperson.language = "nb"
    salesperson.save()
    response = login(salesperson).post("/crm/settings/", {"language": "", "date_style": "dmy"})
    salesperson.refresh_from_db()
    assert salesperson.language == ""
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""  # deleted


def test_it_refuses_an_unknown_style(login, salesperson):
    response = login(salesperson).post("/crm/settings/", {"language": "", "date_style": "x"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    salesperson.refresh_from_db()
    assert salesperson.date_style == DateStyle.DAY_FIRST


def test_it_checks_ownership(login, salesperson, outsider):
    """The page changes the associate who is logged in, whatever else is posted."""
    client = login(salesperson)
    client.post(
        "/crm/settings/",
        {"language": "en", "date_style": "iso", "id": outsider.pk, "user": outsider.user_id},
    )
    salesperson.refresh_from_db()
    outsider.refresh_from_db()
    assert salesperson.date_style == "iso"
    assert (outsider.date_style, outsider.language, outsider.user_id) == (
        DateStyle.DAY_FIRST,
        "",
        outsider.user.pk,
    )


# The style on the app's pages ------------------------------------------------------------


def test_it_applies_the_style_from_the_login_on(client):
    associate = AssociateFactory(
        user__username="siri", date_style=DateStyle.US, roles=["Salesperson"]
    )
    followup = FollowUpFactory(
        owner=associate, start_date=DAY, created_at=timezone.make_aware(MOMENT)
    )
    response = client.post("/login/", {"username": "siri", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.session[dates.SESSION_KEY] == "us"

    page = client.get(f"/followups/{followup.pk}/").content.decode()
    assert "12/01/2026" in page
    assert "01.12.2026" not in page


def test_it_shows_day_first_for_a_session_without_a_style(login, salesperson):
    followup = FollowUpFactory(
        owner=salesperson, start_date=DAY, created_at=timezone.make_aware(MOMENT)
    )
    page = login(salesperson).get(f"/followups/{followup.pk}/").content.decode()
    assert "01.12.2026" in page


def test_it_applies_a_saved_style_on_the_next_page(login, salesperson):
    followup = FollowUpFactory(
        owner=salesperson, start_date=DAY, created_at=timezone.make_aware(MOMENT)
    )
    client = login(salesperson)
    client.post("/crm/settings/", {"language": "", "date_style": "iso"})
    page = client.get(f"/followups/{followup.pk}/").content.decode()
    assert "2026-12-01" in page


# The language switch on the login page ---------------------------------------------------


def test_it_offers_both_languages_on_the_login_page(client):
    html = client.get("/login/?next=/activities/").content.decode()
    assert element(html, "form", action="/i18n/setlang/")
    assert element(html, "input", name="next", value="/login/?next=/activities/")
    assertInHTML('<strong lang="en" aria-current="true">English</strong>', html)
    norsk = element(html, "button", name="language", value="nb", lang="nb", class_="link-button")
    assert norsk.text == "Norsk bokmål"


def test_it_switches_the_language_before_login(client):
    response = client.post(
        "/i18n/setlang/", {"language": "nb", "next": "/login/?next=/activities/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/activities/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "nb"
    html = client.get(response["Location"]).content.decode()
    assert element(html, "html", lang="nb")
    assert "Logg inn" in html
    english = element(html, "button", name="language", value="en", lang="en", class_="link-button")
    assert english.text == "English"


def test_it_never_sends_the_login_page_elsewhere(client):
    response = client.post("/i18n/setlang/", {"language": "nb", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
