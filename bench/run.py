#!/usr/bin/env python
"""The benchmark: builds its own data set, then measures generation (as a ratio to a
hand-written INSERT … SELECT of the same rows), the preview, project suggestions, the
activity list and counters, and the selection page. Prints a table and writes JSON.

    python bench/run.py                 # full size on SQLite (bench/bench-full.sqlite3)
    python bench/run.py --size small    # seconds; what CI runs
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
    "generation_ratio": 1.15,
    "memory_mb": 25,
    "preview_ms": 150,
    "projects_ms": 10,
    "activity_ms": 50,
    "selection_page_ms": 100,
    "feed_ms": 200,
}
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
    return parser.parse_args()


def setup_django(size: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")
    os.environ["DEBUG"] = "false"  # DEBUG would keep every query in memory
    os.environ["PLAIN_STATIC"] = "true"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or (
        f"sqlite:///{ROOT / 'bench' / f'bench-{size}.sqlite3'}"
    )
    import django

    django.setup()


# --- measuring ---------------------------------------------------------------------


def timed(fn, repeat: int, before=None, after=None):
    """Median seconds of `repeat` runs of fn(); before/after run untimed around each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries = [], []
    for _ in range(repeat):
        if before:
            before()
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        queries.append(len(ctx.captured_queries))
        if after:
            after()
    return statistics.median(times), max(queries)


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
    from followups.services import Choices, followups_generate
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
                choices=Choices(
                    type=kind,
                    start_date=today + dt.timedelta(days=i * 9 - 30),
                    description=f"Bench follow-up {i}",
                    owner_mode=OwnerMode.OUR_CONTACT,
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


def reference_sql(mode: str, one_per_company: bool) -> str:
    """The same rows as the service inserts, written by hand: the database's limit."""
    members = (
        "(SELECT company_id, person_id, ROW_NUMBER() OVER ("
        " PARTITION BY COALESCE(company_id, -person_id) ORDER BY id) AS rn"
        " FROM selections_selectionmember WHERE selection_id = %(sel)s) m"
        if one_per_company
        else "selections_selectionmember m"
    )
    where = "WHERE m.rn = 1" if one_per_company else "WHERE m.selection_id = %(sel)s"
    cols = (
        "INSERT INTO followups_followup (type_id, start_date, description, project_id,"
        " priority_id, completed, completed_at, created_by_id, created_at, updated_at,"
        " generation_id, owner_id, company_id, person_id) SELECT %(type)s, %(start)s, %(desc)s,"
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
            " LEFT JOIN auth_user u ON u.id = a.user_id " + where
        )
    return cols + "%(owner)s, m.company_id, m.person_id FROM " + members + " " + where


def run(args) -> dict:
    from django.db import connection, transaction
    from django.db.models import Count
    from django.test import Client

    from crm.models import Associate
    from followups.models import FollowUp, FollowUpType, Generation, OwnerMode
    from followups.services import Choices, followups_generate, followups_preview
    from selections.models import Selection

    size = SIZES[args.size]
    repeat = args.repeat
    results: dict = {"figures": []}

    def record(name, seconds, queries=None, target=None, **extra):
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
    ops = connection.ops

    def remove(generation_ids):
        FollowUp.objects.filter(generation_id__in=generation_ids).delete()
        Generation.objects.filter(pk__in=generation_ids).delete()

    print("\nGeneration: the service against a hand-written INSERT … SELECT of the same rows")
    for count in [] if args.skip_generation else size["selections"]:
        selection = Selection.objects.get(name=f"Bench {count}")
        for mode in (OwnerMode.MINE, OwnerMode.OTHER, OwnerMode.OUR_CONTACT):
            for one_per_company in (False, True):
                label = (
                    f"{count:>7,} members, {mode}{', one per company' if one_per_company else ''}"
                )
                made: list[int] = []
                choices = Choices(
                    type=kind,
                    start_date=today,
                    description="Benchmark",
                    owner_mode=mode,
                    owner_associate=other if mode == OwnerMode.OTHER else None,
                    one_per_company=one_per_company,
                )

                def service():
                    generation, _ = followups_generate(
                        selection=selection, creator=me, choices=choices, key=uuid.uuid4()
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
                    owner_mode=mode,
                )
                sql = reference_sql(mode, one_per_company)
                params = {
                    "sel": selection.pk,
                    "type": kind.pk,
                    "start": ops.adapt_datefield_value(today),
                    "desc": "Benchmark",
                    "completed": False,
                    "me": me.pk,
                    "now": ops.adapt_datetimefield_value(dt.datetime.now(dt.UTC)),
                    "gen": holder.pk,
                    "owner": other.pk if mode == OwnerMode.OTHER else me.pk,
                }

                def reference():
                    with transaction.atomic(), connection.cursor() as cursor:
                        cursor.execute(sql, params)
                        reference.rows = cursor.rowcount

                # Interleaved, so both see the same table and cache state.
                s_times, r_times, s_queries = [], [], 0
                for _ in range(repeat if count < 100_000 else max(3, repeat // 2)):
                    s, q = timed(service, 1, after=lambda: remove(made))
                    r, _ = timed(
                        reference,
                        1,
                        after=lambda: FollowUp.objects.filter(generation=holder).delete(),
                    )
                    s_times.append(s)
                    r_times.append(r)
                    s_queries = max(s_queries, q)
                remove([holder.pk])
                assert service.rows == reference.rows, (service.rows, reference.rows)
                s, r = statistics.median(s_times), statistics.median(r_times)
                record(
                    f"generate {label}",
                    s,
                    s_queries,
                    target=TARGETS["generation_ratio"],
                    rows=service.rows,
                    reference_ms=round(r * 1000, 2),
                    ratio=round(s / r, 3),
                )

    big = Selection.objects.get(name=f"Bench {max(size['selections'])}")
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
        choices=Choices(
            type=kind, start_date=today, description="Memory", owner_mode=OwnerMode.OUR_CONTACT
        ),
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
                    selection=big, creator=me, owner_mode=mode, one_per_company=opc
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
    return results


def ensure_database(*, fresh: bool = False) -> None:
    """The benchmark database, created if missing; with fresh=True, dropped and created
    again (a flush would also remove what the data migrations put there)."""
    from django.db import OperationalError, connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        if fresh:
            connection.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db['NAME']}{suffix}").unlink(missing_ok=True)
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
    if not Selection.objects.filter(name__startswith="Bench ").exists():
        print(f"Building the {args.size} data set (set-based)")
        build(SIZES[args.size], log)
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
    results = run(args)
    results["environment"] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "size": args.size,
        "repeat": args.repeat,
        "database": f"{connection.vendor} {db_version}",
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
        target = row.get("target")
        if target is None:
            continue
        value = row["ratio"] if "ratio" in row else row["ms"]
        ok = value <= target
        misses += not ok
        if not ok or "ratio" not in row or "100,000" in row["name"]:
            print(f"  {'ok  ' if ok else 'MISS'} {row['name']:<58} {value:>8} (target ≤ {target})")
    memory = results["memory"]
    ok = memory["python_peak_growth_mb"] <= memory["target_mb"]
    misses += not ok
    print(
        f"  {'ok  ' if ok else 'MISS'} memory growth during generation {memory['python_peak_growth_mb']} MB (target ≤ {memory['target_mb']})"
    )
    print(f"\n{misses} target(s) missed")


if __name__ == "__main__":
    main()
