#!/usr/bin/env python
"""`manage.py db_worker`, the task worker production runs, with a meter on the
background generation it runs: its queries (on both databases, and which of them write a
chunk), when it reported progress, and its memory: the Python heap's peak (tracemalloc)
and the process's resident memory before and at its peak.

    python bench/worker.py REPORT.json [db_worker options]

The worker itself is unchanged: django-tasks-db's `db_worker` command claims the task
from the queue and calls followups.tasks.generate_in_background, which calls
background.job_run; only job_run is wrapped, to count. After each job one JSON line is
appended to REPORT.json. bench/run.py (--size million) starts it and reads the report.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The chunk's INSERT … SELECT (services): a range of r.n, or of r.rowid on SQLite.
CHUNK_MARK = "followup_rows r WHERE r."


def memory_kb() -> dict[str, int]:
    """This process's resident memory now (VmRSS) and at its peak so far (VmHWM), and
    of the resident memory now, the process's own (RssAnon: the Python heap, and on
    SQLite the library's page cache) and the files mapped in (RssFile: on SQLite the
    database file, read through mmap)."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in {"VmRSS", "VmHWM", "RssAnon", "RssFile"}:
            fields[name] = int(value.split()[0])
    return fields


def is_progress_report(sql: str) -> bool:
    """background._report's UPDATE: the rows written and the heartbeat, no status."""
    head = sql.split(" WHERE ", 1)[0]
    return head.startswith('UPDATE "followups_generationjob" SET "written"') and (
        '"status"' not in head
    )


def main() -> None:
    report_path = Path(sys.argv[1])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from followups import background

    job_run = background.job_run
    # Ready: set up and about to poll the queue (bench/run.py waits for this).
    report_path.with_name(report_path.name + ".ready").touch()

    def measured(job_id: int) -> None:
        queries: list[tuple[float, str, str]] = []  # (seconds since start, alias, kind)
        samples: list[dict[str, int]] = []  # memory after each progress report
        started = time.perf_counter()

        def meter(alias):
            def wrapper(execute, sql, params, many, context):
                try:
                    return execute(sql, params, many, context)
                finally:
                    kind = (
                        "chunk"
                        if CHUNK_MARK in sql
                        else "progress"
                        if is_progress_report(sql)
                        else "other"
                    )
                    queries.append((time.perf_counter() - started, alias, kind))
                    if kind == "progress":
                        samples.append(memory_kb())

            return wrapper

        before = memory_kb()
        tracemalloc.start()
        heap_before, _ = tracemalloc.get_traced_memory()
        with (
            connections["default"].execute_wrapper(meter("default")),
            connections["jobs"].execute_wrapper(meter("jobs")),
        ):
            job_run(job_id)
        seconds = time.perf_counter() - started
        _, heap_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        after = memory_kb()
        # The queries from one chunk's INSERT to the next one's: the cost of a chunk.
        marks = [i for i, q in enumerate(queries) if q[2] == "chunk"]
        per_chunk = [b - a for a, b in itertools.pairwise(marks)]
        reports = [q[0] for q in queries if q[2] == "progress"]
        gaps = [b - a for a, b in itertools.pairwise([0.0, *reports])]
        line = {
            "job": job_id,
            "seconds": round(seconds, 3),
            "queries": len(queries),
            "chunk_statements": len(marks),
            "queries_per_chunk": sorted(set(per_chunk)),
            "queries_before_first_chunk": marks[0] if marks else len(queries),
            "queries_from_last_chunk": len(queries) - marks[-1] if marks else 0,
            "progress_reports": len(reports),
            "first_report_s": round(reports[0], 2) if reports else None,
            "longest_silence_s": round(max(gaps), 2) if gaps else None,
            "python_heap_peak_growth_kb": round((heap_peak - heap_before) / 1024, 1),
            "rss_before_kb": before["VmRSS"],
            "peak_before_kb": before["VmHWM"],
            "peak_after_kb": after["VmHWM"],
            "rss_after_kb": after["VmRSS"],
            "anon_before_kb": before["RssAnon"],
            "anon_peak_kb": max([before["RssAnon"], *(m["RssAnon"] for m in samples)]),
            "file_before_kb": before["RssFile"],
            "file_peak_kb": max([before["RssFile"], *(m["RssFile"] for m in samples)]),
        }
        with report_path.open("a") as out:
            out.write(json.dumps(line) + "\n")

    background.job_run = measured
    call_command("db_worker", *sys.argv[2:])


if __name__ == "__main__":
    main()
