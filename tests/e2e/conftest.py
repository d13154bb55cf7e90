"""Real-browser tests: Playwright driving Debian's Chromium against Django's live_server.

See /work/shared/E2E.md for the recipe. Every test in this folder is marked `e2e`
(`make e2e` / `pytest -m e2e` runs only these; `-m "not e2e"` leaves them out).

Without /usr/bin/chromium the tests are skipped, unless E2E_REQUIRED=1 (set by CI),
in which case they fail with the same message.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.signals import request_finished, request_started
from playwright.sync_api import Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from demo.factories import (
    DEMO_PASSWORD,
    AssociateFactory,
    CompanyFactory,
    PersonFactory,
    ProjectFactory,
    SelectionFactory,
    SelectionMemberFactory,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_MISSING = f"Chromium not found at {CHROMIUM}: apt-get install chromium"
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A conftest's hook sees the whole session's items: mark only those in this folder.
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def playwright(django_db_setup, _pw_api_request_contexts) -> Iterator:
    """pytest-playwright's session fixture, adapted to Django.

    Playwright's sync API keeps an asyncio event loop running in the main thread. Two
    consequences, both handled here for the browser tests only:

    - Django raises SynchronousOnlyOperation on every ORM call (fixtures, the flush
      between tests): DJANGO_ALLOW_ASYNC_UNSAFE is set while Playwright runs.
    - Django's connection handler keeps per-context connections while a loop runs, so
      after the start the tests use new connection objects, without the test database's
      serialized contents that serialized rollback restores (see `_e2e_database`):
      they are copied over. This is why the test database is set up first.
    """
    from django.db import connections

    serialized = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        pw = sync_playwright().start()
        if _pw_api_request_contexts:  # --tracing, as in pytest-playwright's own fixture
            _pw_api_request_contexts.instrument(pw)
        for alias, contents in serialized.items():
            connections[alias]._test_serialized_contents = contents
        try:
            yield pw
        finally:
            connections.close_all()  # the connections opened while the loop ran
            pw.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not CHROMIUM.exists():
        if os.environ.get("E2E_REQUIRED") == "1":
            pytest.fail(CHROMIUM_MISSING, pytrace=False)
        pytest.skip(CHROMIUM_MISSING)
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        # pytest-playwright only sets headless=False for --headed; be explicit otherwise.
        "headless": browser_type_launch_args.get("headless", True),
        "args": [
            *browser_type_launch_args.get("args", []),
            "--no-sandbox",  # the tests run as root
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(autouse=True)
def _e2e_database(django_db_serialized_rollback: None) -> None:
    """live_server tests use a transactional database that is flushed after each test.

    The flush would also remove what data migrations created (the roles: "Salesperson",
    "Sales manager", "Read only"); serialized rollback restores the migrated contents
    before each browser test, so AssociateFactory(roles=[...]) finds its groups.
    """


@pytest.fixture(autouse=True)
def _settle_requests(request: pytest.FixtureRequest) -> Iterator[None]:
    """Let the browser's requests in flight finish before the test's teardown flushes the
    database (an htmx request still being served then races the flush). Only for tests
    that use a page."""
    if "page" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("live_server")
    request.getfixturevalue("transactional_db")
    page: Page = request.getfixturevalue("page")
    pending: set = set()
    page.on("request", lambda r: pending.add(r))
    page.on("requestfinished", lambda r: pending.discard(r))
    page.on("requestfailed", lambda r: pending.discard(r))
    serving = _Serving()
    request_started.connect(serving.started)
    # Connected after Django's own receivers: called once the connections are closed.
    request_finished.connect(serving.finished)
    try:
        yield
        if page.is_closed():
            return
        deadline = time.monotonic() + 5
        while pending and time.monotonic() < deadline:
            # The next request to finish; a failed one is seen within 0.1 s.
            with contextlib.suppress(PlaywrightTimeoutError):
                page.wait_for_event("requestfinished", timeout=100)
        serving.wait_idle(timeout=5)  # the server thread has closed its connections
    finally:
        request_started.disconnect(serving.started)
        request_finished.disconnect(serving.finished)


class _Serving:
    """How many requests the live server is answering (Django's request_started and
    request_finished signals, sent in the server's threads)."""

    def __init__(self) -> None:
        self.count = 0
        self.changed = threading.Condition()

    def started(self, **kwargs) -> None:
        with self.changed:
            self.count += 1

    def finished(self, **kwargs) -> None:
        with self.changed:
            self.count = max(0, self.count - 1)
            self.changed.notify_all()

    def wait_idle(self, timeout: float) -> None:
        with self.changed:
            self.changed.wait_for(lambda: self.count == 0, timeout=timeout)


@pytest.fixture
def live_url(live_server) -> str:
    """The live server's root URL, without a trailing slash (e.g. http://localhost:41234)."""
    return live_server.url


@pytest.fixture
def logged_in_page(page: Page, live_url: str) -> Callable[..., Page]:
    """logged_in_page(associate) logs in through the real login form and returns the page."""

    def _login(associate) -> Page:
        page.goto(f"{live_url}/login/")
        page.get_by_label("Username").fill(associate.user.username)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        # The login view redirects away from /login/ once the credentials are accepted.
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        return page

    return _login


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path | None]:
    """screenshot(page, name) saves docs/screenshots/<name>.png, only when SCREENSHOTS=1."""

    def _screenshot(page: Page, name: str) -> Path | None:
        if os.environ.get("SCREENSHOTS") != "1":
            return None
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _screenshot


@pytest.fixture
def colleague(group):
    """A second salesperson in olav's user group ("Other associate" may pick her)."""
    return AssociateFactory(
        user__username="siri",
        user__first_name="Siri",
        user__last_name="Berg",
        primary_group=group,
        roles=["Salesperson"],
    )


@pytest.fixture
def crm_world(salesperson, manager, colleague, outsider):
    """A selection "Kunder Oslo" (visible to everyone, owned by olav) with five members,
    in this order:

    1. Ola Nordmann at Aker Bygg AS        (Aker's our contact: olav)
    2. Kari Hansen at Bryggen Handel AS    (Bryggen's our contact: siri)
    3. Per Olsen at Aker Bygg AS           (second member of Aker)
    4. Dovre Data AS, company only         (no our contact)
    5. Eva Lund, a person with no company  (her own our contact: siri)

    so four "companies"; and the projects "Nordlys Drift", "Nordlys Utvidelse" (active),
    "Nordlys Arkiv" (inactive) and "Sørlandet".
    """
    aker = CompanyFactory(name="Aker Bygg AS", city="Oslo", our_contact=salesperson)
    bryggen = CompanyFactory(name="Bryggen Handel AS", city="Bergen", our_contact=colleague)
    dovre = CompanyFactory(name="Dovre Data AS", city="Lillehammer", our_contact=None)
    ola = PersonFactory(first_name="Ola", last_name="Nordmann", company=aker)
    kari = PersonFactory(first_name="Kari", last_name="Hansen", company=bryggen)
    per = PersonFactory(first_name="Per", last_name="Olsen", company=aker)
    eva = PersonFactory(first_name="Eva", last_name="Lund", company=None, our_contact=colleague)
    selection = SelectionFactory(name="Kunder Oslo", owner=salesperson)
    members = [
        SelectionMemberFactory(selection=selection, person=ola),
        SelectionMemberFactory(selection=selection, person=kari),
        SelectionMemberFactory(selection=selection, person=per),
        SelectionMemberFactory(selection=selection, person=None, company=dovre),
        SelectionMemberFactory(selection=selection, person=eva),
    ]
    projects = SimpleNamespace(
        drift=ProjectFactory(name="Nordlys Drift", number="P-100"),
        utvidelse=ProjectFactory(name="Nordlys Utvidelse", number="P-101"),
        arkiv=ProjectFactory(name="Nordlys Arkiv", number="P-099", active=False),
        sor=ProjectFactory(name="Sørlandet", number="P-200"),
    )
    return SimpleNamespace(
        selection=selection,
        members=members,
        companies=SimpleNamespace(aker=aker, bryggen=bryggen, dovre=dovre),
        persons=SimpleNamespace(ola=ola, kari=kari, per=per, eva=eva),
        projects=projects,
        salesperson=salesperson,
        manager=manager,
        colleague=colleague,
        outsider=outsider,
    )
