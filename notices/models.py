"""What was sent: the morning digest, once per associate and day."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.models import Associate


class DigestSent(models.Model):
    """A morning digest sent (or being sent) to an associate for a day. The unique pair
    is what makes the digest command idempotent: a run claims the row before it sends."""

    associate = models.ForeignKey(
        Associate, on_delete=models.CASCADE, related_name="digests", verbose_name=_("associate")
    )
    day = models.DateField(_("day"))
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        ordering = ["-day", "associate"]
        verbose_name = _("morning digest sent")
        verbose_name_plural = _("morning digests sent")
        constraints = [
            models.UniqueConstraint(fields=["associate", "day"], name="notices_digest_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.associate} · {self.day:%Y-%m-%d}"
