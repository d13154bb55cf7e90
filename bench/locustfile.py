"""A bounded load test with Locust: several gunicorn workers and two task workers on
PostgreSQL, 30 users.

    make load                                   # 120 s, 30 users, 4 gunicorn workers, 2 task workers
    make load LOAD_SECONDS=20 LOAD_USERS=5      # a quick run
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_load make load

which runs

    locust -f bench/locustfile.py --headless -u 30 -r 30 --run-time 120s --stop-timeout 60

When Locust starts, this file migrates and seeds its own database (created if missing;
never the app's own), then starts gunicorn (--gunicorn-workers, default 4) on a free port
of 127.0.0.1 and --task-workers task workers (`manage.py db_worker`, default 2); the
users go nowhere else, and all of them are stopped at the end. Each user has its own
cookies and CSRF token, logs in through /login/ and thinks 0.5 to 2.5 s between two
actions. They browse the selection list, a 2,000-member selection, the activity list
and the counters, company and person cards, and now and then open the Generate
follow-ups dialog, preview and save: a small selection (50 or 2,000 members, saved at
once) or a big one (10,000 members, above this run's BACKGROUND_GENERATION_ABOVE of
5,000: the save answers with the job's progress, which the user polls every second, as
the dialog does, until it is done). One save in five is a double click: the same
one-time key sent twice, half of them the second while the first is still under way.
Locust stops the users after --run-time, and waits at most --stop-timeout for those
still in a task.

Afterwards: the background jobs still under way are waited for, the workers stopped,
then Locust's table, the median and p95 of the pages and of the dialog's responses
(preview, save, status), and the check in SQL that the follow-ups in the database are
exactly the sum of the generations' created_count, each generation with as many
follow-ups as it counted, every job done, and exactly the generations the saves
reported (at once, or through their job). The exit status is 1 if that check fails, if
any request failed (a status of 500 or more, one other than expected, or no answer), if
any save did not save, or if nothing was saved. The summary is also written to
bench/results/load.json.
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

import gevent
from locust import HttpUser, between, events, task
from locust.exception import StopUser
from locust.stats import StatsEntry

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/crm_load"
HOST = "127.0.0.1"  # loopback only
PASSWORD = "load-pass-123"
SELECTION_NAME = "Load 2000"
MEMBERS = 2_000
BIG_SELECTION_NAME = "Load big 10000"
BIG_COMPANIES, PERSONS_EACH = 2_000, 5  # the big selection: 10,000 persons
# This run's threshold and chunk (production's defaults: 20,000 and 20,000): the big
# selection goes to the background, in 4 chunks, so that its progress is polled.
BACKGROUND_ABOVE = 5_000
BACKGROUND_CHUNK = 2_500
REQUEST_TIMEOUT = 60  # seconds, per request
JOB_TIMEOUT = 120  # seconds a user polls a job before calling it stuck
RESULTS = ROOT / "bench" / "results"
PAGES = ["selection_list", "selection_page", "activity_list", "counters", "company", "person"]
DIALOG = ["dialog", "preview", "save", "save_again", "status"]


class Run:
    """What this run set up, and what its users saw."""

    env: dict[str, str] = {}
    gunicorn: subprocess.Popen | None = None
    workers: list[subprocess.Popen] = []
    logs: list[IO[str]] = []
    world: dict = {}
    usernames: itertools.cycle | None = None
    seeds = itertools.count(1)  # each user its own random sequence, the same each run
    generations: dict[int, int] = {}  # id → count, from the saves that created one
    jobs: dict[int, int] = {}  # job id → its total, from the saves that enqueued one
    jobs_done: dict[int, int] = {}  # job id → its generation, as the status poll saw it
    saves = saves_again = failed_saves = background_saves = 0
    unexpected: list[str] = []


# --- the database and the app --------------------------------------------------------


def app_environment(database_url: str) -> dict[str, str]:
    """The production-like environment that this process, gunicorn and the task workers
    run with."""
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "BEHIND_TLS_PROXY"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        PLAIN_STATIC="true",  # no collectstatic needed; no static file is fetched
        LOG_LEVEL="WARNING",
        AXES_FAILURE_LIMIT="1000",  # every user logs in from one address
        BACKGROUND_GENERATION_ABOVE=str(BACKGROUND_ABOVE),
        BACKGROUND_GENERATION_CHUNK=str(BACKGROUND_CHUNK),
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
    """Associates load01…, a 2,000-member selection, five of 50 and one of 10,000
    persons; no follow-up, no generation and no job, so the final check covers this run
    only."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection, transaction

    from crm.models import Associate, Company, Person, UserGroup
    from followups.models import FollowUpType
    from selections.models import Selection, SelectionMember, Visibility

    call_command("migrate", interactive=False, verbosity=0)
    User = get_user_model()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE followups_followup, followups_generation, followups_generationjob,"
                " django_tasks_database_dbtaskresult, django_session, axes_accessattempt"
                " RESTART IDENTITY CASCADE"
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
        big = Selection.objects.filter(name=BIG_SELECTION_NAME).first()
        wanted = BIG_COMPANIES * PERSONS_EACH
        if (
            selection is None
            or selection.members.count() != MEMBERS
            or big is None
            or big.members.count() != wanted
        ):
            Selection.objects.filter(name__startswith="Load ").delete()
            Person.objects.filter(last_name__startswith="Load person ").delete()
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
            persons = Person.objects.bulk_create(
                Person(
                    first_name="Load",
                    last_name=f"Load person {i:05}-{j}",
                    company=company,
                    rank=j + 1,
                )
                for i, company in enumerate(companies[:BIG_COMPANIES])
                for j in range(PERSONS_EACH)
            )
            big = Selection.objects.create(
                name=BIG_SELECTION_NAME, owner=associates[0], visibility=Visibility.EVERYONE
            )
            SelectionMember.objects.bulk_create(
                SelectionMember(selection=big, company_id=p.company_id, person=p) for p in persons
            )
        type_id = FollowUpType.objects.active().values_list("pk", flat=True).first()
        smalls = list(
            Selection.objects.filter(name__startswith="Load small ").values_list("pk", flat=True)
        )
        company_ids = list(
            Company.objects.filter(name__startswith="Load company ").values_list("pk", flat=True)
        )
        person_ids = list(
            Person.objects.filter(last_name__startswith="Load person ")
            .order_by("pk")
            .values_list("pk", flat=True)[:500]
        )
    connection.close()
    return {
        "usernames": [a.user.username for a in associates],
        "managers": {
            a.user.username
            for a in associates
            if a.user.groups.filter(name="Sales manager").exists()
        },
        "selection": selection.pk,
        "small_selections": smalls,
        "big_selection": big.pk,
        "companies": company_ids,
        "persons": person_ids,
        "type": type_id,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_process(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen:
    log = open(log_path, "w")  # noqa: SIM115 (closed at the end of the run)
    Run.logs.append(log)
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def start_gunicorn(env: dict[str, str], workers: int, port: int, log_path: Path):
    import http.client

    process = start_process(
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
        env,
        log_path,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}); see {log_path}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"gunicorn did not answer within 60 s; see {log_path}")


def start_task_workers(env: dict[str, str], count: int) -> list[subprocess.Popen]:
    """`manage.py db_worker` count times, as production runs them (README, Deployment)."""
    return [
        start_process(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "db_worker",
                "--no-reload",
                "--interval",
                "0.5",
                "--worker-id",
                f"load-{n}",
            ],
            env,
            RESULTS / f"load-worker-{n}.log",
        )
        for n in range(1, count + 1)
    ]


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM (gunicorn and the task workers stop gently), SIGKILL after `timeout`."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for_jobs(timeout: float) -> int:
    """Wait until no job is queued or running; the number still under way."""
    from followups.models import GenerationJob, JobStatus

    deadline = time.monotonic() + timeout
    while True:
        active = GenerationJob.objects.filter(
            status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
        ).count()
        if not active or time.monotonic() > deadline:
            return active
        time.sleep(0.5)


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    parser.add_argument("--gunicorn-workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument(
        "--task-workers", type=int, default=2, help="task workers (manage.py db_worker)"
    )


@events.init.add_listener
def _set_up(environment, **_kwargs) -> None:
    """Before any user starts: the database, the seed, gunicorn and the task workers;
    the users' host."""
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
    Run.workers = start_task_workers(environment_vars, options.task_workers)
    environment.host = SalesUser.host = f"http://{HOST}:{port}"
    print(
        f"gunicorn on {environment.host} ({options.gunicorn_workers} workers),"
        f" {options.task_workers} task workers",
        flush=True,
    )


def group(environment, name: str, names: list[str]) -> StatsEntry:
    """One row for several of Locust's: their requests and response times together."""
    entry = StatsEntry(environment.stats, name, "")
    for stats in environment.stats.entries.values():
        if stats.name in names:
            entry.extend(stats)
    return entry


def latency(entry: StatsEntry) -> dict:
    return {
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "median_ms": entry.get_response_time_percentile(0.5) if entry.num_requests else None,
        "p95_ms": entry.get_response_time_percentile(0.95) if entry.num_requests else None,
        "max_ms": round(entry.max_response_time) if entry.num_requests else None,
    }


@events.quitting.add_listener
def _check(environment, **_kwargs) -> None:
    """After the users: let the jobs under way finish, stop the workers and gunicorn,
    check the database, report, set the exit status."""
    still_running = wait_for_jobs(JOB_TIMEOUT)
    for process in Run.workers:
        stop(process, timeout=JOB_TIMEOUT)
    if Run.gunicorn is not None:
        stop(Run.gunicorn)
    for log in Run.logs:
        log.close()
    check = check_database()
    check["jobs_still_running_at_the_end"] = still_running
    check["ok"] = check["ok"] and not still_running
    total = environment.stats.total
    failed = bool(total.num_failures or Run.unexpected or Run.failed_saves)
    failed = failed or not check["ok"] or not Run.saves or not Run.background_saves
    rows = {
        "all pages": group(environment, "all pages", PAGES),
        "all dialog": group(environment, "all dialog", DIALOG),
    }
    for name in [*PAGES, *DIALOG]:
        rows[name] = group(environment, name, [name])
    latencies = {name: latency(entry) for name, entry in rows.items()}
    print()
    print(f"{'':<16} {'requests':>9} {'failed':>7} {'median':>8} {'p95':>8} {'max':>8}  (ms)")
    for name, figures in latencies.items():
        if figures["requests"]:
            print(
                f"{name:<16} {figures['requests']:>9} {figures['failures']:>7}"
                f" {figures['median_ms']:>8} {figures['p95_ms']:>8} {figures['max_ms']:>8}"
            )
    print()
    print(
        f"{total.num_requests} requests, {total.num_failures} failed,"
        f" {Run.saves} saves ({Run.background_saves} in the background,"
        f" {Run.saves_again} saved twice), {Run.failed_saves} that did not save"
    )
    print(
        f"generations {check['generations']} (saves reported"
        f" {check['generations_reported_by_saves']}), jobs {check['jobs']}"
        f" ({check['jobs_done']} done), follow-ups {check['followups']},"
        f" sum of created_count {check['sum_created_count']}:"
        f" {'OK' if check['ok'] else 'MISMATCH'}"
    )
    for line in Run.unexpected[:20]:
        print("  unexpected:", line)
    options = environment.parsed_options
    result = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "settings": {
            "users": options.num_users,
            "run_time": options.run_time,
            "gunicorn_workers": options.gunicorn_workers,
            "task_workers": options.task_workers,
            "members": MEMBERS,
            "big_members": BIG_COMPANIES * PERSONS_EACH,
            "background_above": BACKGROUND_ABOVE,
            "background_chunk": BACKGROUND_CHUNK,
            "load_average": [round(x, 2) for x in os.getloadavg()],
        },
        "summary": {
            "requests": total.num_requests,
            "failures": total.num_failures,
            "requests_per_second": round(total.total_rps, 1),
            "p50_ms": total.get_response_time_percentile(0.5),
            "p95_ms": total.get_response_time_percentile(0.95),
            "saves": Run.saves,
            "background_saves": Run.background_saves,
            "saves_again": Run.saves_again,
            "failed_saves": Run.failed_saves,
        },
        "latency": latencies,
        "check": check,
        "unexpected": Run.unexpected[:100],
        "ok": not failed,
    }
    (RESULTS / "load.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS / 'load.json'}; {'OK' if not failed else 'FAILED'}")
    environment.process_exit_code = 1 if failed else 0


def check_database() -> dict:
    """Follow-ups = the sum of the generations' counts; each generation has as many
    follow-ups as it counted; every job is done, with its generation; the generations
    are exactly those the saves reported, at once or through their job."""
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
        cursor.execute("SELECT id, status, generation_pk, total FROM followups_generationjob")
        jobs = {row[0]: row[1:] for row in cursor.fetchall()}
    done = {pk: job for pk, job in jobs.items() if job[0] == "done" and job[1] is not None}
    seen = set(Run.generations) | {done[pk][1] for pk in Run.jobs if pk in done}
    matches_saves = ids == seen and set(jobs) == set(Run.jobs)
    # What the status poll showed is what the job wrote.
    polled_right = all(done.get(pk, (None, None))[1] == g for pk, g in Run.jobs_done.items())
    return {
        "followups": followups,
        "generations": generations,
        "sum_created_count": total,
        "followups_equal_sum": followups == total,
        "generations_not_matching_their_followups": mismatched,
        "generations_reported_by_saves": len(seen),
        "generations_match_saves": matches_saves,
        "jobs": len(jobs),
        "jobs_done": len(done),
        "jobs_seen_done_by_their_user": len(Run.jobs_done),
        "status_poll_matches_the_job": polled_right,
        "ok": followups == total
        and not mismatched
        and matches_saves
        and len(done) == len(jobs)
        and polled_right,
    }


# --- a simulated user --------------------------------------------------------------


class SalesUser(HttpUser):
    """One browser: its cookies and CSRF token, logged in as its own associate."""

    wait_time = between(0.5, 2.5)  # a salesperson reads a page before the next click

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

    @task(12)
    def selection_list(self) -> None:
        self.call("selection_list", "GET", "/selections/")

    @task(20)
    def selection_page(self) -> None:
        page = self.rng.randint(1, MEMBERS // 100)
        self.call("selection_page", "GET", f"/selections/{self.selection}/?page={page}")

    @task(20)
    def activity_list(self) -> None:
        self.call("activity_list", "GET", "/activities/")

    @task(20)
    def counters(self) -> None:
        self.call("counters", "GET", "/activities/counters/", headers=self.htmx())

    @task(6)
    def company_card(self) -> None:
        pk = self.rng.choice(Run.world["companies"])
        self.call("company", "GET", f"/crm/companies/{pk}/")

    @task(6)
    def person_card(self) -> None:
        pk = self.rng.choice(Run.world["persons"])
        self.call("person", "GET", f"/crm/persons/{pk}/")

    @task(5)
    def generate_small(self) -> None:
        """The dialog on the 2,000-member selection or one of 50: saved at once."""
        if self.rng.random() < 0.5:
            self.generate(self.selection)
        else:
            self.generate(self.rng.choice(Run.world["small_selections"]))

    @task(1)
    def generate_big(self) -> None:
        """The dialog on the 10,000-member selection: the save goes to the background."""
        self.generate(Run.world["big_selection"])

    def generate(self, selection: int) -> None:
        rng = self.rng
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
        double = rng.random() < 0.2
        if double and rng.random() < 0.5:
            # A double click: the second while the first is still under way.
            first, second = (
                gevent.spawn(self.call, name, "POST", save, data, self.htmx())
                for name in ("save", "save_again")
            )
            gevent.joinall([first, second])
            responses = [first.value, second.value]
        else:
            responses = [self.call("save", "POST", save, data, self.htmx())]
            if double:  # the second after the first's answer
                responses.append(self.call("save_again", "POST", save, data, self.htmx()))
        outcomes = [self.saved(r) for r in responses]
        if any(o is None for o in outcomes):
            return
        Run.saves += 1
        Run.saves_again += len(outcomes) - 1
        if len({(o["kind"], o["id"]) for o in outcomes}) != 1:
            Run.unexpected.append(f"the same key saved twice differently: {outcomes}")
            return
        news = [o for o in outcomes if o["new"]]
        if len(news) > 1:
            Run.unexpected.append(f"the same key created twice: {outcomes}")
        outcome = outcomes[0]
        if outcome["kind"] == "generation":
            if news:
                Run.generations[outcome["id"]] = outcome["count"]
            elif outcome["id"] not in Run.generations:
                Run.unexpected.append(f"a save of a new key created nothing: {outcomes}")
            return
        Run.background_saves += 1
        Run.jobs[outcome["id"]] = outcome["count"]
        self.poll(outcome["id"])

    def poll(self, job: int) -> None:
        """The dialog's progress bar: the status every second until the job is done."""
        deadline = time.monotonic() + JOB_TIMEOUT
        while time.monotonic() < deadline:
            gevent.sleep(1)
            response = self.call("status", "GET", f"/generations/jobs/{job}/", headers=self.htmx())
            if response is None or response.status_code != 200:
                return
            if "HX-Trigger" in response.headers:
                event = json.loads(response.headers["HX-Trigger"])["followupsCreated"]
                Run.jobs_done[job] = event["generation"]
                return
            state = re.search(r'class="job job-(\w+)"', response.text)
            if state is None or state.group(1) not in ("queued", "running"):
                shown = state.group(1) if state else "no job"
                Run.unexpected.append(f"job {job}: {shown}")
                return
        Run.unexpected.append(f"job {job}: not done after {JOB_TIMEOUT} s")

    def saved(self, response):
        """What a save that saved answered: a generation ({kind, id, count, new}, from
        its followupsCreated event) or a job (its progress fragment); else None
        (counted)."""
        if response is not None and response.status_code == 200:
            event = None
            if "HX-Trigger" in response.headers:
                event = json.loads(response.headers["HX-Trigger"])["followupsCreated"]
            job = re.search(r'class="job job-\w+" id="job-(\d+)"', response.text)
            if job:  # the job's progress (done already, for a late second click)
                if event is not None:
                    Run.jobs_done[int(job.group(1))] = event["generation"]
                return {"kind": "job", "id": int(job.group(1)), "count": None, "new": None}
            if event is not None:
                return {
                    "kind": "generation",
                    "id": event["generation"],
                    "count": event["count"],
                    "new": event["new"],
                }
        Run.failed_saves += 1
        if response is not None and response.status_code < 500:
            errors = re.search(r'class="form-errors"[^>]*>(.*?)</div>', response.text, re.S)
            shown = re.sub(r"<[^>]+>|\s+", " ", errors.group(1)) if errors else ""
            Run.unexpected.append(f"save did not save: {response.status_code} {shown.strip()}")
        return None
