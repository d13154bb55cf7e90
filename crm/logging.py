"""Logging of refused requests: one line for a 4xx, the traceback only for a 5xx.

Django logs a 403 (PermissionDenied), a 400 (BadRequest, a SuspiciousOperation such as a
bad Host header or too many fields) with the traceback of the exception that produced
it. That is the client's mistake, not a fault of ours, and a traceback per refused request
buries the errors that matter. Records carry the answer's status as `status_code`.

Only stdlib here: config/settings.py imports this module before Django is set up.
"""

from __future__ import annotations

import logging

# The loggers Django logs answered requests to. A filter on a logger applies to records
# logged on that logger only, not to those of its children, so each django.security one
# is named: django.core.handlers logs a SuspiciousOperation to
# "django.security.<its class name>", these being Django's own.
REQUEST_LOGGERS = [
    "django.request",
    "django.security.csrf",
    *(
        f"django.security.{name}"
        for name in (
            "SuspiciousOperation",
            "DisallowedHost",
            "DisallowedRedirect",
            "RequestDataTooBig",
            "TooManyFieldsSent",
            "TooManyFilesSent",
            "SuspiciousFileOperation",
            "SuspiciousMultipartForm",
            "SuspiciousSession",
            "InvalidSessionKey",
            "DisallowedModelAdminLookup",
            "DisallowedModelAdminToField",
        )
    ),
]


class NoTracebackFor4xx(logging.Filter):
    """Drop the traceback of a record about an answer below 500; keep the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
