"""Reminders: one digest per unit that is behind, in-app and by e-mail. Units on track get nothing.

A unit is behind when, for a published campaign it was sent, it has not signed; its plan is not
filed and the deadline has passed or falls within ``SOON``; or when a need it is responsible for
is past its due date and still open. A user gets at most one digest a day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.urls import reverse
from django.utils import timezone

from jinguo.accounts.models import User
from jinguo.activities.models import Need
from jinguo.campaigns.models import Campaign, CampaignTarget, CampaignTargetQuerySet, PlanState
from jinguo.care.selectors import SOON_DAYS, followup_counts_by_org
from jinguo.lib.scoping import scopes_disabled
from jinguo.notifications.models import Notification
from jinguo.notifications.services import notify_users
from jinguo.orgs.models import Org

SOON = dt.timedelta(days=3)


@dataclass
class Digest:
    org: Org
    items: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(f"{i}. {item}" for i, item in enumerate(self.items, start=1))


def _local(value: dt.datetime) -> str:
    return f"{timezone.localtime(value):%m-%d %H:%M}"


def collect_digests(*, now: dt.datetime | None = None) -> dict[int, Digest]:
    """What each behind unit should be told, keyed by org id. Reads only; runs unscoped."""
    now = now or timezone.now()
    digests: dict[int, Digest] = {}

    def add(org: Org, item: str) -> None:
        digests.setdefault(org.pk, Digest(org=org)).items.append(item)

    # Not filed, and the deadline passed or falls within SOON: overdue is the same rule's first half.
    due = CampaignTargetQuerySet.unfiled_q() & Q(campaign__plan_deadline__lt=now + SOON)
    with scopes_disabled():  # reminders go to every unit that is behind, whatever its subtree
        targets = (
            CampaignTarget.objects.filter(campaign__status=Campaign.Status.PUBLISHED, org__is_active=True)
            .filter(Q(signed_at__isnull=True) | due)
            .with_plan_state(now=now)
            .annotate(plan_due=ExpressionWrapper(due, output_field=BooleanField()))
            .select_related("campaign", "org")
            .order_by("org__path", "campaign__plan_deadline")
        )
    for target in targets:
        campaign = target.campaign
        title = f"《{campaign.title}》"
        if target.signed_at is None:
            add(target.org, f"{title}尚未签收（{_local(campaign.published_at)} 发布）。")
        if target.plan_due:
            state = "被退回，尚未重新报送" if target.plan_state == PlanState.RETURNED else "尚未报送"
            if target.is_overdue:
                add(target.org, f"{title}的活动方案{state}，已于 {_local(campaign.plan_deadline)} 逾期。")
            else:
                add(target.org, f"{title}的活动方案{state}，将于 {_local(campaign.plan_deadline)} 截止。")

    needs = (
        Need.objects.filter(
            Need.COUNTED,
            status__in=[Need.Status.REGISTERED, Need.Status.IN_PROGRESS],
            due_date__lt=timezone.localdate(now),
            org__is_active=True,
        )
        .select_related("org")
        .order_by("org__path", "due_date")
    )
    for need in needs:
        add(need.org, f"所需所盼事项“{need.description[:30]}”已超过办理时限（{need.due_date:%Y-%m-%d}），请尽快办理。")
    return digests


def collect_care_digests(*, now: dt.datetime | None = None) -> dict[int, Digest]:
    """The care registry's follow-ups due, per unit, for its caseworkers: counts only, never a
    name (an e-mail leaves the system)."""
    today = timezone.localdate(now or timezone.now())
    with scopes_disabled():  # reminders go to every unit with follow-ups due
        counts = followup_counts_by_org(today=today)
        orgs = Org.objects.in_bulk(list(counts))
    digests: dict[int, Digest] = {}
    for org_id, (overdue, soon) in counts.items():
        parts = [f"{overdue} 人的回访已逾期" if overdue else "", f"{soon} 人将在 {SOON_DAYS} 天内到期" if soon else ""]
        text = "，".join(p for p in parts if p)
        digests[org_id] = Digest(org=orgs[org_id], items=[f"关爱对象回访：{text}，请到“待回访”查看。"])
    return digests


def send_reminders(*, now: dt.datetime | None = None, dry_run: bool = False) -> tuple[int, int]:
    """Send each behind unit's digest to its active liaisons and admins, once a day per user.

    Side effects: one in-app notification (kind REMINDER) per user, and one e-mail per user with
    an address, through Django's e-mail backend. Returns (units, users) reminded.
    """
    now = now or timezone.now()
    digests = collect_digests(now=now)
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    already = set(
        Notification.objects.filter(kind=Notification.Kind.REMINDER, created_at__gte=day_start).values_list(
            "recipient_id", flat=True
        )
    )
    care = collect_care_digests(now=now)
    # One digest per user: a unit's work to its liaisons and admins, its follow-ups to its caseworkers.
    items_of: dict[int, list[str]] = defaultdict(list)
    user_by_pk: dict[int, User] = {}
    with scopes_disabled():  # recipients in every unit that is behind
        recipients = User.objects.filter(org_id__in=set(digests) | set(care), is_active=True).filter(
            Q(is_liaison=True) | Q(is_org_admin=True) | Q(is_care_worker=True)
        )
        for user in recipients.select_related("org"):
            if user.pk in already:
                continue
            if (user.is_liaison or user.is_org_admin) and user.org_id in digests:
                items_of[user.pk] += digests[user.org_id].items
            if user.is_care_worker and user.org_id in care:
                items_of[user.pk] += care[user.org_id].items
            user_by_pk[user.pk] = user
    units, users = set(), 0
    mails = []
    url = reverse("home")
    for user_pk, items in items_of.items():
        if not items:
            continue
        user = user_by_pk[user_pk]
        units.add(user.org_id)
        users += 1
        if dry_run:
            continue
        digest = Digest(org=user.org, items=items)
        title = f"{digest.org.display_name}有 {len(digest.items)} 项工作待办"
        notify_users(users=[user], kind=Notification.Kind.REMINDER, title=title, url=url, body=digest.text)
        if user.email:
            mails.append((f"【巾帼】{title}", digest.text, settings.DEFAULT_FROM_EMAIL, [user.email]))
    if mails:
        send_mass_mail(mails, fail_silently=False)
    return len(units), users
