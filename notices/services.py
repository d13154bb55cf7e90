"""E-mail to associates: one notice per owner when someone else gives them follow-ups,
and the morning digest of overdue follow-ups and those due today.

Messages are rendered from templates (templates/notices/: a subject, a plain-text part
and an HTML part each), in the recipient's own language and date style, and sent through
the e-mail backend of the settings (EMAIL_URL), all of a run over one connection.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from email.utils import formataddr
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from crm import dates
from crm.models import Associate
from followups.models import (
    BulkAction,
    BulkChange,
    BulkChangeRow,
    FollowUp,
    FollowUpType,
    Generation,
    OwnerMode,
    overdue_on,
)
from selections.models import Selection, Visibility

from .models import DigestSent

logger = logging.getLogger(__name__)

DIGEST_ROWS = 20  # follow-ups listed in a digest; the counts cover all of them


def absolute(path: str) -> str:
    """A link for outside the app (e-mail, calendars): SITE_URL and the path."""
    return settings.SITE_URL + path


@contextmanager
def speaking_to(associate: Associate) -> Iterator[None]:
    """Render in the associate's own language and date style."""
    with translation.override(associate.mail_language), dates.activate(associate.date_style):
        yield


def _message(
    template: str, context: dict, to: Associate, reply_to: Associate | None = None
) -> EmailMultiAlternatives:
    """The e-mail `template` (…_subject.txt, ….txt, ….html) to one associate; a reply
    goes to `reply_to` (the colleague who gave the follow-ups), if they have an address."""
    with speaking_to(to):
        context = {**context, "to": to, "settings_url": absolute(reverse("crm:settings"))}
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    replies = [_address(reply_to)] if reply_to is not None and reply_to.user.email else []
    message = EmailMultiAlternatives(subject, text, to=[_address(to)], reply_to=replies)
    message.attach_alternative(html, "text/html")
    return message


def _address(associate: Associate) -> str:
    return formataddr((associate.name, associate.user.email))


def _send(messages: list[EmailMultiAlternatives], what: str) -> int:
    """Send over one connection; a failure is logged, never raised (what was saved
    stays saved). Returns how many were sent."""
    if not messages:
        return 0
    try:
        with get_connection() as connection:
            sent = connection.send_messages(messages) or 0
    except Exception:
        logger.exception("%s: %d e-mail could not be sent", what, len(messages))
        return 0
    logger.info("%s: sent %d e-mail", what, sent)
    return sent


# Notices: follow-ups given to someone ---------------------------------------------------


@dataclass(frozen=True)
class Share:
    """What one owner was given: how many, of which type (None: several) and starting
    when (first and last start date)."""

    owner: Associate
    count: int
    type: FollowUpType | None
    first_start: date
    last_start: date


def _may_see(associate: Associate, selection_id: int | None, visibility: str | None) -> bool:
    if selection_id is None:
        return False
    if visibility == Visibility.EVERYONE:
        return True
    return Selection.objects.visible_to(associate).filter(pk=selection_id).exists()


def followups_given_notify(
    *,
    followups: QuerySet[FollowUp],
    by: Associate,
    link: str,
    selection: Selection | None = None,
    selection_name: str = "",
) -> int:
    """One e-mail to each owner of `followups` other than `by`, who gave them (an
    administrator without an associate of their own: an unsaved Associate of their
    login): how many,
    from which selection, of which type and start, and a `link` (a path) to exactly
    those. Owners who turned the notice off, inactive ones and those without an e-mail
    address get none. Returns how many were sent.

    Set-based: one grouped query over the follow-ups (owner, count, types, first and last
    start), one for the owners, one for the types; then one message per owner (and, for
    a selection not visible to everyone, one small query per owner: may they see it?).
    Call it
    after the change committed (transaction.on_commit), never inside the transaction.
    """
    mine = followups.exclude(owner_id=by.pk) if by.pk is not None else followups
    shares = list(
        mine.values("owner")
        .annotate(
            n=Count("id"),
            first=Min("start_date"),
            last=Max("start_date"),
            type_min=Min("type"),
            type_max=Max("type"),
        )
        .order_by("owner")
    )
    if not shares:
        return 0
    owners = (
        Associate.objects.active()
        .filter(pk__in=[s["owner"] for s in shares], notify_assignments=True)
        .exclude(user__email="")
        .select_related("user")
        .in_bulk()
    )
    types = FollowUpType.objects.in_bulk(
        {s["type_min"] for s in shares if s["type_min"] == s["type_max"]}
    )
    visibility = selection.visibility if selection else None
    messages = []
    for row in shares:
        owner = owners.get(row["owner"])
        if owner is None:
            continue
        share = Share(
            owner=owner,
            count=row["n"],
            type=types.get(row["type_min"]) if row["type_min"] == row["type_max"] else None,
            first_start=row["first"],
            last_start=row["last"],
        )
        context = {
            "share": share,
            "by": by,
            "selection_name": selection_name,
            "selection_visible": _may_see(
                owner, selection.pk if selection is not None else None, visibility
            ),
            "selection_url": absolute(reverse("selections:detail", args=[selection.pk]))
            if selection
            else "",
            "link": absolute(link),
        }
        messages.append(_message("notices/given", context, owner, reply_to=by))
    return _send(messages, f"follow-ups given by {by.user.get_username()}")


def generation_notify(generation_id: int) -> int:
    """The notices of one generation: each owner it gave follow-ups to (other than its
    creator) gets one e-mail with a link to their activity list filtered to it.

    followups.services.followups_generate asks for it once, on the commit of the
    transaction that created the generation: a rolled-back generation asks for
    nothing, and a retry with the same one-time key creates nothing and asks for
    nothing. An undo sends nothing."""
    generation = (
        Generation.objects.select_related("created_by__user", "selection")
        .filter(pk=generation_id)
        .first()
    )
    if generation is None or generation.undone_at is not None:
        return 0
    if generation.owner_mode == OwnerMode.MINE:
        return 0  # every row is its creator's own: nobody to tell, nothing to read
    link = reverse("followups:activity_list") + "?" + urlencode({"generation": generation.pk})
    return followups_given_notify(
        followups=FollowUp.objects.filter(generation=generation),
        by=generation.created_by,
        link=link,
        selection=generation.selection,
        selection_name=generation.selection_name,
    )


def followup_owner_notify(followup_id: int, by: Associate) -> int:
    """The notice for one follow-up given to a new owner (the follow-up's page), asked
    for on the commit of the change."""
    followups = FollowUp.objects.filter(pk=followup_id)
    followup = followups.select_related("generation__selection").first()
    if followup is None:
        return 0
    generation = followup.generation
    return followups_given_notify(
        followups=followups,
        by=by,
        link=reverse("followups:detail", args=[followup_id]),
        selection=generation.selection if generation else None,
        selection_name=generation.selection_name if generation else "",
    )


def bulk_change_notify(change_id: int) -> int:
    """The notices of one bulk reassignment: each associate it gave follow-ups to
    (other than the one who made it) gets one e-mail with a link to their activity list
    filtered to exactly those (?bulk=<id>: the follow-ups that change gave them).

    followups.bulk.bulk_apply asks for it once, on the commit of the change; an undo
    sends nothing. Two queries to find them (the change, then followups_given_notify's)."""
    change = (
        BulkChange.objects.select_related("created_by__user")
        .filter(pk=change_id, action=BulkAction.REASSIGN, undone_at__isnull=True)
        .first()
    )
    if change is None:
        return 0
    link = reverse("followups:activity_list") + "?" + urlencode({"bulk": change.pk})
    return followups_given_notify(
        followups=FollowUp.objects.filter(given_by_change(change.pk)),
        by=change.created_by,
        link=link,
    )


def given_by_change(change_id: int) -> Exists:
    """A follow-up that the bulk change `change_id` gave to its owner: recorded by the
    change, with another owner before it."""
    return Exists(
        BulkChangeRow.objects.filter(change_id=change_id, followup_id=OuterRef("pk")).exclude(
            owner_id=OuterRef("owner_id")
        )
    )


# The morning digest ----------------------------------------------------------------------


@dataclass
class DigestRun:
    sent: int = 0
    already: int = 0  # already sent today
    empty: int = 0  # nothing overdue or due today
    failed: int = 0


def digest_send(*, day: date | None = None) -> DigestRun:
    """Each active associate who asked for the digest and has an e-mail address gets
    once for `day` (today) their overdue and due-today follow-ups: the counts and the
    first DIGEST_ROWS by start date.

    Once per associate and day: a DigestSent row is claimed (unique per associate and
    day) before the message is sent, so a second run, or two at once, sends nothing
    more; if sending fails the claim is given back, so the next run tries again.
    Associates are read in chunks and each digest holds at most DIGEST_ROWS follow-ups,
    so memory does not grow with the number of follow-ups. An associate with nothing
    overdue or due gets nothing that day (and nothing is recorded).
    """
    day = day or timezone.localdate()
    run = DigestRun()
    recipients = (
        Associate.objects.active()
        .filter(morning_digest=True)
        .exclude(user__email="")
        .exclude(digests__day=day)
        .select_related("user")
        .order_by("pk")
    )
    connection = get_connection()  # opened at the first message, kept open for the rest
    try:
        for associate in recipients.iterator(chunk_size=200):
            counts = FollowUp.objects.filter(owner=associate, completed=False).aggregate(
                overdue=Count("id", filter=overdue_on(day)),
                today=Count("id", filter=Q(start_date=day)),
            )
            if not counts["overdue"] and not counts["today"]:
                run.empty += 1
                continue
            try:
                with transaction.atomic():
                    claim = DigestSent.objects.create(associate=associate, day=day)
            except IntegrityError:
                run.already += 1  # another run sent it a moment ago
                continue
            rows = list(
                FollowUp.objects.filter(owner=associate, completed=False, start_date__lte=day)
                .select_related("company", "person", "type")
                .order_by("start_date", "id")[:DIGEST_ROWS]
            )
            activities = absolute(reverse("followups:activity_list"))
            context = {
                "day": day,
                "counts": counts,
                "rows": rows,
                "more": counts["overdue"] + counts["today"] - len(rows),
                "overdue_url": activities + "?show=overdue",
                "today_url": activities + "?show=today",
                "site_url": settings.SITE_URL,
            }
            message = _message("notices/digest", context, associate)
            try:
                connection.open()
                connection.send_messages([message])
            except Exception:
                logger.exception("digest for %s could not be sent", associate.user.get_username())
                claim.delete()
                run.failed += 1
                continue
            run.sent += 1
    finally:
        connection.close()
    logger.info(
        "digest %s: sent %d, already sent %d, nothing due %d, failed %d",
        day,
        run.sent,
        run.already,
        run.empty,
        run.failed,
    )
    return run
