"""Settings for a real worker process started by the tests (test_background_worker.py):
the app's own, with small chunks and a pause after each, so that a test can cancel or
kill the worker mid-way. Nothing else reads these."""

import os

from config.settings import *  # noqa: F403

BACKGROUND_GENERATION_CHUNK = int(os.environ.get("TEST_GENERATION_CHUNK", "10"))
BACKGROUND_GENERATION_TEST_PAUSE = float(os.environ.get("TEST_GENERATION_PAUSE", "0"))
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
