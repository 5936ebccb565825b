"""The one status badge: ``{% load badges %}{% status_badge obj %}``.

Every status shown as a badge reads its label from the model's ``TextChoices`` and its colour
from ``BADGE_CLASSES``; templates never re-type a label or pick a colour themselves. Registered
as the template library ``badges`` in settings (``jinguo/lib`` is not an app).
"""

from __future__ import annotations

from django import template
from django.db import models
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

# Bootstrap badge classes by status value. A value means the same thing in every model (a draft
# is a draft, "submitted" waits for someone above), so one table serves all of them.
BADGE_CLASSES = {
    # campaigns.Campaign
    "draft": "text-bg-secondary",
    "published": "text-bg-success",
    "closed": "text-bg-success",
    # campaigns.Plan and campaigns.PlanState ("none": the target has no plan yet)
    "none": "text-bg-light border",
    "submitted": "text-bg-primary",
    "approved": "text-bg-success",
    "returned": "text-bg-warning",
    # reports.Report
    "adopted": "text-bg-success",
    "rejected": "text-bg-secondary",
    "voided": "text-bg-dark",
    # activities.Need
    "registered": "text-bg-warning",
    "in_progress": "text-bg-primary",
    "resolved": "text-bg-success",
    "unresolvable": "text-bg-secondary",
    # activities.Validity (a voided ledger entry, attendee or need; "voided" as for reports)
    "counted": "text-bg-light border",
    # quiz.Attempt; contests.Contest and Round ("open": collecting entries, a round being judged); care.DuplicateReport
    "open": "text-bg-primary",
    # summaries.Summary (and SummaryState: "none" as for plans)
    "accepted": "text-bg-success",
    # contests: Contest ("draft", "open" above), Entry, Recommendation, Round ("closed" above), Score
    "judging": "text-bg-info",
    "finished": "text-bg-success",
    "withdrawn": "text-bg-secondary",
    "disqualified": "text-bg-dark",
    "pending": "text-bg-warning",
    "recommended": "text-bg-success",
    "declined": "text-bg-secondary",
    "setup": "text-bg-light border",
    # contests.Overlap's verdict ("open" above: not checked yet)
    "copy": "text-bg-danger",
    "not_copy": "text-bg-secondary",
    # care.Person (在册 / 结案 is "closed" above), care.DuplicateReport
    "active": "text-bg-primary",
    "transferred": "text-bg-success",
    "dismissed": "text-bg-secondary",
}
UNKNOWN_CLASS = "text-bg-light border"


@register.simple_tag
def status_badge(subject, field: str = "status") -> SafeString:
    """A badge for ``subject``: a model instance and its choices ``field`` (``status`` unless
    named, e.g. ``{% status_badge version "outcome" %}``), or a ``TextChoices`` member (e.g. a
    target's annotated ``plan_state``)."""
    if isinstance(subject, models.Choices):
        value, label = subject.value, subject.label
    else:
        value, label = getattr(subject, field), getattr(subject, f"get_{field}_display")()
    return format_html('<span class="badge {}">{}</span>', BADGE_CLASSES.get(value, UNKNOWN_CLASS), label)
