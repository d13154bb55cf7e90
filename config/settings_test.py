"""Settings for the test suite: the app's own settings (config/settings.py, read from the
environment as always) with what tests need on top. pytest-django loads this module
(pyproject.toml); the app server, manage.py and CI's other steps never do.
"""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS, SECRET_KEY, STORAGES

# A development secret when the environment gives none.
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-do-not-use-in-production"

# The factories the tests build their data with, and `seed_demo` (whatever DEBUG says).
if "demo" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "demo"]

# Fast hashing: the suite creates hundreds of users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# No collectstatic before the tests: the templates' static files are found in place.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
