#!/usr/bin/env python
"""A bounded load test: gunicorn with several workers on PostgreSQL, 20 simulated users.

    python bench/load.py                  # 120 s, 20 users, 4 workers
    python bench/load.py --seconds 20     # a quick run
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_load python bench/load.py

It migrates and seeds its own database (created if missing; never the app's own), starts
gunicorn on a free port of 127.0.0.1, and runs the users as threads, each with its own
cookies and CSRF token, logged in through /login/. They browse the selection list, a
2,000-member selection, the activity list and the counters, and now and then open the
Generate follow-ups dialog, preview and save (sometimes saving twice with the same
one-time key, as a double click does). The run stops after --seconds, whatever happens.

Afterwards: requests, errors (a status of 500 or more, or no answer), requests per
second and p50/p95 latency per kind, and the check that the follow-ups in the database
are exactly the sum of the generations' created_count. The exit status is 1 if that
check fails, if any request failed, or if any save did not save. Prints a table and
writes bench/results/load.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/crm_load"
HOST = "127.0.0.1"  # loopback only
PASSWORD = "load-pass-123"
SELECTION_NAME = "Load 2000"
MEMBERS = 2_000
REQUEST_TIMEOUT = 60  # seconds, per request
GRACE = 30  # seconds after the deadline for requests under way to finish

# What a user does next, and how often (weights).
ACTIONS = {
    "selection_list": 15,
    "selection_page": 25,
    "activity_list": 25,
    "counters": 30,
    "generate": 5,
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120, help="how long the users run")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "load.json"))
    return parser.parse_args()


# --- the database and the app --------------------------------------------------------


def environment(database_url: str) -> dict:
    """The production-like environment that both this script and gunicorn run with."""
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "BEHIND_TLS_PROXY"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        PLAIN_STATIC="true",  # no collectstatic needed; no static file is fetched
        LOG_LEVEL="WARNING",
        AXES_FAILURE_LIMIT="1000",  # 20 users log in from one address
    )
    return env


def create_database(database_url: str) -> None:
    import psycopg

    url = urllib.parse.urlsplit(database_url)
    name = url.path.lstrip("/")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def setup_django(env: dict) -> None:
    os.environ.update(env)
    os.environ.pop("DEBUG", None)
    import django

    django.setup()


def seed(users: int) -> dict:
    """Associates load01…, a 2,000-member selection and a few small ones; no follow-up
    and no generation, so the final check covers this run only."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection, transaction

    from crm.models import Associate, Company, UserGroup
    from followups.models import FollowUpType
    from selections.models import Selection, SelectionMember, Visibility

    call_command("migrate", interactive=False, verbosity=0)
    User = get_user_model()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE followups_followup, followups_generation, django_session,"
                " axes_accessattempt RESTART IDENTITY CASCADE"
            )
        group, _ = UserGroup.objects.get_or_create(name="Load")
        password = make_password(PASSWORD)  # one hash for all: logins cost the same
        names = [f"load{i:02}" for i in range(1, users + 1)]
        existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
        User.objects.bulk_create(
            User(username=n, first_name="Load", last_name=n[4:], password=password)
            for n in names
            if n not in existing
        )
        accounts = list(User.objects.filter(username__in=names).order_by("username"))
        User.objects.filter(username__in=names).update(password=password, is_active=True)
        Associate.objects.bulk_create(
            [
                Associate(user=u, primary_group=group)
                for u in accounts
                if not hasattr(u, "associate")
            ]
        )
        salesperson, manager = (
            Group.objects.get(name="Salesperson"),
            Group.objects.get(name="Sales manager"),
        )
        for i, user in enumerate(accounts):
            user.groups.set([manager if i % 4 == 0 else salesperson])
        associates = list(Associate.objects.filter(user__in=accounts).order_by("user__username"))

        selection = Selection.objects.filter(name=SELECTION_NAME).first()
        if selection is None or selection.members.count() != MEMBERS:
            Selection.objects.filter(name__startswith="Load ").delete()
            Company.objects.filter(name__startswith="Load company ").delete()
            companies = Company.objects.bulk_create(
                Company(
                    name=f"Load company {i:05}",
                    city="Oslo",
                    our_contact=associates[i % len(associates)],
                )
                for i in range(MEMBERS)
            )
            selection = Selection.objects.create(
                name=SELECTION_NAME, owner=associates[0], visibility=Visibility.EVERYONE
            )
            SelectionMember.objects.bulk_create(
                SelectionMember(selection=selection, company=c) for c in companies
            )
            for n in range(5):
                small = Selection.objects.create(
                    name=f"Load small {n}", owner=associates[n], visibility=Visibility.EVERYONE
                )
                SelectionMember.objects.bulk_create(
                    SelectionMember(selection=small, company=c)
                    for c in companies[n * 50 : n * 50 + 50]
                )
        type_id = FollowUpType.objects.active().values_list("pk", flat=True).first()
    connection.close()
    return {
        "usernames": [a.user.username for a in associates],
        "managers": {
            a.user.username
            for a in associates
            if a.user.groups.filter(name="Sales manager").exists()
        },
        "selection": selection.pk,
        "type": type_id,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict, workers: int, port: int, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "w")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi",
            # The production configuration (timeouts, access log); workers, address and
            # a quick stop are this run's own.
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "-w",
            str(workers),
            "-b",
            f"{HOST}:{port}",
            "--graceful-timeout",
            "10",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process.log = log
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}); see {log_path}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/login/")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"gunicorn did not answer within 60 s; see {log_path}")


def stop_gunicorn(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    process.log.close()


# --- a simulated user --------------------------------------------------------------


class Session:
    """One browser: its cookies, its CSRF token, one connection per request (gunicorn's
    sync workers close the connection after each answer)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    @property
    def csrf(self) -> str:
        return self.cookies.get("csrftoken", "")

    def request(self, method: str, path: str, data=None, headers=None):
        body = urllib.parse.urlencode(data, doseq=True) if data is not None else None
        all_headers = {"Host": f"{HOST}:{self.port}", **(headers or {})}
        if body is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            content = response.read()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response, content.decode("utf-8", "replace")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.unexpected: list[str] = []
        self.generations: dict[int, int] = {}  # id → count, from the saves that created
        self.saves = self.saves_again = self.failed_saves = 0

    def record(self, kind: str, seconds: float, error: bool) -> None:
        with self.lock:
            self.latency[kind].append(seconds)
            if error:
                self.errors[kind] += 1


class User:
    def __init__(self, username: str, world: dict, port: int, stats: Stats, rng: random.Random):
        self.username, self.world, self.stats, self.rng = username, world, stats, rng
        self.session = Session(port)
        self.manager = username in world["managers"]

    def call(self, kind, method, path, data=None, headers=None, expect=(200,)):
        started = time.perf_counter()
        try:
            response, html = self.session.request(method, path, data, headers)
        except (OSError, http.client.HTTPException) as error:
            self.stats.record(kind, time.perf_counter() - started, error=True)
            with self.stats.lock:
                self.stats.unexpected.append(f"{kind}: {type(error).__name__}: {error}")
            return None, ""
        self.stats.record(kind, time.perf_counter() - started, error=response.status >= 500)
        if response.status not in expect:
            with self.stats.lock:
                self.stats.unexpected.append(f"{kind} {method} {path}: {response.status}")
        return response, html

    def htmx(self) -> dict:
        return {"HX-Request": "true", "X-CSRFToken": self.session.csrf}

    def login(self) -> bool:
        self.call("login_page", "GET", "/login/")
        response, _ = self.call(
            "login",
            "POST",
            "/login/",
            {
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.session.csrf,
                "next": "/selections/",
            },
            expect=(302,),
        )
        return response is not None and response.status == 302

    def act(self) -> None:
        kind = self.rng.choices(list(ACTIONS), weights=list(ACTIONS.values()))[0]
        selection = self.world["selection"]
        if kind == "selection_list":
            self.call(kind, "GET", "/selections/")
        elif kind == "selection_page":
            page = self.rng.randint(1, MEMBERS // 100)
            self.call(kind, "GET", f"/selections/{selection}/?page={page}")
        elif kind == "activity_list":
            self.call(kind, "GET", "/activities/")
        elif kind == "counters":
            self.call(kind, "GET", "/activities/counters/", headers=self.htmx())
        else:
            self.generate(selection)

    def generate(self, selection: int) -> None:
        _, html = self.call(
            "dialog", "GET", f"/selections/{selection}/followups/new/", headers=self.htmx()
        )
        found = re.search(r'name="key" value="([0-9a-f-]{36})"', html) or re.search(
            r'value="([0-9a-f-]{36})"[^>]*name="key"', html
        )
        if not found:
            with self.stats.lock:
                self.stats.unexpected.append("dialog: no one-time key in the dialog")
            return
        owner_mode = "our_contact" if self.manager and self.rng.random() < 0.5 else "mine"
        data = {
            "key": found.group(1),
            "type": self.world["type"],
            "start_date": (
                dt.date.today() + dt.timedelta(days=self.rng.randint(-3, 20))
            ).isoformat(),
            "description": f"Load test by {self.username}",
            "project_text": "",
            "project": "",
            "priority": "",
            "owner_mode": owner_mode,
            "owner_associate": "",
            "selected_only": "",
        }
        self.call(
            "preview", "POST", f"/selections/{selection}/followups/preview/", data, self.htmx()
        )
        save = f"/selections/{selection}/followups/"
        response, html = self.call("save", "POST", save, data, self.htmx())
        event = self.saved(response, html)
        if event is None:
            return
        with self.stats.lock:
            self.stats.saves += 1
            if event["new"]:
                self.stats.generations[event["generation"]] = event["count"]
        if self.rng.random() < 0.2:  # a double click: the same key again creates nothing
            response, html = self.call("save_again", "POST", save, data, self.htmx())
            again = self.saved(response, html)
            with self.stats.lock:
                self.stats.saves_again += 1
                if again is None or again["new"] or again["generation"] != event["generation"]:
                    self.stats.unexpected.append(f"save_again: {again} after {event}")

    def saved(self, response, html: str):
        if response is None or response.status != 200 or "HX-Trigger" not in response.headers:
            with self.stats.lock:
                self.stats.failed_saves += 1
                if response is not None and response.status < 500:
                    errors = re.search(r'class="form-errors"[^>]*>(.*?)</div>', html, re.S)
                    shown = re.sub(r"<[^>]+>|\s+", " ", errors.group(1)) if errors else ""
                    self.stats.unexpected.append(
                        f"save did not save: {response.status} {shown.strip()}"
                    )
            return None
        return json.loads(response.headers["HX-Trigger"])["followupsCreated"]

    def run(self, deadline: float) -> None:
        if not self.login():
            with self.stats.lock:
                self.stats.unexpected.append(f"{self.username} could not log in")
            return
        while time.monotonic() < deadline:
            self.act()


# --- after the run -------------------------------------------------------------------


def check_database(stats: Stats) -> dict:
    from django.db import connection
    from django.db.models import Count, F, Sum

    from followups.models import FollowUp, Generation

    connection.close()
    followups = FollowUp.objects.count()
    generations = Generation.objects.count()
    total = Generation.objects.aggregate(total=Sum("created_count"))["total"] or 0
    mismatched = list(
        Generation.objects.annotate(owned=Count("followups"))
        .exclude(owned=F("created_count"))
        .values_list("pk", "created_count", "owned")[:10]
    )
    seen = stats.generations
    return {
        "followups": followups,
        "generations": generations,
        "sum_created_count": total,
        "followups_equal_sum": followups == total,
        "generations_not_matching_their_followups": mismatched,
        "generations_reported_by_saves": len(seen),
        "generations_match_saves": generations == len(seen)
        and set(Generation.objects.values_list("pk", flat=True)) == set(seen),
        "ok": followups == total and not mismatched and generations == len(seen),
    }


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summarise(stats: Stats, elapsed: float) -> dict:
    kinds = {}
    for kind, values in sorted(stats.latency.items()):
        kinds[kind] = {
            "requests": len(values),
            "errors": stats.errors.get(kind, 0),
            "p50_ms": round(percentile(values, 50) * 1000, 1),
            "p95_ms": round(percentile(values, 95) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1),
            "mean_ms": round(statistics.fmean(values) * 1000, 1),
        }
    every = [v for values in stats.latency.values() for v in values]
    requests = len(every)
    return {
        "requests": requests,
        "errors": sum(stats.errors.values()),
        "unexpected": len(stats.unexpected),
        "seconds": round(elapsed, 1),
        "requests_per_second": round(requests / elapsed, 1) if elapsed else 0,
        "p50_ms": round(percentile(every, 50) * 1000, 1),
        "p95_ms": round(percentile(every, 95) * 1000, 1),
        "saves": stats.saves,
        "saves_again": stats.saves_again,
        "failed_saves": stats.failed_saves,
        "kinds": kinds,
    }


def print_table(summary: dict, check: dict, args) -> None:
    print()
    print(f"{'kind':<16}{'requests':>10}{'errors':>8}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for kind, row in summary["kinds"].items():
        print(
            f"{kind:<16}{row['requests']:>10}{row['errors']:>8}"
            f"{row['p50_ms']:>10}{row['p95_ms']:>10}{row['max_ms']:>10}"
        )
    print(
        f"{'all':<16}{summary['requests']:>10}{summary['errors']:>8}"
        f"{summary['p50_ms']:>10}{summary['p95_ms']:>10}"
    )
    print()
    print(
        f"{args.users} users, {args.workers} gunicorn workers, {summary['seconds']} s: "
        f"{summary['requests_per_second']} requests/s, {summary['errors']} errors, "
        f"{summary['unexpected']} unexpected answers, {summary['failed_saves']} saves that did not save"
    )
    print(
        f"generations {check['generations']} (saves reported {check['generations_reported_by_saves']}),"
        f" follow-ups {check['followups']}, sum of created_count {check['sum_created_count']}:"
        f" {'OK' if check['ok'] else 'MISMATCH'}"
    )


def main() -> int:
    args = parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    if not database_url.startswith(("postgres://", "postgresql://")):
        print("BENCH_DATABASE_URL must be a PostgreSQL URL", file=sys.stderr)
        return 2
    results_dir = Path(args.json).parent
    results_dir.mkdir(parents=True, exist_ok=True)
    env = environment(database_url)
    create_database(database_url)
    setup_django(env)
    print("migrating and seeding …", flush=True)
    world = seed(args.users)
    port = free_port()
    log_path = results_dir / "load-gunicorn.log"
    gunicorn = start_gunicorn(env, args.workers, port, log_path)
    stats = Stats()
    try:
        print(
            f"gunicorn on http://{HOST}:{port} ({args.workers} workers); "
            f"{args.users} users for {args.seconds:g} s …",
            flush=True,
        )
        started = time.monotonic()
        deadline = started + args.seconds
        rng = random.Random(args.seed)
        users = [
            User(name, world, port, stats, random.Random(rng.random()))
            for name in world["usernames"][: args.users]
        ]
        threads = [
            threading.Thread(target=u.run, args=(deadline,), name=u.username, daemon=True)
            for u in users
        ]
        for thread in threads:
            thread.start()
        for thread in threads:  # the hard stop: nobody is waited for past the grace
            thread.join(timeout=max(0.0, deadline + GRACE - time.monotonic()))
        elapsed = time.monotonic() - started
        stuck = [t.name for t in threads if t.is_alive()]
        if stuck:
            stats.unexpected.append(f"still running at the hard stop: {stuck}")
    finally:
        stop_gunicorn(gunicorn)

    summary = summarise(stats, elapsed)
    check = check_database(stats)
    print_table(summary, check, args)
    for line in stats.unexpected[:20]:
        print("  unexpected:", line)
    failed = bool(summary["errors"] or summary["unexpected"] or summary["failed_saves"])
    failed = failed or not check["ok"] or not summary["saves"]
    result = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "settings": {
            "seconds": args.seconds,
            "users": args.users,
            "workers": args.workers,
            "members": MEMBERS,
            "actions": ACTIONS,
        },
        "summary": summary,
        "check": check,
        "unexpected": stats.unexpected[:100],
        "ok": not failed,
        "environment": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "database": urllib.parse.urlsplit(database_url)._replace(netloc="…").geturl(),
        },
    }
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.json}; {'OK' if not failed else 'FAILED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
