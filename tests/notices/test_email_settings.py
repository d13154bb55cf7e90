"""E-mail is configured from EMAIL_URL (config/settings.py, parsed by dj-email-url)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
READ = (
    "import json, django; django.setup(); from django.conf import settings as s;"
    " print(json.dumps([s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER,"
    " s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL, s.EMAIL_TIMEOUT]))"
)


def settings_with(**env) -> list:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "DEBUG"))}
    environ.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    out = subprocess.run(
        [sys.executable, "-c", READ], cwd=ROOT, env=environ, capture_output=True, check=True
    )
    return json.loads(out.stdout)


SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://crm%40example.com:p%40ss@mail.example.com:587/?tls=True",
            [SMTP, "mail.example.com", 587, "crm@example.com", "p@ss", True, False, 20],
        ),
        (
            "smtp://mail.example.com:465/?ssl=True&timeout=5",
            [SMTP, "mail.example.com", 465, "", "", False, True, 5],
        ),
    ],
)
def test_it_uses_smtp_from_email_url(url, expected):
    assert settings_with(EMAIL_URL=url) == expected


def test_development_prints_mail_and_production_defaults_to_local_smtp():
    assert settings_with(DEBUG="true")[0] == "django.core.mail.backends.console.EmailBackend"
    assert settings_with()[:3] == [SMTP, "localhost", 25]
