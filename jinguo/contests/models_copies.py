"""Copy detection's rows: the stored fingerprints of texts, and the pairs found with the organiser's
verdict. Imported at the end of ``models.py`` (Django finds them there); the detection itself is
``similarity.py`` and needs no database, the checks and verdicts are ``copies.py``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jinguo.contests.models import Contest, Entry, EntryVersion, ReferenceText
from jinguo.lib.scoping import ScopedManager


class TextFingerprint(models.Model):
    """The fingerprint of an entry version or a reference text (``similarity.Fingerprint`` as bytes),
    so that earlier contests and the corpus are not hashed again at every check. ``discount``
    names the quoted-law and boilerplate set it was made with: another set makes it stale."""

    version = models.OneToOneField(
        EntryVersion, null=True, blank=True, on_delete=models.CASCADE, related_name="fingerprint"
    )
    reference = models.OneToOneField(
        ReferenceText, null=True, blank=True, on_delete=models.CASCADE, related_name="fingerprint"
    )
    discount = models.CharField(max_length=40)
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(org=("version__entry__contest__owner", "reference__owner"))

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(version__isnull=False, reference__isnull=True)
                | Q(version__isnull=True, reference__isnull=False),
                name="contests_fingerprint_one_text",
            )
        ]

    def __str__(self) -> str:
        if self.version_id:
            return f"fingerprint of version {self.version_id}"
        return f"fingerprint of reference {self.reference_id}"


class Overlap(models.Model):
    """A pair that copy detection found: an entry of ``contest`` and another entry (of this contest
    or an earlier one) or a reference text, with its score, and the organiser's verdict. A person
    decides: the score only says where to look."""

    class Verdict(models.TextChoices):
        OPEN = "open", _("待核查")
        COPY = "copy", _("确认抄袭")
        NOT_COPY = "not_copy", _("不是抄袭")

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="overlaps")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="+")
    other_entry = models.ForeignKey(Entry, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    reference = models.ForeignKey(ReferenceText, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(_("重合度"))
    found_at = models.DateTimeField(_("发现时间"))
    verdict = models.CharField(_("核查结论"), max_length=10, choices=Verdict.choices, default=Verdict.OPEN)
    note = models.TextField(_("核查说明"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    # The organiser's working list: the contest's owner and the units above it, never the
    # authors' units (it names who may have copied whom) and never judges.
    objects = ScopedManager(org="contest__owner")

    class Meta:
        verbose_name = _("疑似重复")
        verbose_name_plural = _("疑似重复")
        ordering = ["-score", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(other_entry__isnull=False, reference__isnull=True)
                | Q(other_entry__isnull=True, reference__isnull=False),
                name="contests_overlap_one_other",
            ),
            models.UniqueConstraint(
                fields=["contest", "entry", "other_entry"],
                condition=Q(other_entry__isnull=False),
                name="contests_overlap_entry_pair",
            ),
            models.UniqueConstraint(
                fields=["contest", "entry", "reference"],
                condition=Q(reference__isnull=False),
                name="contests_overlap_reference_pair",
            ),
        ]

    def __str__(self) -> str:
        other = f"entry {self.other_entry_id}" if self.other_entry_id else f"reference {self.reference_id}"
        return f"entry {self.entry_id} ~ {other} ({self.score:.2f})"

    @property
    def percent(self) -> int:
        return round(self.score * 100)
