import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
# Refuse to start without a secret (settings give none outside development): reading an
# empty SECRET_KEY raises ImproperlyConfigured.
settings.SECRET_KEY  # noqa: B018
