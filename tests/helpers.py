"""Helpers shared by the tests (the fixtures that wrap some of them are in conftest.py).

- Requests and pages: HTMX (the header), text() (what a user reads), elements() and
  element() (markup, attributes in any order), error_next_to() and form_errors().
- Data: dialog_data() (a valid POST of the dialog), add_members() and bulk_members(),
  generation_choices(), day().
- Lists: rows() of a follow-up list. Property tests: rolled_back().
"""

from __future__ import annotations

import contextlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from html import unescape

from django.db import connection, transaction
from django.utils import timezone

# The header htmx sends with every request it makes: client.get(url, headers=HTMX).
HTMX = {"HX-Request": "true"}


def text(source) -> str:
    """What a user reads of a response or of a piece of HTML: <template> contents
    (markup the page only clones) and tags removed, entities decoded, whitespace
    collapsed."""
    html = source if isinstance(source, str) else source.content.decode()
    html = re.sub(r"<template\b.*?</template>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def dialog_data(follow_up_type, **changes) -> dict:
    """A valid POST of the Generate follow-ups dialog (My activity list, every member,
    of `follow_up_type`), with the changes applied; a change to None leaves that field
    out. The `dialog_data` fixture passes the test's call type."""
    data = {
        "key": str(uuid.uuid4()),
        "type": str(follow_up_type.pk),
        "start_date": "2026-03-02",
        "description": "Call about the spring offer",
        "project_text": "",
        "project": "",
        "priority": "",
        "owner_mode": "mine",
        "owner_associate": "",
        "selected_only": "",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def add_members(selection, n: int, *, our_contact) -> list:
    """Bulk-create n members of the selection, cycling through the three kinds: a company
    only, a person at a company, a person with no company. Every company and every person
    with no company has `our_contact`, so each row shows one. (The `add_members` fixture
    gives a new "Eva Owner" when the test names none.)"""
    from crm.models import Company, Person
    from selections.models import SelectionMember

    companies = Company.objects.bulk_create(
        Company(name=f"Company {i:05}", city=f"City {i:05}", our_contact=our_contact)
        for i in range(n)
    )
    persons = Person.objects.bulk_create(
        Person(
            first_name="Person",
            last_name=f"{i:05}",
            company=companies[i] if i % 3 == 1 else None,
            our_contact=our_contact if i % 3 == 2 else None,
        )
        for i in range(n)
    )
    return SelectionMember.objects.bulk_create(
        SelectionMember(
            selection=selection,
            company=companies[i] if i % 3 != 2 else None,
            person=persons[i] if i % 3 != 0 else None,
        )
        for i in range(n)
    )


def bulk_members(selection, n: int, *, our_contact=None, prefix: str = "Bulk") -> int:
    """Add n company-only members to the selection (n new companies) in one or two
    statements; on PostgreSQL one INSERT … SELECT from generate_series, so 20,000 take
    a fraction of a second. Returns how many were added."""
    from crm.models import Company
    from selections.models import SelectionMember

    if connection.vendor == "postgresql":
        company = connection.ops.quote_name(Company._meta.db_table)
        member = connection.ops.quote_name(SelectionMember._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH c AS (INSERT INTO {company} (name, city, category, active, our_contact_id)"
                "  SELECT %s || ' ' || LPAD(g::text, 6, '0'), '', '', TRUE, %s"
                "  FROM generate_series(1, %s) g RETURNING id)"
                f" INSERT INTO {member} (selection_id, company_id, person_id, added_at)"
                " SELECT %s, c.id, NULL, NOW() FROM c ORDER BY c.id",
                [prefix, our_contact.pk if our_contact else None, n, selection.pk],
            )
            return cursor.rowcount
    companies = Company.objects.bulk_create(
        Company(name=f"{prefix} {i:06}", our_contact=our_contact) for i in range(1, n + 1)
    )
    SelectionMember.objects.bulk_create(
        SelectionMember(selection=selection, company=company) for company in companies
    )
    return n


def day(offset: int) -> date:
    """Today (in the site's time zone) plus `offset` days."""
    return timezone.localdate() + timedelta(days=offset)


def rows(source) -> dict[int, str]:
    """{follow-up id: the row's class}, in the order a follow-up list shows them."""
    found = elements(source, "tr", id=re.compile(r"followup-\d+"), class_=True)
    return {int(row["id"].removeprefix("followup-")): row["class"] for row in found}


class _Rollback(Exception):
    pass


@contextlib.contextmanager
def rolled_back():
    """Run one example of a property test in a savepoint that is always rolled back, so
    that every example starts from the same rows."""
    with contextlib.suppress(_Rollback), transaction.atomic():
        yield
        raise _Rollback


def generation_choices(**values) -> dict:
    """The scope and settings of a generation from one set of values, as the keyword
    arguments services.followups_generate takes: followups_generate(…, **generation_choices(…))."""
    from followups.rows import split

    scope, settings = split(values)
    return {"scope": scope, "settings": settings}


# Elements with no end tag: nothing is ever inside them.
VOID_ELEMENTS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
# Elements whose end tag may be left out: the next one of the kind closes the last.
SIBLINGS = {"p": {"p"}, "li": {"li"}, "option": {"option"}, "tr": {"tr"}}
SIBLINGS |= {"td": {"td", "th"}, "th": {"td", "th"}, "dt": {"dt", "dd"}, "dd": {"dt", "dd"}}


@dataclass
class Element:
    """One element of a page, as a browser reads it: its attributes (a valueless one such
    as `checked` is "") and the text inside it (entities decoded, whitespace collapsed);
    `html` is its markup, for looking inside it: elements(row.html, "a")."""

    tag: str
    attrs: dict[str, str]
    text: str = ""
    html: str = field(default="", repr=False)  # the element's own markup, its end tag included
    _parts: list[str] = field(default_factory=list, repr=False, compare=False)
    _start: int = field(default=0, repr=False, compare=False)

    def __getitem__(self, name: str) -> str:
        return self.attrs[name]

    def get(self, name: str, default=None):
        return self.attrs.get(name, default)

    def matches(self, tag: str | None, text: str | None, attrs: dict) -> bool:
        if tag is not None and self.tag != tag:
            return False
        if text is not None and self.text != text:
            return False
        for name, wanted in attrs.items():
            if wanted is True or wanted is False:
                if (name in self.attrs) is not wanted:
                    return False
            elif isinstance(wanted, re.Pattern):
                if name not in self.attrs or not wanted.fullmatch(self.attrs[name]):
                    return False
            elif self.attrs.get(name) != str(wanted):
                return False
        return True


def _attribute(keyword: str) -> str:
    """class_ → class, aria_checked → aria-checked, hx_swap_oob → hx-swap-oob."""
    return keyword.rstrip("_").replace("_", "-")


def elements(source, tag: str | None = None, /, *, text: str | None = None, **attrs):
    """Every element of a response or of a piece of HTML that is a <tag> (any tag if
    None) with the given attributes, in any order and however they are spaced, and, if
    `text` is given, exactly that text inside it. An attribute is named as a keyword
    (class_ for class, aria_checked for aria-checked) or in **{"data-x": …}; a value of
    True means "present", False "absent", a compiled pattern must match the whole value,
    anything else must equal the attribute's value (as a string)."""
    from html.parser import HTMLParser

    html = source if isinstance(source, str) else source.content.decode()
    wanted = {_attribute(name): value for name, value in attrs.items()}
    found: list[Element] = []
    open_elements: list[Element] = []
    line_starts = [0] + [m.end() for m in re.finditer("\n", html)]

    def close(element: Element, end: int | None = None) -> None:
        element.text = re.sub(r"\s+", " ", "".join(element._parts)).strip()
        element.html = html[element._start : len(html) if end is None else end]

    class Finder(HTMLParser):
        def handle_starttag(self, tag_name, pairs):
            if open_elements and open_elements[-1].tag in SIBLINGS.get(tag_name, ()):
                close(open_elements.pop(), self.position())
            element = Element(tag_name, {k: ("" if v is None else v) for k, v in pairs})
            element._start = self.position()
            found.append(element)
            if tag_name in VOID_ELEMENTS:
                element.html = self.get_starttag_text() or ""
            else:
                open_elements.append(element)

        def handle_startendtag(self, tag_name, pairs):
            self.handle_starttag(tag_name, pairs)
            if tag_name not in VOID_ELEMENTS and open_elements:
                start = open_elements[-1]._start
                close(open_elements.pop(), start + len(self.get_starttag_text() or ""))

        def handle_endtag(self, tag_name):
            # An end tag closes its element and any left open inside it (<p>, <li>, …).
            end = html.find(">", self.position()) + 1 or len(html)
            for depth in range(len(open_elements) - 1, -1, -1):
                if open_elements[depth].tag == tag_name:
                    while len(open_elements) > depth + 1:  # left open inside it
                        close(open_elements.pop(), self.position())
                    close(open_elements.pop(), end)
                    return

        def position(self) -> int:
            line, column = self.getpos()
            return line_starts[line - 1] + column

        def handle_data(self, data):
            for element in open_elements:
                element._parts.append(data)

    finder = Finder()
    finder.feed(html)
    finder.close()
    while open_elements:
        close(open_elements.pop())
    return [e for e in found if e.matches(tag, text, wanted)]


def element(source, tag: str | None = None, /, *, text: str | None = None, **attrs) -> Element:
    """The one element elements() finds; an AssertionError if there is none or more."""
    found = elements(source, tag, text=text, **attrs)
    assert len(found) == 1, f"{len(found)} <{tag or '*'}> with {attrs} {text or ''}".rstrip()
    return found[0]


def error_next_to(source, field: str, *, auto_id: str = "id") -> str:
    """The error shown under one field (the block its aria-describedby points to), as a
    user reads it; an AssertionError if there is none. `auto_id` is the form's prefix of
    ids: "id" for id_<field>, "bulk" for bulk_<field>."""
    found = elements(source, "div", class_="errorlist", id=f"{auto_id}_{field}_error")
    assert found, f"no error next to {field}"
    return text(found[0].html)


def form_errors(source) -> str:
    """The errors on top of a form (the whole form's), as a user reads them; "" if there
    are none."""
    found = elements(source, "div", class_="form-errors")
    return text(found[0].html) if found else ""
