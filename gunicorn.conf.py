"""gunicorn's configuration, from the environment (README, Deployment).

gunicorn reads ./gunicorn.conf.py by itself when started from this directory; elsewhere
pass `-c /path/to/gunicorn.conf.py`. Options on the command line win over these.
"""

import math
import os

# A worker busy longer than `timeout` seconds is killed, and its request with it. The
# database gives up first: PostgreSQL cancels a statement after STATEMENT_TIMEOUT
# milliseconds (config/settings.py), the transaction is rolled back and the page says so;
# the margin covers the rest of the request (the other statements, rendering).
STATEMENT_TIMEOUT_SECONDS = int(os.environ.get("STATEMENT_TIMEOUT", "120000")) / 1000
TIMEOUT_MARGIN_SECONDS = 30

# GUNICORN_TIMEOUT may raise it, never below that floor (a lower one would kill a
# worker before the database has given up).
timeout = max(
    math.ceil(STATEMENT_TIMEOUT_SECONDS) + TIMEOUT_MARGIN_SECONDS,
    int(os.environ.get("GUNICORN_TIMEOUT") or 0),
)
# On a restart or stop, a request under way (a generation, say) may finish.
graceful_timeout = timeout


def default_workers() -> int:
    """2 per core plus 1 (gunicorn's advice), at most 12: each worker holds one
    PostgreSQL connection."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return min(2 * cores + 1, 12)


workers = int(os.environ.get("WEB_CONCURRENCY") or os.environ.get("GUNICORN_WORKERS") or 0)
workers = workers or default_workers()

bind = [os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")]

# The proxies whose X-Forwarded-Proto gunicorn believes (comma-separated, or "*").
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# One access line per request on stdout: behind a proxy %(h)s is the proxy, so the
# forwarded chain is logged too; the time taken in milliseconds last.
accesslog = "-"
access_log_format = (
    '%(h)s "%({x-forwarded-for}i)s" %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
)
errorlog = "-"
