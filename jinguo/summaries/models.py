"""Campaign summaries (活动总结): drafted from what was logged, edited by the unit, filed upward.

A summary belongs to one unit and one campaign (the unit issued it or received it). Its text is
sections of paragraphs; a paragraph drafted from the data keeps the text it was drafted with
(``data_text``) and the figures behind it (``figures``), so the editor marks it as data until the
person rewrites it. Filing works as for plans: 已报送 → 已通过 or 退回修改 (with a reason), each
filing frozen as a ``SummaryVersion``.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from jinguo.lib.scoping import ScopedManager


class SummaryQuerySet(models.QuerySet):
    """Where a summary stands: the one definition of "filed" (报送 or 通过) and "not filed".

    ``state_of_targets`` is the same rule seen from a campaign's receipts (the matrix's 总结
    column): the state of the summary each target unit wrote for that campaign, or ``none``.
    """

    @classmethod
    def filed_q(cls, *, prefix: str = "") -> Q:
        return Q(**{f"{prefix}status__in": Summary.FILED_STATUSES})

    def filed(self) -> SummaryQuerySet:
        return self.filter(self.filed_q())

    def unfiled(self) -> SummaryQuerySet:
        return self.exclude(self.filed_q())

    def _of_targets(self) -> SummaryQuerySet:
        # A receipt's unit's summary of the receipt's campaign (one at most: unique together).
        return self.filter(campaign_id=OuterRef("campaign_id"), org_id=OuterRef("org_id")).order_by()

    def state_of_targets(self) -> Coalesce:
        """An annotation for CampaignTarget rows: their unit's summary state for their campaign."""
        return Coalesce(
            Subquery(self._of_targets().values("status")[:1]),
            Value(SummaryState.NONE.value),
            output_field=_SummaryStateField(),
        )

    def pk_of_targets(self) -> Subquery:
        """An annotation for CampaignTarget rows: the pk of that summary, or None."""
        return Subquery(self._of_targets().values("pk")[:1])


class Summary(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已报送")
        ACCEPTED = "accepted", _("已通过")
        RETURNED = "returned", _("退回修改")

    FILED_STATUSES = (Status.SUBMITTED, Status.ACCEPTED)

    campaign = models.ForeignKey(
        "campaigns.Campaign", verbose_name=_("活动"), on_delete=models.PROTECT, related_name="+"
    )
    org = models.ForeignKey("orgs.Org", verbose_name=_("总结单位"), on_delete=models.PROTECT, related_name="+")
    # The unit it is filed with: the campaign's issuer for a unit that received it, the unit above
    # for the issuer itself; None for a unit with nothing above it (its summary is only printed).
    to_org = models.ForeignKey(
        "orgs.Org", verbose_name=_("报送单位"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    title = models.CharField(_("标题"), max_length=200)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    # The per-unit table (the board's rows when drafted): {"header": [...], "rows": [[...], ...]}.
    appendix = models.JSONField(_("附表"), default=dict, blank=True)
    drafted_at = models.DateTimeField(_("数据截至"))
    version = models.PositiveIntegerField(_("版本"), default=0)
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    first_submitted_at = models.DateTimeField(_("首次报送时间"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    return_reason = models.TextField(_("退回原因"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The unit's own subtree and the units above it (the reviewer is always above).
    objects = ScopedManager.from_queryset(SummaryQuerySet)(org="org")

    class Meta:
        verbose_name = _("活动总结")
        verbose_name_plural = _("活动总结")
        ordering = ["campaign", "org__path"]
        constraints = [models.UniqueConstraint(fields=["campaign", "org"], name="unique_summary_campaign_org")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_filed(self) -> bool:
        return self.status in self.FILED_STATUSES

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)


class SummaryState(models.TextChoices):
    """A target unit's summary for a campaign: a ``Summary.Status``, or none written (``NONE``)."""

    NONE = "none", _("未起草")
    DRAFT = Summary.Status.DRAFT.value, Summary.Status.DRAFT.label
    SUBMITTED = Summary.Status.SUBMITTED.value, Summary.Status.SUBMITTED.label
    ACCEPTED = Summary.Status.ACCEPTED.value, Summary.Status.ACCEPTED.label
    RETURNED = Summary.Status.RETURNED.value, Summary.Status.RETURNED.label


class _SummaryStateField(models.CharField):
    def from_db_value(self, value, expression, connection):
        return SummaryState(value)


class Section(models.Model):
    """A heading and its paragraphs. ``key`` names the provider that drafted it ("" for the person's own)."""

    summary = models.ForeignKey(Summary, on_delete=models.CASCADE, related_name="sections")
    order = models.PositiveIntegerField(default=0)
    key = models.CharField(max_length=40, blank=True)
    heading = models.CharField(_("标题"), max_length=200)

    objects = ScopedManager(org="summary__org")

    class Meta:
        ordering = ["summary", "order", "id"]

    def __str__(self) -> str:
        return self.heading


class Paragraph(models.Model):
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="paragraphs")
    order = models.PositiveIntegerField(default=0)
    text = models.TextField(_("段落"))
    # What the draft wrote and the figures it wrote it from; empty for the person's own paragraphs.
    data_text = models.TextField(blank=True, editable=False)
    figures = models.JSONField(default=dict, blank=True, editable=False)

    objects = ScopedManager(org="section__summary__org")

    class Meta:
        ordering = ["section", "order", "id"]

    def __str__(self) -> str:
        return self.text[:30]

    @property
    def is_data(self) -> bool:
        """Drafted from the data and not rewritten since: the editor marks it."""
        return bool(self.data_text) and self.text == self.data_text

    @property
    def segments(self) -> list[tuple[str, bool]]:
        """The text as (piece, is_data) pairs: each sentence the draft wrote that is still there word
        for word stays marked as data; what the person wrote or rewrote is theirs."""
        sentences = [s for s in _SENTENCE.findall(self.data_text) if s.strip()]
        if not sentences:
            return [(self.text, False)]
        pattern = re.compile("(" + "|".join(re.escape(s) for s in sorted(sentences, key=len, reverse=True)) + ")")
        pieces = pattern.split(self.text)
        # re.split with one group: the odd pieces are the matches.
        return [(piece, i % 2 == 1) for i, piece in enumerate(pieces) if piece]


# A sentence ends with 。；！？ (or the text does); what a draft writes is cut there.
_SENTENCE = re.compile(r"[^。；！？]+[。；！？]?")


class SummaryVersion(models.Model):
    """A frozen copy of the summary as filed; the review outcome is written on it."""

    summary = models.ForeignKey(Summary, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    outcome = models.CharField(max_length=20, choices=Summary.Status.choices, default=Summary.Status.SUBMITTED)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    objects = ScopedManager(org="summary__org")

    class Meta:
        ordering = ["summary", "-number"]
        constraints = [models.UniqueConstraint(fields=["summary", "number"], name="unique_summary_version")]

    def __str__(self) -> str:
        return f"v{self.number}"
