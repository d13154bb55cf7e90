"""A bounded load test with Locust: gunicorn with several workers on PostgreSQL, 20 users.

    make load                                   # 180 s, 20 users, 4 gunicorn workers
    make load LOAD_SECONDS=20                   # a quick run
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_load make load

which runs

    locust -f bench/locustfile.py --headless -u 20 -r 20 --run-time 180s --stop-timeout 30

When Locust starts, this file migrates and seeds its own database (created if missing;
never the app's own) and starts gunicorn (--gunicorn-workers, default 4) on a free port of
127.0.0.1; the users go nowhere else. Each user has its own cookies and CSRF token and
logs in through /login/. They browse the selection list, a 2,000-member selection, the
activity list and the counters, and now and then open the Generate follow-ups dialog,
preview and save (sometimes saving twice with the same one-time key, as a double click
does). Locust stops the users after --run-time, and waits at most --stop-timeout for
those still in a task.

Afterwards: Locust's table of requests, failures and latency per kind, and the check in
SQL that the follow-ups in the database are exactly the sum of the generations'
created_count, each generation with as many follow-ups as it counted, and exactly the
generations the saves reported. The exit status is 1 if that check fails, if any request
failed (a status of 500 or more, one other than expected, or no answer), if any save did
not save, or if nothing was saved. The summary is also written to bench/results/load.json.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import IO

from locust import HttpUser, between, events, task
from locust.exception import StopUser

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/crm_load"
HOST = "127.0.0.1"  # loopback only
PASSWORD = "load-pass-123"
SELECTION_NAME = "Load 2000"
MEMBERS = 2_000
REQUEST_TIMEOUT = 60  # seconds, per request
RESULTS = ROOT / "bench" / "results"


class Run:
    """What this run set up, and what its users saw."""

    env: dict[str, str] = {}
    gunicorn: subprocess.Popen | None = None
    gunicorn_log: IO[str] | None = None
    world: dict = {}
    usernames: itertools.cycle | None = None
    seeds = itertools.count(1)  # each user its own random sequence, the same each run
    generations: dict[int, int] = {}  # id → count, from the saves that created one
    saves = saves_again = failed_saves = 0
    unexpected: list[str] = []


# --- the database and the app --------------------------------------------------------


def app_environment(database_url: str) -> dict[str, str]:
    """The production-like environment that both this process and gunicorn run with."""
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "BEHIND_TLS_PROXY"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        PLAIN_STATIC="true",  # no collectstatic needed; no static file is fetched
        LOG_LEVEL="WARNING",
        AXES_FAILURE_LIMIT="1000",  # every user logs in from one address
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


def setup_django(env: dict[str, str]) -> None:
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


def start_gunicorn(env: dict[str, str], workers: int, port: int, log_path: Path):
    import http.client

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
    Run.gunicorn_log = log
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
    if Run.gunicorn_log is not None:
        Run.gunicorn_log.close()


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    parser.add_argument("--gunicorn-workers", type=int, default=4, help="gunicorn workers")


@events.init.add_listener
def _set_up(environment, **_kwargs) -> None:
    """Before any user starts: the database, the seed and gunicorn; the users' host."""
    options = environment.parsed_options
    database_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("BENCH_DATABASE_URL must be a PostgreSQL URL")
    RESULTS.mkdir(parents=True, exist_ok=True)
    users = options.num_users or 1
    Run.env = environment_vars = app_environment(database_url)
    create_database(database_url)
    setup_django(environment_vars)
    print("migrating and seeding …", flush=True)
    Run.world = seed(users)
    Run.usernames = itertools.cycle(Run.world["usernames"])
    port = free_port()
    Run.gunicorn = start_gunicorn(
        environment_vars, options.gunicorn_workers, port, RESULTS / "load-gunicorn.log"
    )
    environment.host = SalesUser.host = f"http://{HOST}:{port}"
    print(f"gunicorn on {environment.host} ({options.gunicorn_workers} workers)", flush=True)


@events.quitting.add_listener
def _check(environment, **_kwargs) -> None:
    """After the users: stop gunicorn, check the database, set the exit status."""
    if Run.gunicorn is not None:
        stop_gunicorn(Run.gunicorn)
    check = check_database()
    total = environment.stats.total
    failed = bool(total.num_failures or Run.unexpected or Run.failed_saves)
    failed = failed or not check["ok"] or not Run.saves
    print()
    print(
        f"{total.num_requests} requests, {total.num_failures} failed,"
        f" {Run.saves} saves ({Run.saves_again} saved twice), {Run.failed_saves} that did not save"
    )
    print(
        f"generations {check['generations']} (saves reported"
        f" {check['generations_reported_by_saves']}), follow-ups {check['followups']},"
        f" sum of created_count {check['sum_created_count']}:"
        f" {'OK' if check['ok'] else 'MISMATCH'}"
    )
    for line in Run.unexpected[:20]:
        print("  unexpected:", line)
    result = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "settings": {
            "users": environment.parsed_options.num_users,
            "run_time": environment.parsed_options.run_time,
            "gunicorn_workers": environment.parsed_options.gunicorn_workers,
            "members": MEMBERS,
        },
        "summary": {
            "requests": total.num_requests,
            "failures": total.num_failures,
            "requests_per_second": round(total.total_rps, 1),
            "p50_ms": total.get_response_time_percentile(0.5),
            "p95_ms": total.get_response_time_percentile(0.95),
            "saves": Run.saves,
            "saves_again": Run.saves_again,
            "failed_saves": Run.failed_saves,
        },
        "check": check,
        "unexpected": Run.unexpected[:100],
        "ok": not failed,
    }
    (RESULTS / "load.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS / 'load.json'}; {'OK' if not failed else 'FAILED'}")
    environment.process_exit_code = 1 if failed else 0


def check_database() -> dict:
    """Follow-ups = the sum of the generations' counts; each generation has as many
    follow-ups as it counted; the generations are exactly those the saves reported."""
    from django.db import connection

    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM followups_followup")
        (followups,) = cursor.fetchone()
        cursor.execute("SELECT count(*), coalesce(sum(created_count), 0) FROM followups_generation")
        generations, total = cursor.fetchone()
        cursor.execute(
            "SELECT g.id, g.created_count, count(f.id) FROM followups_generation g"
            " LEFT JOIN followups_followup f ON f.generation_id = g.id"
            " GROUP BY g.id, g.created_count HAVING count(f.id) <> g.created_count"
            " ORDER BY g.id LIMIT 10"
        )
        mismatched = cursor.fetchall()
        cursor.execute("SELECT id FROM followups_generation")
        ids = {row[0] for row in cursor.fetchall()}
    seen = Run.generations
    matches_saves = generations == len(seen) and ids == set(seen)
    return {
        "followups": followups,
        "generations": generations,
        "sum_created_count": total,
        "followups_equal_sum": followups == total,
        "generations_not_matching_their_followups": mismatched,
        "generations_reported_by_saves": len(seen),
        "generations_match_saves": matches_saves,
        "ok": followups == total and not mismatched and matches_saves,
    }


# --- a simulated user --------------------------------------------------------------


class SalesUser(HttpUser):
    """One browser: its cookies and CSRF token, logged in as its own associate."""

    wait_time = between(0, 0)  # back to back, as the home-made load test did

    def on_start(self) -> None:
        assert Run.usernames is not None
        self.username = next(Run.usernames)
        self.rng = random.Random(next(Run.seeds))
        self.manager = self.username in Run.world["managers"]
        self.selection = Run.world["selection"]
        self.call("login_page", "GET", "/login/")
        response = self.call(
            "login",
            "POST",
            "/login/",
            data={
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.csrf,
                "next": "/selections/",
            },
            expect=(302,),
        )
        if response is None or response.status_code != 302:
            Run.unexpected.append(f"{self.username} could not log in")
            raise StopUser

    @property
    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    def htmx(self) -> dict[str, str]:
        return {"HX-Request": "true", "X-CSRFToken": self.csrf}

    def call(self, name, method, path, data=None, headers=None, expect=(200,)):
        """One request, a failure in Locust's table unless its status is expected."""
        with self.client.request(
            method,
            path,
            name=name,
            data=data,
            headers=headers,
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT,
            catch_response=True,
        ) as response:
            if response.status_code in expect:
                response.success()
            else:
                response.failure(f"status {response.status_code}")
                Run.unexpected.append(f"{name} {method} {path}: {response.status_code}")
        return response if response.status_code else None

    @task(15)
    def selection_list(self) -> None:
        self.call("selection_list", "GET", "/selections/")

    @task(25)
    def selection_page(self) -> None:
        page = self.rng.randint(1, MEMBERS // 100)
        self.call("selection_page", "GET", f"/selections/{self.selection}/?page={page}")

    @task(25)
    def activity_list(self) -> None:
        self.call("activity_list", "GET", "/activities/")

    @task(30)
    def counters(self) -> None:
        self.call("counters", "GET", "/activities/counters/", headers=self.htmx())

    @task(5)
    def generate(self) -> None:
        rng = self.rng
        selection = self.selection
        response = self.call(
            "dialog", "GET", f"/selections/{selection}/followups/new/", headers=self.htmx()
        )
        html = response.text if response is not None else ""
        found = re.search(r'name="key" value="([0-9a-f-]{36})"', html) or re.search(
            r'value="([0-9a-f-]{36})"[^>]*name="key"', html
        )
        if not found:
            Run.unexpected.append("dialog: no one-time key in the dialog")
            return
        owner_mode = "our_contact" if self.manager and rng.random() < 0.5 else "mine"
        data = {
            "key": found.group(1),
            "type": Run.world["type"],
            "start_date": (dt.date.today() + dt.timedelta(days=rng.randint(-3, 20))).isoformat(),
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
        event = self.saved(self.call("save", "POST", save, data, self.htmx()))
        if event is None:
            return
        Run.saves += 1
        if event["new"]:
            Run.generations[event["generation"]] = event["count"]
        if rng.random() < 0.2:  # a double click: the same key again creates nothing
            again = self.saved(self.call("save_again", "POST", save, data, self.htmx()))
            Run.saves_again += 1
            if again is None or again["new"] or again["generation"] != event["generation"]:
                Run.unexpected.append(f"save_again: {again} after {event}")

    def saved(self, response):
        """The followupsCreated event of a save that saved, else None (counted)."""
        if response is None or response.status_code != 200 or "HX-Trigger" not in response.headers:
            Run.failed_saves += 1
            if response is not None and response.status_code < 500:
                errors = re.search(r'class="form-errors"[^>]*>(.*?)</div>', response.text, re.S)
                shown = re.sub(r"<[^>]+>|\s+", " ", errors.group(1)) if errors else ""
                Run.unexpected.append(f"save did not save: {response.status_code} {shown.strip()}")
            return None
        return json.loads(response.headers["HX-Trigger"])["followupsCreated"]
