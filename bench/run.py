#!/usr/bin/env python
"""The benchmark: builds its own data set, then measures generation (as a ratio to the
lean floor: the same rows written by hand into a table with the same columns and foreign
keys but only a primary key and one partial index, built in the same run), where its
time goes (per index and per foreign key), the preview, project suggestions, the activity
list, counters, history, cards, quick search, the generations page and the selection
page; bulk changes (against a hand-written UPDATE of the same rows), their confirmation,
sorted and filtered lists, and an export at constant memory. Prints a table and writes
JSON.

    python bench/run.py                 # full size on SQLite (bench/bench-full.sqlite3)
    python bench/run.py --size small    # seconds; what CI runs
    python bench/run.py --size million  # the background path at 1,000,000 members only
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench python bench/run.py

The data set is built once per database (set-based SQL) and reused by later runs;
--rebuild starts again. It never touches the app's own database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = {
    # companies, persons, projects, associates, follow-ups already there, selections
    "full": dict(
        companies=10_000,
        persons=100_000,
        projects=100_000,
        associates=50,
        followups=1_000_000,
        selections=[1_000, 10_000, 100_000],
    ),
    # A simulation for docs/scaling.md: ten times the follow-ups, 1,000 associates.
    "scale": dict(
        companies=100_000,
        persons=1_000_000,
        projects=100_000,
        associates=1_000,
        followups=10_000_000,
        selections=[1_000, 10_000, 100_000],
    ),
    # The background path at a million members (--size million measures only that): a
    # selection of 1,000,000 persons against one of 100,000, run by a real task worker.
    "million": dict(
        companies=100_000,
        persons=1_000_000,
        projects=1_000,
        associates=50,
        followups=0,
        selections=[1_000, 100_000, 1_000_000],
    ),
    "small": dict(
        companies=100,
        persons=1_000,
        projects=1_000,
        associates=10,
        followups=10_000,
        selections=[10, 100, 1_000],
    ),
}
TARGETS = {
    # service ÷ lean floor, at the largest size (PostgreSQL, SQLite)
    "generation_ratio": {"postgresql": 1.3, "sqlite": 1.5},
    # spread across a user group: service ÷ the same rows by hand into our own schema
    "spread_ratio_own": 1.15,
    # background generation ÷ the same INSERT … SELECT by hand, at the largest size
    # (--size million: end to end, from the enqueue to the worker's commit)
    "background_ratio": 1.3,
    # --size million: the worker's peak memory may grow by no more than this from a
    # 100,000-member generation to a 1,000,000-member one (flat, not with the rows)
    "worker_memory_growth_mb": 5,
    "memory_mb": 25,
    "preview_ms": 150,
    "projects_ms": 10,
    "activity_ms": 50,
    "selection_page_ms": 100,
    "generations_ms": 50,
    "search_ms": 50,
    "feed_ms": 200,
    "bulk_ratio": 1.5,  # a bulk change ÷ a hand-written UPDATE of the same rows
    "confirm_ms": 100,
}
BULK_ROWS = 100_000  # rows of the bulk figures (fewer in a smaller data set)
PROJECT_WORDS = [
    "Alpha",
    "Bravo",
    "Charlie",
    "Delta",
    "Echo",
    "Foxtrot",
    "Golf",
    "Hotel",
    "India",
    "Juliet",
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per figure (median)")
    parser.add_argument("--json", help="where to write the results (default bench/results/…)")
    parser.add_argument("--rebuild", action="store_true", help="build the data set again")
    parser.add_argument(
        "--build-only", action="store_true", help="build the data set, measure nothing"
    )
    parser.add_argument(
        "--skip-generation", action="store_true", help="measure only the preview and the pages"
    )
    parser.add_argument(
        "--skip-pages", action="store_true", help="measure only generation and where its time goes"
    )
    parser.add_argument(
        "--members",
        type=int,
        action="append",
        help="generate only for the selection of this many members (repeatable)",
    )
    parser.add_argument(
        "--modes",
        nargs="+",
        choices=["mine", "other", "our_contact", "spread"],
        help="generate only in these owner modes (spread: across a user group, evenly)",
    )
    parser.add_argument(
        "--pg-set",
        action="append",
        metavar="NAME=VALUE",
        help="PostgreSQL: SET this for the benchmark's session (e.g. wal_compression=on)",
    )
    parser.add_argument(
        "--skip-decomposition",
        action="store_true",
        help="do not measure the cost of each index and foreign key",
    )
    return parser.parse_args()


def setup_django(size: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")
    os.environ["DEBUG"] = "false"  # DEBUG would keep every query in memory
    os.environ["PLAIN_STATIC"] = "true"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.setdefault("STATEMENT_TIMEOUT", "0")  # building a data set takes minutes
    # Save stays synchronous at every size here (the HTTP figures); the background path
    # is measured on its own (background_generation).
    os.environ["BACKGROUND_GENERATION_ABOVE"] = str(10**9)
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or (
        f"sqlite:///{ROOT / 'bench' / f'bench-{size}.sqlite3'}"
    )
    import django

    django.setup()


# --- measuring ---------------------------------------------------------------------


_BACKEND_PID: list[int] = []


def cpu_seconds() -> float:
    """CPU time used so far by this process and, on PostgreSQL on this machine, by its
    server process: far less disturbed than wall time by other work on a shared
    machine (it leaves out waiting for the disk, which wall time has)."""
    from django.db import connection

    total = time.process_time()
    if connection.vendor == "postgresql":
        if not _BACKEND_PID or _BACKEND_PID[0] != id(connection.connection):
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                _BACKEND_PID[:] = [id(connection.connection), cursor.fetchone()[0]]
        try:
            fields = Path(f"/proc/{_BACKEND_PID[1]}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:  # a server on another machine: this process only
            pass
    return total


def timed(fn, repeat: int, before=None, after=None):
    """Median seconds of `repeat` runs of fn(); before/after run untimed around each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, cpus, queries = [], [], []
    for _ in range(repeat):
        if before:
            before()
        with CaptureQueriesContext(connection) as ctx:
            cpu, start = cpu_seconds(), time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
            cpus.append(cpu_seconds() - cpu)
        queries.append(len(ctx.captured_queries))
        if after:
            after()
    LAST_CPU[:] = [statistics.median(cpus)]
    return statistics.median(times), max(queries)


LAST_CPU: list[float] = []  # the CPU time of timed()'s last figure (median)


# --- the data set ------------------------------------------------------------------


def seq_insert(sql_tail: str, count: int, params=()) -> None:
    """INSERT … SELECT over the numbers 1..count, on SQLite and PostgreSQL alike."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < %s) "
            + sql_tail,
            [count, *params],
        )


def build(size: dict, log) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.db.models import F

    from crm.models import Associate, Company, Person, Project, UserGroup
    from followups.models import FollowUp, FollowUpType, OwnerMode
    from followups.services import Scope, Settings, followups_generate
    from selections.models import Selection, SelectionMember

    User = get_user_model()
    with transaction.atomic():
        started = time.perf_counter()
        groups = [UserGroup.objects.create(name=f"Bench group {i}") for i in range(5)]
        role = Group.objects.get(name="Sales manager")
        users = User.objects.bulk_create(
            User(username=f"bench{i}", first_name="Bench", last_name=f"User {i}")
            for i in range(size["associates"])
        )
        users = list(User.objects.filter(username__startswith="bench").order_by("id"))
        role.user_set.add(*users)
        Associate.objects.bulk_create(
            Associate(user=u, primary_group=groups[i % len(groups)], active=i % 10 != 9)
            for i, u in enumerate(users)
        )
        a_ids = list(Associate.objects.order_by("id").values_list("id", flat=True))
        a_min, a_count = a_ids[0], len(a_ids)
        assert a_ids == list(range(a_min, a_min + a_count)), "associate ids must be contiguous"
        log(f"associates: {a_count}")

        t = Company._meta.db_table
        seq_insert(
            f"INSERT INTO {t} (name, city, category, our_contact_id, active) "
            "SELECT 'Company ' || n, 'City ' || (n %% 97), 'Customer', "
            " CASE WHEN n %% 20 = 0 THEN NULL ELSE %s + (n %% %s) END, TRUE FROM seq",
            size["companies"],
            [a_min, a_count],
        )
        c_min = Company.objects.order_by("id").values_list("id", flat=True).first()
        log(f"companies: {size['companies']}")

        t = Person._meta.db_table
        seq_insert(
            f"INSERT INTO {t} (first_name, last_name, email, phone, company_id, rank, our_contact_id) "
            "SELECT 'Person', 'Number ' || n, 'p' || n || '@example.no', '', "
            " CASE WHEN n %% 100 = 0 THEN NULL ELSE %s + ((n - 1) %% %s) END, "
            " ((n - 1) / %s) + 1, "
            " CASE WHEN n %% 100 = 0 THEN %s + (n %% %s) ELSE NULL END FROM seq",
            size["persons"],
            [c_min, size["companies"], size["companies"], a_min, a_count],
        )
        log(f"persons: {size['persons']}")

        t = Project._meta.db_table
        words = " ".join(f"WHEN {i} THEN '{w}'" for i, w in enumerate(PROJECT_WORDS))
        seq_insert(
            f"INSERT INTO {t} (name, number, active) "
            f"SELECT (CASE n %% {len(PROJECT_WORDS)} {words} END) || ' ' || n, 'B-' || n, "
            " n %% 50 <> 0 FROM seq",
            size["projects"],
        )
        log(f"projects: {size['projects']}")

        owner = Associate.objects.get(pk=a_min)
        person_table, member_table = Person._meta.db_table, SelectionMember._meta.db_table
        for count in size["selections"]:
            selection = Selection.objects.create(name=f"Bench {count}", owner=owner)
            # Members added in an order unrelated to person ids, as in real life.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {member_table} (selection_id, company_id, person_id, added_at) "
                    f"SELECT %s, company_id, id, %s FROM {person_table} "
                    "ORDER BY (id * 7919) %% 100003, id LIMIT %s",
                    [
                        selection.pk,
                        connection.ops.adapt_datetimefield_value(dt.datetime.now(dt.UTC)),
                        count,
                    ],
                )
            log(f"selection of {count} members")

        # The follow-ups already in the table: generated, set-based, in chunks.
        big = Selection.objects.get(name=f"Bench {max(size['selections'])}")
        chunks = size["followups"] // max(size["selections"])
        kind = FollowUpType.objects.active().first()
        today = dt.date.today()
        for i in range(chunks):
            followups_generate(
                selection=big,
                creator=owner,
                key=uuid.uuid4(),
                scope=Scope(owner_mode=OwnerMode.OUR_CONTACT),
                settings=Settings(
                    type=kind,
                    start_date=today + dt.timedelta(days=i * 9 - 30),
                    description=f"Bench follow-up {i}",
                    completed=i % 2 == 1,
                ),
            )
        # Completed a month ago, as most completed follow-ups are (not "today").
        FollowUp.objects.filter(completed=True).update(
            completed_at=F("created_at") - dt.timedelta(days=30)
        )
        log(f"follow-ups: {chunks * max(size['selections'])} in {chunks} generations")
        log(f"built in {time.perf_counter() - started:.1f} s")
    vacuum()


# --- the benchmark -----------------------------------------------------------------


def vacuum() -> None:
    """Dead rows out, statistics in (PostgreSQL here runs without autovacuum)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


LEAN = "bench_lean_followup"
LEAN_FOREIGN_KEYS = [  # the lean floor's 7: every reference but the generation's
    ("type_id", "followups_followuptype"),
    ("owner_id", "crm_associate"),
    ("company_id", "crm_company"),
    ("person_id", "crm_person"),
    ("project_id", "crm_project"),
    ("priority_id", "followups_priority"),
    ("created_by_id", "crm_associate"),
]
COLUMNS = (
    "type_id, start_date, description, project_id, priority_id, completed, completed_at,"
    " created_by_id, created_at, updated_at, generation_id, owner_id, company_id, person_id"
)


def spread_reference_values(team_ids: list[int], total: int) -> str:
    """The VALUES of a spread across `team_ids`, evenly, worked out by hand: total // n
    each (the first total % n one more), as intervals of doubled row positions."""
    n = len(team_ids)
    rows, first = [], 0
    for i, pk in enumerate(team_ids):
        share = total // n + (1 if i < total % n else 0)
        rows.append(f"({pk}, {2 * first}, {2 * (first + share) if i < n - 1 else 2**62})")
        first += share
    return "(VALUES " + ", ".join(rows) + ")"


def reference_sql(
    mode: str, one_per_company: bool, *, table: str, ordered: bool, spread: str = ""
) -> str:
    """The same rows as the service inserts, written by hand into `table`; `ordered`: in
    the service's order (by company). `spread`: the VALUES of a spread
    (spread_reference_values)."""
    members = (
        "(SELECT company_id, person_id, ROW_NUMBER() OVER ("
        " PARTITION BY COALESCE(company_id, -person_id) ORDER BY id) AS rn"
        " FROM selections_selectionmember WHERE selection_id = %(sel)s) m"
        if one_per_company
        else "selections_selectionmember m"
    )
    where = "WHERE m.rn = 1" if one_per_company else "WHERE m.selection_id = %(sel)s"
    order = " ORDER BY m.company_id" if ordered else ""
    cols = (
        f"INSERT INTO {table} ({COLUMNS}) SELECT %(type)s, %(start)s, %(desc)s,"
        " NULL, NULL, %(completed)s, NULL, %(me)s, %(now)s, %(now)s, %(gen)s, "
    )
    if mode == "our_contact":
        return (
            cols + "CASE WHEN a.active AND u.is_active THEN a.id ELSE %(me)s END,"
            " m.company_id, m.person_id FROM "
            + members
            + " LEFT JOIN crm_company c ON c.id = m.company_id"
            " LEFT JOIN crm_person p ON m.company_id IS NULL AND p.id = m.person_id"
            " LEFT JOIN crm_associate a ON a.id = COALESCE(c.our_contact_id, p.our_contact_id)"
            " LEFT JOIN auth_user u ON u.id = a.user_id " + where + order
        )
    if mode == "spread":
        # Each company (or person with no company) whole, to the associate whose
        # interval holds the unit's middle: companies by id, then persons by id.
        unit_order = (
            "CASE WHEN m.company_id IS NULL THEN 1 ELSE 0 END, COALESCE(m.company_id, m.person_id)"
        )
        units = (
            "(SELECT m.company_id, m.person_id,"
            f" 2 * COUNT(*) OVER (ORDER BY {unit_order})"
            " - COUNT(*) OVER (PARTITION BY COALESCE(m.company_id, -m.person_id)) AS mid2"
            f" FROM {members} {where}) u"
        )
        return (
            cols + "s.column1, u.company_id, u.person_id FROM " + units + f" JOIN {spread} s"
            " ON u.mid2 >= s.column2 AND u.mid2 < s.column3"
            + (" ORDER BY u.company_id" if ordered else "")
        )
    return cols + "%(owner)s, m.company_id, m.person_id FROM " + members + " " + where + order


def _one_per_company_rows(selection_id: int) -> int:
    """How many rows "one per company" gives: one per company, one per person with no
    company."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(DISTINCT COALESCE(company_id, -person_id))"
            " FROM selections_selectionmember WHERE selection_id = %s",
            [selection_id],
        )
        return cursor.fetchone()[0]


def build_lean_floor(log) -> None:
    """The lean floor: a table with the follow-ups' columns, the same 7 foreign keys
    (deferred, as Django makes them), a primary key and one partial composite index
    (an owner's open follow-ups by start date), holding the same rows as the follow-ups'
    table. Built again on every run."""
    from django.db import connection

    started = time.perf_counter()
    pg = connection.vendor == "postgresql"
    fk = {column: table for column, table in LEAN_FOREIGN_KEYS}

    def column(name: str, kind: str, null: bool) -> str:
        ref = ""
        if not pg and name in fk:
            ref = f" REFERENCES {fk[name]} (id) DEFERRABLE INITIALLY DEFERRED"
        return f"{name} {kind} {'NULL' if null else 'NOT NULL'}{ref}"

    when = "timestamp with time zone" if pg else "datetime"
    columns = [
        "id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
        if pg
        else "id integer NOT NULL PRIMARY KEY AUTOINCREMENT",
        column("start_date", "date", False),
        column("description", "text", False),
        column("completed", "boolean" if pg else "bool", False),
        column("completed_at", when, True),
        column("created_at", when, False),
        column("updated_at", when, False),
        column("company_id", "bigint", True),
        column("created_by_id", "bigint", False),
        column("owner_id", "bigint", False),
        column("person_id", "bigint", True),
        column("project_id", "bigint", True),
        column("type_id", "bigint", False),
        column("generation_id", "bigint", True),
        column("priority_id", "bigint", True),
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {LEAN}")
        cursor.execute(f"CREATE TABLE {LEAN} ({', '.join(columns)})")
        cursor.execute(
            f"INSERT INTO {LEAN} ({COLUMNS}) SELECT {COLUMNS} FROM followups_followup ORDER BY id"
        )
        cursor.execute(
            f"CREATE INDEX {LEAN}_open ON {LEAN} (owner_id, start_date, id) WHERE NOT completed"
            if pg
            else f"CREATE INDEX {LEAN}_open ON {LEAN} (owner_id, start_date, id) WHERE completed = 0"
        )
        if pg:
            for name, table in LEAN_FOREIGN_KEYS:
                cursor.execute(
                    f"ALTER TABLE {LEAN} ADD FOREIGN KEY ({name}) REFERENCES {table} (id)"
                    " DEFERRABLE INITIALLY DEFERRED"
                )
            cursor.execute(f"VACUUM ANALYZE {LEAN}")
        else:
            cursor.execute(f"ANALYZE {LEAN}")
    log(f"lean floor built in {time.perf_counter() - started:.1f} s")


def schema_of(table: str) -> dict:
    """The table's foreign-key constraints, indexes (the primary key's included) and
    triggers, as the database has them."""
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
        triggers = []
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal"
                " ORDER BY tgname",
                [table],
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s"
                " ORDER BY name",
                [table],
            )
        triggers = [name for (name,) in cursor.fetchall()]
    return {
        "foreign_keys": sorted(
            (name, info["columns"][0]) for name, info in constraints.items() if info["foreign_key"]
        ),
        "indexes": sorted(
            (name, info["primary_key"])
            for name, info in constraints.items()
            if info["index"] or info["primary_key"]
        ),
        "triggers": triggers,
    }


def schema_line(table: str) -> str:
    schema = schema_of(table)
    secondary = [name for name, primary in schema["indexes"] if not primary]
    line = f"{len(schema['foreign_keys'])} FKs, PK + {len(secondary)} indexes"
    if schema["triggers"]:
        line += f", {len(schema['triggers'])} triggers"
    return line


def decompose(sql: str, params: dict, record, repeat: int) -> list[dict]:
    """Where the insert's time goes: the insert (foreign-key checks forced, not
    committed) with each index dropped, each foreign key or trigger removed, in a
    transaction that is rolled back; its cost is the difference to the insert with
    everything there (measured first and last of each round). SQLite cannot drop one
    foreign key in a transaction: its foreign keys are measured together (PRAGMA
    foreign_keys off). COMMIT is not in these figures (see own_ms in the generation
    figures for the whole)."""
    from django.db import connection, transaction

    pg = connection.vendor == "postgresql"
    table = "followups_followup"
    schema = schema_of(table)
    items: list[tuple[str, str | None]] = [("everything there", None)]
    items += [(f"index {name}", f"DROP INDEX {name}") for name, pk in schema["indexes"] if not pk]
    if pg:
        items += [
            (f"foreign key ({column})", f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, column in schema["foreign_keys"]
        ]
        items += [
            (f"trigger {name}", f"ALTER TABLE {table} DISABLE TRIGGER {name}")
            for name in schema["triggers"]
        ]
    else:
        items.append(("all foreign keys", "PRAGMA foreign_keys"))

    def once(change):
        if change == "PRAGMA foreign_keys":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA foreign_keys = OFF")
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                if change and change != "PRAGMA foreign_keys":
                    cursor.execute(change)
                cpu, started = cpu_seconds(), time.perf_counter()
                cursor.execute(sql, params)
                if pg:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                seconds = time.perf_counter() - started
                cpu = cpu_seconds() - cpu
                transaction.set_rollback(True)
        finally:
            if change == "PRAGMA foreign_keys":
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA foreign_keys = ON")
        return seconds, cpu

    def tidy():
        # A rolled-back insert leaves its rows behind on PostgreSQL, dead, until VACUUM.
        if pg:
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM {table}")

    times = {label: [] for label, _ in items}
    cpus = {label: [] for label, _ in items}
    for _ in range(repeat):  # interleaved; everything there at the start and at the end
        for label, change in [*items, items[0]]:
            seconds, cpu = once(change)
            times[label].append(seconds)
            cpus[label].append(cpu)
            tidy()
    base = statistics.median(times["everything there"])
    base_cpu = statistics.median(cpus["everything there"])
    rows = []
    print(f"  {'':<46} {'wall':>9} {'cost':>9}   {'CPU':>9} {'cost':>9}")
    for label, _change in items:
        seconds, cpu = statistics.median(times[label]), statistics.median(cpus[label])
        cost, cpu_cost = base - seconds, base_cpu - cpu
        rows.append(
            {
                "item": label,
                "ms": round(seconds * 1000, 1),
                "cost_ms": round(cost * 1000, 1),
                "cpu_ms": round(cpu * 1000, 1),
                "cpu_cost_ms": round(cpu_cost * 1000, 1),
            }
        )
        first = label == "everything there"
        print(
            f"  {label[:46]:<46} {seconds * 1000:>7.0f}ms {'' if first else f'{cost * 1000:>7.0f}ms'}"
            f"{'' if not first else ' ' * 9}   {cpu * 1000:>7.0f}ms"
            f" {'' if first else f'{cpu_cost * 1000:>7.0f}ms ({cpu_cost / base_cpu:>4.0%})'}"
        )
    return rows


def run(args) -> dict:
    from django.db import connection, transaction
    from django.db.models import Count
    from django.test import Client

    from crm.models import Associate, UserGroup
    from followups.models import FollowUp, FollowUpType, Generation, OwnerMode
    from followups.services import Scope, Settings, followups_generate, followups_preview
    from selections.models import Selection

    size = SIZES[args.size]
    repeat = args.repeat
    results: dict = {"figures": []}

    def record(name, seconds, queries=None, target=None, **extra):
        if not name.startswith("generate") and LAST_CPU:
            extra["cpu_ms"] = round(LAST_CPU[0] * 1000, 1)  # see cpu_seconds
        row = {"name": name, "ms": round(seconds * 1000, 2), "queries": queries, **extra}
        if target is not None:
            row["target"] = target
        results["figures"].append(row)
        detail = " ".join(f"{k}={v}" for k, v in extra.items())
        print(
            f"  {name:<58} {seconds * 1000:>10.1f} ms  {queries if queries is not None else '':>4} q  {detail}"
        )

    me = Associate.objects.select_related("user").order_by("id").first()
    other = Associate.objects.filter(active=True).exclude(pk=me.pk).order_by("id").first()
    kind = FollowUpType.objects.active().first()
    today = dt.date.today()
    # "Spread across a user group": a team of up to 8 of the active associates.
    team, _ = UserGroup.objects.get_or_create(name="Bench team")
    team_members = list(Associate.objects.active().order_by("id")[:8])
    for associate in team_members:
        associate.other_groups.add(team)
    team_ids = [a.pk for a in team_members]

    def remove(generation_ids):
        FollowUp.objects.filter(generation_id__in=generation_ids).delete()
        Generation.objects.filter(pk__in=generation_ids).delete()

    vendor = connection.vendor
    largest = max(size["selections"])
    counts = [c for c in size["selections"] if not args.members or c in args.members]
    if not args.skip_generation:
        print("\nThe lean floor")
        build_lean_floor(lambda message: print(f"  {message}", flush=True))
        results["schema"] = {
            "followups": schema_of("followups_followup"),
            "lean_floor": schema_of(LEAN),
        }
        own_schema, lean_schema = schema_line("followups_followup"), schema_line(LEAN)
        print(f"  follow-ups: {own_schema}; lean floor: {lean_schema}")
        vacuum()
    print(
        "\nGeneration: the service against the same rows written by hand into our schema"
        " (own) and into the lean floor (lean)"
    )
    for count in [] if args.skip_generation else counts:
        selection = Selection.objects.get(name=f"Bench {count}")
        for mode in ("mine", "other", "our_contact", "spread"):
            if args.modes and mode not in args.modes:
                continue
            for one_per_company in (False, True):
                if count == largest and mode == OwnerMode.OTHER and one_per_company:
                    continue  # as "my list", one owner for all
                shown = f"spread evenly over {len(team_ids)}" if mode == "spread" else mode
                label = (
                    f"{count:>7,} members, {shown}{', one per company' if one_per_company else ''}"
                )
                made: list[int] = []
                scope = Scope(
                    owner_mode=OwnerMode.GROUP if mode == "spread" else mode,
                    owner_associate=other,
                    owner_group=team,
                    one_per_company=one_per_company,
                )
                settings = Settings(type=kind, start_date=today, description="Benchmark")

                def service():
                    generation, _ = followups_generate(
                        selection=selection,
                        creator=me,
                        scope=scope,
                        settings=settings,
                        key=uuid.uuid4(),
                    )
                    made.append(generation.pk)
                    service.rows = generation.created_count

                holder = Generation.objects.create(
                    created_by=me,
                    selection=selection,
                    selection_name="reference",
                    type=kind,
                    start_date=today,
                    description="reference",
                    owner_mode=scope.owner_mode,
                )
                spread = ""
                if mode == "spread":
                    total = (
                        _one_per_company_rows(selection.pk)
                        if one_per_company
                        else selection.members.count()
                    )
                    spread = spread_reference_values(team_ids, total)
                own_sql = reference_sql(
                    mode, one_per_company, table="followups_followup", ordered=True, spread=spread
                )
                lean_sql = reference_sql(
                    mode, one_per_company, table=LEAN, ordered=False, spread=spread
                )
                params = reference_params(
                    selection, me, kind, today, holder, other if mode == OwnerMode.OTHER else me
                )

                def by_hand(sql):
                    def insert():
                        with transaction.atomic(), connection.cursor() as cursor:
                            cursor.execute(sql, params)
                            insert.rows = cursor.rowcount

                    return insert

                own, lean = by_hand(own_sql), by_hand(lean_sql)

                def remove_lean():
                    with connection.cursor() as cursor:
                        cursor.execute(f"DELETE FROM {LEAN} WHERE generation_id = %s", [holder.pk])

                def with_cpu(fn, cpu_list):
                    def measured():
                        started = cpu_seconds()
                        fn()
                        cpu_list.append(cpu_seconds() - started)

                    return measured

                # Interleaved, so all three see the same table and cache state.
                s_times, o_times, l_times, s_queries = [], [], [], 0
                s_cpu, o_cpu, l_cpu = [], [], []
                for _ in range(repeat if count < largest else max(3, repeat // 2)):
                    s, q = timed(with_cpu(service, s_cpu), 1, after=lambda: remove(made))
                    o, _ = timed(
                        with_cpu(own, o_cpu),
                        1,
                        after=lambda: FollowUp.objects.filter(generation=holder).delete(),
                    )
                    lf, _ = timed(with_cpu(lean, l_cpu), 1, after=remove_lean)
                    s_times.append(s)
                    o_times.append(o)
                    l_times.append(lf)
                    s_queries = max(s_queries, q)
                sc, oc, lc = (statistics.median(t) for t in (s_cpu, o_cpu, l_cpu))
                assert service.rows == own.rows == lean.rows, (service.rows, own.rows, lean.rows)
                s, o, lf = (statistics.median(t) for t in (s_times, o_times, l_times))
                record(
                    f"generate {label}",
                    s,
                    s_queries,
                    target=TARGETS["generation_ratio"][vendor]
                    if count == largest and not one_per_company and mode != "spread"
                    else None,
                    **(
                        {"target_own": TARGETS["spread_ratio_own"]}
                        if count == largest and mode == "spread" and not one_per_company
                        else {}
                    ),
                    rows=service.rows,
                    own_ms=round(o * 1000, 1),
                    lean_ms=round(lf * 1000, 1),
                    ratio=round(s / lf, 3),
                    ratio_own=round(s / o, 3),
                    cpu_ratio=round(sc / lc, 3) if lc else None,
                    cpu_ratio_own=round(sc / oc, 3) if oc else None,
                )
                decompose_here = (
                    count == largest and mode == OwnerMode.OUR_CONTACT and not one_per_company
                )
                if decompose_here and not args.skip_decomposition:
                    vacuum()
                    print(
                        f"\nWhere the time goes: {count:,} rows, {mode}, our schema"
                        " (insert and foreign-key checks, rolled back)"
                    )
                    results["decomposition"] = {
                        "rows": service.rows,
                        "mode": mode,
                        "items": decompose(own_sql, params, record, max(1, repeat // 3)),
                    }
                    vacuum()
                remove([holder.pk])
        if not args.skip_generation:
            print(f"  follow-ups: {own_schema}; lean floor: {lean_schema}")

    if not args.skip_generation:
        background_generation(args, record, largest, me, kind, today)

    if args.skip_pages:
        return results
    big = Selection.objects.get(name=f"Bench {largest}")
    vacuum()  # the runs above inserted and deleted many rows
    client = Client()
    client.force_login(me.user)

    print("\nGeneration through the HTTP endpoint (test client, logged in)")
    for mode in () if args.skip_generation else (OwnerMode.MINE, OwnerMode.OUR_CONTACT):
        made = []

        def post():
            response = client.post(
                f"/selections/{big.pk}/followups/",
                {
                    "key": str(uuid.uuid4()),
                    "type": kind.pk,
                    "start_date": today.isoformat(),
                    "description": "Benchmark over HTTP",
                    "owner_mode": mode,
                },
                headers={"HX-Request": "true"},
            )
            assert response.status_code == 200 and "HX-Trigger" in response, response.content[:500]
            made.append(json.loads(response["HX-Trigger"])["followupsCreated"]["generation"])

        seconds, queries = timed(post, max(3, repeat // 2), after=lambda: remove(made))
        record(f"POST generate {max(size['selections']):,} members, {mode}", seconds, queries)

    print("\nMemory during a generation of the largest selection")
    made = []
    tracemalloc.start()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.reset_peak()
    base_current, _ = tracemalloc.get_traced_memory()
    generation, _ = followups_generate(
        selection=big,
        creator=me,
        key=uuid.uuid4(),
        scope=Scope(owner_mode=OwnerMode.OUR_CONTACT),
        settings=Settings(type=kind, start_date=today, description="Memory"),
    )
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    remove([generation.pk])
    results["memory"] = {
        "python_peak_growth_mb": round((peak - base_current) / 2**20, 3),
        "max_rss_growth_mb": round(rss_growth, 1),
        "rows": generation.created_count,
        "target_mb": TARGETS["memory_mb"],
    }
    print(
        f"  Python heap peak growth {results['memory']['python_peak_growth_mb']} MB, "
        f"max RSS growth {results['memory']['max_rss_growth_mb']} MB, for {generation.created_count:,} rows"
    )

    print("\nPreview of the largest selection")
    for mode in (OwnerMode.MINE, OwnerMode.OUR_CONTACT):
        for one_per_company in (False, True):
            seconds, queries = timed(
                lambda mode=mode, opc=one_per_company: followups_preview(
                    selection=big,
                    creator=me,
                    scope=Scope(owner_mode=mode, one_per_company=opc),
                ),
                repeat,
            )
            record(
                f"preview {mode}{', one per company' if one_per_company else ''}",
                seconds,
                queries,
                target=TARGETS["preview_ms"],
            )
    seconds, queries = timed(
        lambda: client.post(
            f"/selections/{big.pk}/followups/preview/", {"owner_mode": "our_contact"}
        ),
        repeat,
    )
    record("POST preview our_contact (HTTP)", seconds, queries, target=TARGETS["preview_ms"])

    print(f"\nProject suggestions while typing ({size['projects']:,} projects)")
    from followups.forms import find_projects

    for text in ("A", "Al", "Alp", "%lph", "%7"):
        seconds, queries = timed(lambda text=text: list(find_projects(text)[:21]), repeat * 2)
        record(
            f"project suggestions query q={text!r}",
            seconds,
            queries,
            target=TARGETS["projects_ms"] if len(text) >= 2 and not text.startswith("%") else None,
        )
    for text in ("A", "Al", "Alp", "%lph", "%7"):
        seconds, queries = timed(
            lambda text=text: client.get("/followups/projects/", {"q": text}), repeat * 2
        )
        record(
            f"GET project suggestions q={text!r} (HTTP)",
            seconds,
            queries,
        )

    owners = list(FollowUp.objects.values("owner").annotate(n=Count("id")).order_by("-n", "owner"))
    total = FollowUp.objects.count()
    # The busiest associate (who also gets every fallback) and a typical one (the median).
    for label, share in (("busiest", owners[0]), ("typical", owners[len(owners) // 2])):
        owner = Associate.objects.select_related("user").get(pk=share["owner"])
        print(
            f"\nActivity list and counters, {label} associate "
            f"({share['n']:,} of {total:,} follow-ups)"
        )
        owner_client = Client()
        owner_client.force_login(owner.user)
        for url, name in (
            ("/activities/", "activity list"),
            ("/activities/?show=week", "activity list, next 7 days"),
            ("/activities/counters/", "counters"),
            ("/activities/history/", "history list"),
        ):
            seconds, queries = timed(lambda url=url: owner_client.get(url), repeat * 2)
            record(
                f"GET {name} ({label}, {share['n']:,})",
                seconds,
                queries,
                target=TARGETS["activity_ms"],
            )
        # The calendar feed: every open follow-up, read to the end of the streamed answer.
        token = owner.calendar_token or owner.new_calendar_token()
        open_count = FollowUp.objects.filter(owner=owner, completed=False).count()
        seconds, queries = timed(
            lambda token=token: b"".join(Client().get(f"/calendar/{token}.ics").streaming_content),
            repeat * 2,
        )
        record(
            f"GET calendar feed ({label}, {open_count:,} open)",
            seconds,
            queries,
            target=TARGETS["feed_ms"],
        )

    print(f"\nSelection page of {big.members.count():,} members")
    for url, name, target in (
        (f"/selections/{big.pk}/", "selection page, first page and count", True),
        (f"/selections/{big.pk}/?page=500", "selection page, page 500", False),
        ("/selections/", "selection list, with member counts", False),
    ):
        seconds, queries = timed(lambda url=url: client.get(url), repeat * 2)
        record(
            f"GET {name}",
            seconds,
            queries,
            target=TARGETS["selection_page_ms"] if target else None,
        )

    print(f"\nGenerations, cards and quick search ({total:,} follow-ups)")
    from crm.models import Company, Person

    generation = Generation.objects.order_by("-created_count", "id").first()
    company = Company.objects.order_by("id").first()
    person = Person.objects.exclude(company=None).order_by("id").first()
    pages = [
        ("/generations/", "generations page (every generation)", TARGETS["generations_ms"]),
        (
            f"/generations/{generation.pk}/",
            f"a generation's page ({generation.created_count:,} follow-ups)",
            None,
        ),
        (
            f"/generations/{generation.pk}/undo/",
            "undo confirmation of that generation",
            None,
        ),
        (f"/crm/companies/{company.pk}/", "company card, activities", TARGETS["activity_ms"]),
        (f"/crm/persons/{person.pk}/", "person card, activities", TARGETS["activity_ms"]),
    ]
    for text in (
        "Company 12",
        "Number 4711",
        "Benchmark",
        "Bench follow-up 4",
        "Bench",
        "no such text",
    ):
        pages.append(
            (f"/activities/search/?q={text}", f"quick search q={text!r}", TARGETS["search_ms"])
        )
    for url, name, target in pages:
        seconds, queries = timed(lambda url=url: client.get(url), repeat * 2)
        record(f"GET {name}", seconds, queries, target=target)
    many_generations(record, client, repeat, generation, company, person, total)
    bulk_figures(args, record, results, me, total)
    return results


def many_generations(record, client, repeat, generation, company, person, total: int) -> None:
    """The cards and quick search with many more generations: a card reads one range of
    an index per generation with rows (followups.models.party_parts). As many
    generations as one for every 200 follow-ups, added (with no rows of their own, so
    only the ranges they add are measured) and rolled back afterwards."""
    from django.db import transaction

    from followups.models import Generation

    many = max(10, total // 200)
    print(f"\nCards and quick search with {many:,} more generations")
    fields = {
        f.attname: getattr(generation, f.attname)
        for f in Generation._meta.concrete_fields
        if f.attname not in ("id", "key")
    }
    with transaction.atomic():
        Generation.objects.bulk_create(
            (
                Generation(
                    **{**fields, "key": uuid.uuid4(), "created_count": 1, "removed_count": 0}
                )
                for _ in range(many)
            ),
            batch_size=1000,
        )
        for url, name in (
            (f"/crm/companies/{company.pk}/", "company card, activities"),
            (f"/crm/persons/{person.pk}/", "person card, activities"),
            ("/activities/search/?q=Company 12", "quick search q='Company 12'"),
        ):
            seconds, queries = timed(lambda url=url: client.get(url), repeat * 2)
            record(
                f"GET {name}, {many:,} more generations",
                seconds,
                queries,
                target=TARGETS["search_ms" if "search" in url else "activity_ms"],
            )
        transaction.set_rollback(True)


def mine_reference(selection, me, kind, today) -> tuple:
    """(holder generation, sql, params) of the hand-written INSERT … SELECT of a "my
    list" generation of `selection` into the follow-ups, as the background figures
    compare against."""
    from followups.models import Generation, OwnerMode

    holder = Generation.objects.create(
        created_by=me,
        selection=selection,
        selection_name="reference",
        type=kind,
        start_date=today,
        description="reference",
        owner_mode=OwnerMode.MINE,
    )
    sql = reference_sql(OwnerMode.MINE, False, table="followups_followup", ordered=True)
    return holder, sql, reference_params(selection, me, kind, today, holder, me)


def reference_params(selection, me, kind, today, holder, owner) -> dict:
    """The parameters of the hand-written INSERT … SELECT (reference_sql): `owner` is
    every row's owner where the mode names one (my list, another associate)."""
    from django.db import connection

    ops = connection.ops
    return {
        "sel": selection.pk,
        "type": kind.pk,
        "start": ops.adapt_datefield_value(today),
        "desc": "Benchmark",
        "completed": False,
        "me": me.pk,
        "now": ops.adapt_datetimefield_value(dt.datetime.now(dt.UTC)),
        "gen": holder.pk,
        "owner": owner.pk,
    }


def bulk_figures(args, record, results, me, total: int) -> None:
    """Bulk changes at size: a move of BULK_ROWS open follow-ups against the same rows
    moved by a hand-written UPDATE (the ratio), the confirmation's counts, a sorted and
    filtered activity list page, and an export of those rows at constant memory."""
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from followups import bulk, export
    from followups.lists import ordering
    from followups.models import BulkAction, BulkChange, BulkChangeRow, FollowUp

    repeat = max(3, args.repeat)
    open_rows = FollowUp.objects.filter(completed=False)
    n = min(BULK_ROWS, open_rows.count())
    # The first n open follow-ups by id: a range of the primary key, the same rows for
    # the service and for the hand-written UPDATE.
    last_id = open_rows.order_by("id").values_list("id", flat=True)[n - 1]
    scope = open_rows.filter(id__lte=last_id)
    print(f"\nBulk changes ({n:,} of {total:,} follow-ups)")

    table = connection.ops.quote_name(FollowUp._meta.db_table)
    if connection.vendor == "sqlite":
        plus, at_plus = "date(start_date, %s)", "datetime(start_at, %s)"
    else:
        plus, at_plus = "start_date + %s::integer", "start_at + make_interval(days => %s)"

    def by_hand(days: int, back: bool = False):
        # The floor: the same rows, the same new start (its time too, where it has one) and
        # change time, one UPDATE (and
        # back again, untimed, as the data set was built: unchanged since created).
        shift = f"{days:+d} days" if connection.vendor == "sqlite" else days
        changed = "created_at" if back else "%s"
        with connection.cursor() as cursor, transaction_atomic():
            cursor.execute(
                f"UPDATE {table} SET start_date = {plus}, start_at = {at_plus},"
                f" updated_at = {changed} WHERE NOT completed AND id <= %s",
                [shift, shift, *([] if back else [timezone.now()]), last_id],
            )
            assert cursor.rowcount == n, cursor.rowcount

    made = []

    def service():
        made.append(bulk.bulk_apply(scope, bulk.Change(action=BulkAction.MOVE, days=1), me))

    def undo():
        record_ = made.pop()
        assert record_.changed_count == n, record_.changed_count
        bulk.bulk_undo(record_, me)
        BulkChange.objects.filter(pk=record_.pk).delete()  # its rows go with it

    def tidy():
        # Each run changes the same rows and puts them back: on PostgreSQL their dead
        # versions are cleared before every timed run, so that neither side pays for
        # the other's (the floor's and the service's runs alternate).
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE followups_followup, followups_bulkchangerow")

    runs = {"floor": [], "service": []}
    for _ in range(repeat):
        tidy()
        runs["floor"].append((*timed(lambda: by_hand(1), 1), LAST_CPU[0]))
        by_hand(-1, back=True)
        tidy()
        runs["service"].append((*timed(service, 1), LAST_CPU[0]))
        undo()

    def median(name):
        rows = runs[name]
        LAST_CPU[:] = [statistics.median(r[2] for r in rows)]
        return statistics.median(r[0] for r in rows), max(r[1] for r in rows)

    hand, hand_queries = median("floor")
    record(f"hand-written UPDATE of {n:,} rows (the floor)", hand, hand_queries)
    seconds, queries = median("service")
    ratio = round(seconds / hand, 2) if hand else None
    record(
        f"bulk move of {n:,} rows (service ÷ floor)",
        seconds,
        queries,
        target=TARGETS["bulk_ratio"],
        ratio=ratio,
    )
    change = bulk.Change(action=BulkAction.MOVE, days=1)
    seconds, queries = timed(lambda: bulk.bulk_counts(scope, change, me), repeat * 2)
    record(f"bulk confirmation counts ({n:,} rows)", seconds, queries, target=TARGETS["confirm_ms"])
    assert not BulkChangeRow.objects.exists()

    # The busiest associate's activity list, sorted by another column and filtered.
    share = FollowUp.objects.values("owner").annotate(n=Count("id")).order_by("-n", "owner").first()
    owner_client = Client()
    owner_client.force_login(me.__class__.objects.get(pk=share["owner"]).user)
    kind = FollowUp.objects.filter(owner=share["owner"]).values_list("type_id", flat=True)[0]
    for url, name in (
        (f"/activities/?sort=company&type={kind}", "activity list by company, one type"),
        (f"/activities/?sort=-start&type={kind}", "activity list newest first, one type"),
        ("/activities/?sort=priority&show=week", "activity list by priority, next 7 days"),
        (f"/activities/history/?sort=type&type={kind}", "history by type, one type"),
    ):
        seconds, queries = timed(lambda url=url: owner_client.get(url), repeat * 2)
        record(f"GET {name}", seconds, queries, target=TARGETS["activity_ms"])

    # Export of the same rows: streamed CSV, read to the end, at constant memory.
    def read_csv():
        response = export.csv_response(scope, "bench", ordering("company"))
        lines = sum(1 for _ in response.streaming_content)
        assert lines == n + 2, lines  # the byte-order mark and the headings

    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    cpu, started = cpu_seconds(), time.perf_counter()
    read_csv()
    seconds = time.perf_counter() - started
    LAST_CPU[:] = [cpu_seconds() - cpu]  # record() reports it (under tracemalloc: slower)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_mb = round((peak - base) / 2**20, 3)
    record(f"export CSV of {n:,} rows by company", seconds, None, python_peak_mb=peak_mb)
    results["export_memory"] = {
        "python_peak_growth_mb": peak_mb,
        "rows": n,
        "target_mb": TARGETS["memory_mb"],
    }
    print(f"  Python heap peak growth {peak_mb} MB for an export of {n:,} rows")


def transaction_atomic():
    from django.db import transaction

    return transaction.atomic()


def background_generation(args, record, largest: int, me, kind, today) -> None:
    """A background generation of the largest selection, as the worker runs it (the job
    recorded and enqueued, then run: the rows in chunks from a numbered temporary table,
    progress and a heartbeat in the jobs database after each chunk), against the same
    rows written by one hand-written INSERT … SELECT into the follow-ups."""
    from django.conf import settings
    from django.db import connection, transaction

    from followups import background
    from followups.models import FollowUp, Generation, GenerationJob
    from followups.services import Scope, Settings
    from selections.models import Selection

    selection = Selection.objects.get(name=f"Bench {largest}")
    chunk = settings.BACKGROUND_GENERATION_CHUNK
    print(
        f"\nBackground generation: {largest:,} members in chunks of {chunk:,} with progress,"
        " against one INSERT … SELECT by hand"
    )
    holder, sql, params = mine_reference(selection, me, kind, today)
    what = Settings(type=kind, start_date=today, description="Benchmark")
    made: list = []

    def run_job():
        job, _ = background.generation_enqueue(
            selection=selection,
            creator=me,
            scope=Scope(),
            settings=what,
            key=uuid.uuid4(),
            total=largest,
        )
        background.job_run(job.pk)
        job.refresh_from_db()
        assert job.status == "done", (job.status, job.error)
        made.append(job.generation_pk)
        run_job.rows = job.written

    def by_hand():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            by_hand.rows = cursor.rowcount

    def remove_made():
        FollowUp.objects.filter(generation_id__in=made).delete()
        Generation.objects.filter(pk__in=made).delete()
        made.clear()

    b_times, h_times = [], []
    for _ in range(max(1, args.repeat // 2) if largest >= 100_000 else args.repeat):
        b, q = timed(run_job, 1, after=remove_made)
        h, _ = timed(by_hand, 1, after=lambda: FollowUp.objects.filter(generation=holder).delete())
        b_times.append(b)
        h_times.append(h)
    assert run_job.rows == by_hand.rows, (run_job.rows, by_hand.rows)
    b, h = statistics.median(b_times), statistics.median(h_times)
    record(
        f"generate in the background, {largest:,} members, mine",
        b,
        q,
        # The target is for 100,000 rows; at 1,000 (--size small) the job's fixed cost
        # of some 15 ms is most of it.
        target=TARGETS["background_ratio"] if largest >= 100_000 else None,
        rows=run_job.rows,
        by_hand_ms=round(h * 1000, 1),
        ratio=round(b / h, 3),
        chunks=-(-run_job.rows // chunk),
    )
    GenerationJob.objects.all().delete()
    Generation.objects.filter(pk=holder.pk).delete()


# --- --size million: the background path end to end, with a real worker --------------


WORKER_OPTIONS = ["--interval", "0.1", "--no-startup-delay", "--max-tasks", "1", "--no-reload"]


def start_worker(report: Path):
    """A real task worker (`manage.py db_worker` through bench/worker.py, which meters
    the job it runs), set up and polling the queue on return; it stops after one task.
    It runs with the production statement timeout (STATEMENT_TIMEOUT, 120 s), not the
    benchmark's none."""
    import subprocess

    env = dict(os.environ)
    env["STATEMENT_TIMEOUT"] = os.environ.get("BENCH_WORKER_STATEMENT_TIMEOUT", "120000")
    env.pop("BACKGROUND_GENERATION_STALE_SECONDS", None)
    ready = report.with_name(report.name + ".ready")
    ready.unlink(missing_ok=True)
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "worker.py"), str(report), *WORKER_OPTIONS],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not start ({process.returncode})")
        time.sleep(0.05)
    time.sleep(0.5)  # the command's own start, then its first look at the queue
    return process


def delete_rows(generation_ids) -> None:
    """The generations' follow-ups and the generations, by plain DELETEs (a million rows
    through the ORM's collector would be read into memory first), then VACUUM."""
    from django.db import connection

    ids = [pk for pk in generation_ids if pk]
    if not ids:
        return
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM followups_followup WHERE generation_id IN ({marks})", ids)
        cursor.execute(f"DELETE FROM followups_generation WHERE id IN ({marks})", ids)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE followups_followup")


def run_million(args) -> dict:
    """The background generation at 100,000 and at 1,000,000 members, as production runs
    it: Save's enqueue (the job and its task committed), a real worker (started idle
    beforehand) claims the task and runs it, the rows in chunks with progress; measured
    from the enqueue to the worker's commit (the job's finished_at), against the same
    rows written by one hand-written INSERT … SELECT in one transaction, interleaved.
    Meanwhile this process plays the web: the status poll and two pages through the
    test client, and one small save (a write to the main database) mid-way."""
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from crm.models import Associate
    from followups import background
    from followups.models import FollowUpType, Generation, GenerationJob, JobStatus, OwnerMode
    from followups.services import Scope, Settings
    from selections.models import Selection

    results: dict = {"figures": [], "background_million": []}
    me = Associate.objects.select_related("user").order_by("id").first()
    kind = FollowUpType.objects.active().first()
    today = dt.date.today()
    client = Client()
    client.force_login(me.user)
    # Another salesperson, who has nothing to do with the generation.
    other = Associate.objects.filter(active=True).exclude(pk=me.pk).order_by("id").first()
    other_client = Client()
    other_client.force_login(other.user)
    small = Selection.objects.get(name="Bench 1000")
    report = ROOT / "bench" / "results" / f"worker-{connection.vendor}.jsonl"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.unlink(missing_ok=True)
    vacuum()

    def get(path, htmx=False, by=client):
        started = time.perf_counter()
        response = by.get(path, headers={"HX-Request": "true"} if htmx else {})
        assert response.status_code == 200, (path, response.status_code)
        return time.perf_counter() - started

    def web_round(job_pk: int | None) -> dict[str, float]:
        """The pages the creator and another salesperson read meanwhile; and the
        creator's status poll (the dialog's progress bar), when there is a job."""
        times = {
            "activity list": get("/activities/"),
            "selection list": get("/selections/"),
            "other's list": get("/activities/", by=other_client),
        }
        if job_pk is not None:
            times["status poll"] = get(f"/generations/jobs/{job_pk}/", htmx=True)
        return times

    def small_save() -> dict:
        """A synchronous save of 1,000 follow-ups from another selection, mid-way."""
        started = time.perf_counter()
        response = client.post(
            f"/selections/{small.pk}/followups/",
            {
                "key": str(uuid.uuid4()),
                "type": kind.pk,
                "start_date": today.isoformat(),
                "description": "Saved while a background generation runs",
                "owner_mode": OwnerMode.MINE,
            },
            headers={"HX-Request": "true"},
        )
        seconds = time.perf_counter() - started
        saved = response.status_code == 200 and "HX-Trigger" in response
        if saved:
            delete_rows([json.loads(response["HX-Trigger"])["followupsCreated"]["generation"]])
        return {"ms": round(seconds * 1000, 1), "saved": saved}

    print(
        "\nBackground generation end to end: Save's enqueue, a real worker (db_worker),"
        " chunks with progress, until the commit; against one INSERT … SELECT by hand"
    )
    per_size: dict[int, dict] = {}
    for count in (100_000, 1_000_000):
        selection = Selection.objects.get(name=f"Bench {count}")
        what = Settings(type=kind, start_date=today, description="Benchmark")
        holder, sql, params = mine_reference(selection, me, kind, today)
        runs = []
        for _ in range(max(1, (args.repeat + 1) // 2)):
            worker = start_worker(report)
            # Before: the creator has none of these follow-ups yet.
            idle = [web_round(None) for _ in range(3)]
            enqueued = timezone.now()
            job, _ = background.generation_enqueue(
                selection=selection,
                creator=me,
                scope=Scope(),
                settings=what,
                key=uuid.uuid4(),
                total=count,
            )
            during: list[dict[str, float]] = []
            save = None
            while True:
                job.refresh_from_db()
                if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
                    break
                during.append(web_round(job.pk))
                if save is None and job.status == JobStatus.RUNNING and job.written:
                    save = small_save()
                time.sleep(0.25)
            assert job.status == JobStatus.DONE, (job.status, job.error)
            seconds = (job.finished_at - enqueued).total_seconds()
            worker.wait(timeout=120)
            metered = json.loads(report.read_text().splitlines()[-1])
            # After: the status poll of a job done (the pages now hold its rows).
            after = [{"status poll": web_round(job.pk)["status poll"]} for _ in range(3)]
            delete_rows([job.generation_pk])

            started = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, params)
                rows = cursor.rowcount
            by_hand = time.perf_counter() - started
            assert rows == job.written == count, (rows, job.written, count)
            with connection.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM followups_followup WHERE generation_id = %s", [holder.pk]
                )
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE followups_followup")
            runs.append(
                {
                    "job": job.pk,
                    "seconds": seconds,
                    "by_hand": by_hand,
                    "metered": metered,
                    "during": during,
                    "idle": idle + after,
                    "save": save,
                }
            )
        Generation.objects.filter(pk=holder.pk).delete()
        GenerationJob.objects.all().delete()

        def worst(rounds, name):
            times = [r[name] for r in rounds if name in r]
            return round(max(times) * 1000, 1) if times else None

        def median_of(rounds, name):
            times = [r[name] for r in rounds if name in r]
            return round(statistics.median(times) * 1000, 1) if times else None

        e2e = statistics.median(r["seconds"] for r in runs)
        hand = statistics.median(r["by_hand"] for r in runs)
        metered = runs[-1]["metered"]
        during = [r for run in runs for r in run["during"]]
        idle = [r for run in runs for r in run["idle"]]
        # Flat is the Python heap's peak during the job (tracemalloc). The process's own
        # resident memory (RssAnon) holds it and, on SQLite, the library's page cache (at
        # most cache_size, 64 MB); on SQLite the database file's pages read through mmap
        # (RssFile) are resident too, the kernel's to drop.
        heap_growth = metered["python_heap_peak_growth_kb"] / 1024
        peak_growth = (metered["anon_peak_kb"] - metered["anon_before_kb"]) / 1024
        file_growth = (metered["file_peak_kb"] - metered["file_before_kb"]) / 1024
        web = {
            name: {
                "median_ms_during": median_of(during, name),
                "max_ms_during": worst(during, name),
                "median_ms_idle": median_of(idle, name),
            }
            for name in ("status poll", "activity list", "selection list", "other's list")
        }
        detail = {
            "members": count,
            "runs": len(runs),
            "end_to_end_ms": round(e2e * 1000, 1),
            "worker_job_ms": round(
                statistics.median(r["metered"]["seconds"] for r in runs) * 1000, 1
            ),
            "by_hand_ms": round(hand * 1000, 1),
            "ratio": round(e2e / hand, 3),
            "worker": metered,
            "worker_heap_peak_growth_mb": round(heap_growth, 2),
            "worker_peak_growth_mb": round(peak_growth, 1),
            "worker_mapped_growth_mb": round(file_growth, 1),
            "worker_rss_peak_mb": round(metered["peak_after_kb"] / 1024, 1),
            "web_rounds_during": len(during),
            "web": web,
            "small_save_during": [r["save"] for r in runs],
        }
        per_size[count] = detail
        results["background_million"].append(detail)
        row = {
            "name": f"background end to end, {count:,} members, mine",
            "ms": detail["end_to_end_ms"],
            "queries": metered["queries"],
            "rows": count,
            "by_hand_ms": detail["by_hand_ms"],
            "ratio": detail["ratio"],
        }
        if count == 1_000_000:
            row["target"] = TARGETS["background_ratio"]
        results["figures"].append(row)
        print(
            f"  {count:>9,} members: {e2e:8.1f} s end to end (worker {detail['worker_job_ms'] / 1000:.1f} s),"
            f" by hand {hand:.1f} s, ratio {detail['ratio']}"
        )
        print(
            f"    worker: {metered['queries']} queries, {metered['progress_reports']} progress"
            f" reports, queries per chunk {metered['queries_per_chunk']},"
            f" {metered['queries_before_first_chunk']} before the first chunk;"
            f" first report after {metered['first_report_s']} s,"
            f" longest silence {metered['longest_silence_s']} s"
        )
        print(
            f"    worker memory: Python heap peak +{detail['worker_heap_peak_growth_mb']} MB;"
            f" its own {metered['anon_before_kb'] / 1024:.1f} MB before the"
            f" job, +{detail['worker_peak_growth_mb']} MB at its peak; files mapped"
            f" +{detail['worker_mapped_growth_mb']} MB; peak RSS {detail['worker_rss_peak_mb']} MB"
        )
        for name, figures in web.items():
            print(
                f"    web {name:<15} during the job: median {figures['median_ms_during']} ms,"
                f" max {figures['max_ms_during']} ms ({len(during)} times); idle"
                f" median {figures['median_ms_idle']} ms"
            )
        for save in detail["small_save_during"]:
            if save:
                print(
                    f"    a save of 1,000 follow-ups mid-way: {save['ms']} ms,"
                    f" {'saved' if save['saved'] else 'NOT saved'}"
                )
    small_growth = per_size[100_000]["worker_heap_peak_growth_mb"]
    big_growth = per_size[1_000_000]["worker_heap_peak_growth_mb"]
    results["worker_memory"] = {
        "heap_growth_100k_mb": small_growth,
        "heap_growth_1m_mb": big_growth,
        "difference_mb": round(big_growth - small_growth, 2),
        "own_rss_growth_100k_mb": per_size[100_000]["worker_peak_growth_mb"],
        "own_rss_growth_1m_mb": per_size[1_000_000]["worker_peak_growth_mb"],
        "target_mb": TARGETS["worker_memory_growth_mb"],
    }
    per_chunk = {tuple(d["worker"]["queries_per_chunk"]) for d in results["background_million"]}
    results["queries_per_chunk_constant"] = len(per_chunk) == 1 and len(next(iter(per_chunk))) == 1
    print(
        f"  worker's Python heap at its peak: +{small_growth} MB at 100,000, +{big_growth} MB at"
        f" 1,000,000; queries per chunk {'constant' if results['queries_per_chunk_constant'] else 'NOT constant'}"
        f" ({sorted(per_chunk)})"
    )
    return results


def ensure_database(*, fresh: bool = False) -> None:
    """The benchmark database, created if missing; with fresh=True, dropped and created
    again (a flush would also remove what the data migrations put there)."""
    from django.db import OperationalError, connection, connections

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        if fresh:
            connection.close()
            jobs = connections["jobs"].settings_dict["NAME"]
            connections["jobs"].close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db['NAME']}{suffix}").unlink(missing_ok=True)
                Path(f"{jobs}{suffix}").unlink(missing_ok=True)
        return
    exists = True
    try:
        connection.ensure_connection()
    except OperationalError:
        exists = False
    if exists and not fresh:
        return
    connection.close()
    import psycopg

    with psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        if exists:
            admin.execute(f'DROP DATABASE "{db["NAME"]}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{db["NAME"]}"')
    print(f"Created database {db['NAME']}")


def main() -> None:
    args = parse_args()
    setup_django(args.size)
    from django.core.management import call_command
    from django.db import connection

    from selections.models import Selection

    def log(message):
        print(f"  {message}", flush=True)

    print(f"Database: {connection.vendor} {connection.settings_dict['NAME']}")
    if args.rebuild:
        print("Rebuilding: a new benchmark database")
    ensure_database(fresh=args.rebuild)
    call_command("migrate", verbosity=0)
    call_command("migrate", database="jobs", verbosity=0)
    largest = max(SIZES[args.size]["selections"])
    if not Selection.objects.filter(name__startswith="Bench ").exists():
        print(f"Building the {args.size} data set (set-based)")
        build(SIZES[args.size], log)
    elif not Selection.objects.filter(name=f"Bench {largest:d}").exists():
        sys.exit(
            f"This database holds a data set of another size (no selection of {largest:,}"
            " members): use another database, or --rebuild"
        )
    else:
        print("Reusing the data set built earlier (--rebuild to start again)")
    if args.build_only:
        return

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        db_version = cursor.fetchone()[0]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for setting in args.pg_set or ():
                name, _, value = setting.partition("=")
                cursor.execute(f"SET {name} = %s", [value])
            cursor.execute(
                "SELECT name, current_setting(name) FROM pg_settings WHERE name IN"
                " ('shared_buffers', 'wal_compression', 'max_wal_size', 'work_mem',"
                " 'synchronous_commit', 'full_page_writes')"
            )
            settings = dict(cursor.fetchall())
        print("Settings: " + ", ".join(f"{k}={v}" for k, v in sorted(settings.items())))
    results = run_million(args) if args.size == "million" else run(args)
    results["environment"] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "size": args.size,
        "repeat": args.repeat,
        "database": f"{connection.vendor} {db_version}",
        "settings": settings if connection.vendor == "postgresql" else {},
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
    }
    out = (
        Path(args.json)
        if args.json
        else ROOT / "bench" / "results" / f"{connection.vendor}-{args.size}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nWrote {out}")
    summarize(results)


def summarize(results: dict) -> None:
    """The figures against their targets."""
    print("\nTargets")
    misses = 0
    for row in results["figures"]:
        if row.get("target_own") is not None:  # spread: against the own-schema reference
            ok = row["ratio_own"] <= row["target_own"]
            misses += not ok
            print(
                f"  {'ok  ' if ok else 'MISS'} {row['name'] + ' ÷ own':<58} {row['ratio_own']:>8}"
                f" (target ≤ {row['target_own']})"
            )
        target = row.get("target")
        if target is None:
            continue
        value = row["ratio"] if "ratio" in row else row["ms"]
        ok = value <= target
        misses += not ok
        if not ok or "ratio" not in row or "100,000" in row["name"] or "1,000,000" in row["name"]:
            print(f"  {'ok  ' if ok else 'MISS'} {row['name']:<58} {value:>8} (target ≤ {target})")
    worker = results.get("worker_memory")
    if worker:
        ok = worker["difference_mb"] <= worker["target_mb"]
        misses += not ok
        print(
            f"  {'ok  ' if ok else 'MISS'} worker's heap peak, 1,000,000 against 100,000 members"
            f" {worker['difference_mb']:+} MB (target ≤ {worker['target_mb']})"
        )
    if "queries_per_chunk_constant" in results:
        ok = results["queries_per_chunk_constant"]
        misses += not ok
        print(f"  {'ok  ' if ok else 'MISS'} queries per chunk the same at every size")
    for key, what in (("memory", "generation"), ("export_memory", "export")):
        memory = results.get(key)
        if memory:
            ok = memory["python_peak_growth_mb"] <= memory["target_mb"]
            misses += not ok
            print(
                f"  {'ok  ' if ok else 'MISS'} memory growth during {what} {memory['python_peak_growth_mb']} MB (target ≤ {memory['target_mb']})"
            )
    print(f"\n{misses} target(s) missed")


if __name__ == "__main__":
    main()
