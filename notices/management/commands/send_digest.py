"""manage.py send_digest: the morning digest, for a cron job or a systemd timer.

Each active associate who asked for it gets their overdue and due-today follow-ups, once
a day: running it again the same day sends nothing more (see notices.services.digest_send).
"""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from notices.services import digest_send


class Command(BaseCommand):
    help = "Send the morning digest to each associate who asked for it (once a day)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--day",
            help="The day to send for, YYYY-MM-DD (default: today in TIME_ZONE).",
        )

    def handle(self, *args, day=None, **options):
        if day is not None:
            try:
                day = date.fromisoformat(day)
            except ValueError:
                raise CommandError(f"--day {day!r} is not a date like 2026-12-02.") from None
        run = digest_send(day=day)
        self.stdout.write(
            f"sent {run.sent}, already sent today {run.already},"
            f" nothing due {run.empty}, failed {run.failed}"
        )
        if run.failed:
            raise CommandError(f"{run.failed} digest(s) could not be sent; run again to retry.")
