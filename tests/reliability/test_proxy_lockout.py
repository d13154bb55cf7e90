"""Login throttling behind the TLS proxy: django-axes counts failures per username and
client address, the address being the one the proxy appended to X-Forwarded-For.

The requests come from the proxy (REMOTE_ADDR) with the header the proxy passes on: what
the client sent, if anything, then the address the proxy received the request from.
Settings are read when the module is imported, so the tests override the AXES_* values
it derives from PROXY_COUNT; the first tests prove they are the module's own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from demo.factories import DEMO_PASSWORD
from tests.helpers import text

ROOT = Path(__file__).resolve().parents[2]
PROXY = "10.0.0.1"  # the TLS proxy, as the app sees it
ATTACKER = "203.0.113.5"
ANNA = "198.51.100.7"
WRONG = {"username": "anna", "password": "wrong"}
RIGHT = {"username": "anna", "password": DEMO_PASSWORD}


def settings_with(**env) -> dict:
    """The ipware settings config/settings.py derives from this environment."""
    code = (
        "import json, config.settings as s;"
        "print(json.dumps([s.AXES_IPWARE_META_PRECEDENCE_ORDER, s.AXES_IPWARE_PROXY_COUNT,"
        " s.AXES_IPWARE_PROXY_ORDER, s.IPWARE_STRICT]))"
    )
    environ = {k: v for k, v in os.environ.items() if k != "PROXY_COUNT"} | env
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    precedence, count, order, strict = json.loads(out.stdout)
    return {
        "AXES_IPWARE_META_PRECEDENCE_ORDER": tuple(precedence),
        "AXES_IPWARE_PROXY_COUNT": count,
        "AXES_IPWARE_PROXY_ORDER": order,
        "IPWARE_STRICT": strict,
    }


BEHIND_ONE_PROXY = {
    "AXES_IPWARE_META_PRECEDENCE_ORDER": ("HTTP_X_FORWARDED_FOR",),
    "AXES_IPWARE_PROXY_COUNT": 0,  # ipware counts the proxies listed in the header
    "AXES_IPWARE_PROXY_ORDER": "left-most",
    "IPWARE_STRICT": False,
}
BEHIND_TWO_PROXIES = BEHIND_ONE_PROXY | {"AXES_IPWARE_PROXY_COUNT": 1}
DIRECT = BEHIND_ONE_PROXY | {
    "AXES_IPWARE_META_PRECEDENCE_ORDER": ("REMOTE_ADDR",),
    "AXES_IPWARE_PROXY_COUNT": None,
}


def configure(settings, values: dict) -> None:
    for name, value in values.items():
        setattr(settings, name, value)


def via_proxy(forwarded_for: str, data: dict, *, client: Client | None = None):
    client = client or Client()
    return client.post(
        reverse("login"), data, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for
    )


def locked(response) -> bool:
    return response.status_code == 429 and "Too many attempts" in text(response.content.decode())


def logged_in(response, client: Client) -> bool:
    return response.status_code == 302 and "_auth_user_id" in client.session


def test_it_reads_the_address_as_these_tests_do():
    assert settings_with(PROXY_COUNT="1") == BEHIND_ONE_PROXY
    assert settings_with(PROXY_COUNT="2") == BEHIND_TWO_PROXIES
    assert settings_with() == settings_with(PROXY_COUNT="0") == DIRECT


def test_it_has_ipware_installed():
    # Without django-ipware, axes silently uses REMOTE_ADDR: the proxy for every client.
    from axes.helpers import IPWARE_INSTALLED

    assert IPWARE_INSTALLED


def test_it_locks_only_the_attacker_and_anna(settings, manager):
    configure(settings, BEHIND_ONE_PROXY)
    for _ in range(4):
        assert via_proxy(f"6.6.6.6, {ATTACKER}", WRONG).status_code == 200
    assert locked(via_proxy(f"6.6.6.6, {ATTACKER}", WRONG))

    assert locked(via_proxy(ATTACKER, RIGHT))
    assert set(AccessAttempt.objects.values_list("username", "ip_address")) == {("anna", ATTACKER)}
    # Anna, from her own address and through the same proxy, logs in.
    anna = Client()
    assert logged_in(via_proxy(ANNA, RIGHT, client=anna), anna)


def test_it_does_not_let_a_forged_leftmost_address_escape_the_lockout(settings, manager):
    configure(settings, BEHIND_ONE_PROXY)
    for _ in range(5):
        via_proxy(ATTACKER, WRONG)

    for forged in ("7.7.7.7", ANNA, "not-an-address", "127.0.0.1, 8.8.8.8", ""):
        client = Client()
        response = via_proxy(f"{forged}, {ATTACKER}", RIGHT, client=client)
        assert locked(response), forged
        assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get().ip_address == ATTACKER


def test_it_does_not_lock_anna_out_for_a_stranger_claiming_her_address(settings, manager):
    configure(settings, BEHIND_ONE_PROXY)
    for _ in range(5):
        via_proxy(f"{ANNA}, {ATTACKER}", WRONG)

    anna = Client()
    assert logged_in(via_proxy(ANNA, RIGHT, client=anna), anna)


def test_it_takes_the_address_the_outer_proxy_appended_behind_two_proxies(settings, manager):
    configure(settings, BEHIND_TWO_PROXIES)
    for _ in range(5):
        # The client forged 6.6.6.6; the outer proxy appended the attacker, the inner one
        # the outer proxy's address; REMOTE_ADDR is the inner proxy.
        via_proxy(f"6.6.6.6, {ATTACKER}, 10.0.0.2", WRONG)

    assert AccessAttempt.objects.get().ip_address == ATTACKER
    assert locked(via_proxy(f"9.9.9.9, {ATTACKER}, 10.0.0.2", RIGHT))
    anna = Client()
    assert logged_in(via_proxy(f"{ANNA}, 10.0.0.2", RIGHT, client=anna), anna)


@pytest.mark.parametrize("forwarded_for", ["", ATTACKER])
def test_it_ignores_the_header_without_a_proxy(settings, manager, forwarded_for):
    configure(settings, DIRECT)
    client = Client()
    client.post(
        reverse("login"), WRONG, REMOTE_ADDR="192.0.2.9", HTTP_X_FORWARDED_FOR=forwarded_for
    )

    assert AccessAttempt.objects.get().ip_address == "192.0.2.9"


def test_it_counts_requests_without_the_header_as_one_address(settings, manager):
    # Only a request that bypassed the proxy has no header: the app must not be reachable
    # that way. They are throttled together, apart from those through the proxy.
    configure(settings, BEHIND_ONE_PROXY)
    for _ in range(5):
        Client().post(reverse("login"), WRONG, REMOTE_ADDR=PROXY)

    assert locked(Client().post(reverse("login"), RIGHT, REMOTE_ADDR="192.0.2.9"))
    anna = Client()
    assert logged_in(via_proxy(ANNA, RIGHT, client=anna), anna)
