"""gunicorn.conf.py: a worker outlives PostgreSQL's statement timeout, the rest from the
environment; and gunicorn started with it serves the app."""

from __future__ import annotations

import os
import runpy
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "gunicorn.conf.py"
SECRET_KEY = "a-secret-for-these-tests-only-" + "x" * 40
ENV_NAMES = [
    "STATEMENT_TIMEOUT",
    "GUNICORN_TIMEOUT",
    "WEB_CONCURRENCY",
    "GUNICORN_WORKERS",
    "GUNICORN_BIND",
    "FORWARDED_ALLOW_IPS",
    "PORT",
    "GUNICORN_CMD_ARGS",
]


@pytest.fixture
def config(monkeypatch):
    """config(**env): gunicorn.conf.py's settings, read with exactly this environment."""

    def _config(**env) -> dict:
        for name in ENV_NAMES:
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(CONFIG))

    return _config


def print_config(**env) -> dict[str, str]:
    """What gunicorn itself makes of the file (found on its own in the project root). It
    imports the app too, which wants a secret."""
    environ = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    environ |= {"DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": SECRET_KEY, **env}
    out = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--print-config", "config.wsgi"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    lines = (line.partition("=") for line in out.stdout.splitlines() if "=" in line)
    return {name.strip(): value.strip() for name, _, value in lines}


@pytest.mark.parametrize(
    ("statement_timeout", "seconds"), [(None, 120), ("300000", 300), ("5000", 5), ("1500", 1.5)]
)
def test_it_outlasts_the_statement_timeout(config, statement_timeout, seconds):
    env = {} if statement_timeout is None else {"STATEMENT_TIMEOUT": statement_timeout}

    settings = config(**env)

    assert settings["timeout"] > seconds
    assert settings["timeout"] >= seconds + 30
    assert settings["graceful_timeout"] == settings["timeout"]


def test_it_takes_a_longer_timeout_from_the_environment_never_a_shorter_one(config):
    assert config(GUNICORN_TIMEOUT="600")["timeout"] == 600
    assert config(GUNICORN_TIMEOUT="10")["timeout"] == 150
    assert config(STATEMENT_TIMEOUT="300000", GUNICORN_TIMEOUT="200")["timeout"] == 330


def test_it_is_what_gunicorn_runs_with():
    default = print_config()
    custom = print_config(STATEMENT_TIMEOUT="300000", WEB_CONCURRENCY="3")

    assert default["config"] == "./gunicorn.conf.py"
    assert int(default["timeout"]) > 120
    assert int(custom["timeout"]) > 300
    assert custom["workers"] == "3"
    assert default["accesslog"] == "-"


def test_it_takes_workers_address_and_proxies_from_the_environment(config):
    assert config(WEB_CONCURRENCY="3")["workers"] == 3
    assert config(GUNICORN_WORKERS="7")["workers"] == 7
    assert config(WEB_CONCURRENCY="2", GUNICORN_WORKERS="7")["workers"] == 2
    assert 3 <= config()["workers"] <= 12
    assert config()["bind"] == ["0.0.0.0:8000"]
    assert config(GUNICORN_BIND="unix:/run/crm.sock")["bind"] == ["unix:/run/crm.sock"]
    assert config()["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert config(FORWARDED_ALLOW_IPS="10.0.0.1")["forwarded_allow_ips"] == "10.0.0.1"
    assert config()["accesslog"] == "-"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except OSError:
        return None


def test_it_serves_the_app(tmp_path):
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if k not in {*ENV_NAMES, "DEBUG", "BEHIND_TLS_PROXY"}
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PLAIN_STATIC": "true",  # no collectstatic
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "STATEMENT_TIMEOUT": "200000",
    }
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr
    log_path = tmp_path / "gunicorn.log"

    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            status = None
            deadline = time.monotonic() + 60
            while status is None and time.monotonic() < deadline:
                assert server.poll() is None, log_path.read_text()
                status = get(f"http://127.0.0.1:{port}/login/")
                time.sleep(0.2)

            assert status == 200, log_path.read_text()
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()

    output = log_path.read_text()
    assert "Booting worker" in output
    assert '"GET /login/ HTTP/1.1" 200' in output  # the access log, on stdout
    assert int(print_config(STATEMENT_TIMEOUT="200000")["timeout"]) > 200
