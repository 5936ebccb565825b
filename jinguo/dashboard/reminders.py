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


def send_reminders(*, now: dt.datetime | None = None, dry_run: bool = False) -> tuple[int, int]:
    """Send each behind unit's digest to its active liaisons and admins, once a day per user.

    Side effects: one in-app notification (kind REMINDER) per user, and one e-mail per user with
    an address, through Django's e-mail backend. Returns (units, users) reminded.
    """
    now = now or timezone.now()
    digests = collect_digests(now=now)
    if not digests:
        return 0, 0
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    already = set(
        Notification.objects.filter(kind=Notification.Kind.REMINDER, created_at__gte=day_start).values_list(
            "recipient_id", flat=True
        )
    )
    users_by_org: dict[int, list[User]] = defaultdict(list)
    for user in User.objects.filter(org_id__in=digests, is_active=True).filter(
        Q(is_liaison=True) | Q(is_org_admin=True)
    ):
        if user.pk not in already:
            users_by_org[user.org_id].append(user)
    units = users = 0
    mails = []
    url = reverse("home")
    for org_id, digest in digests.items():
        recipients = users_by_org.get(org_id, [])
        if not recipients:
            continue
        units += 1
        users += len(recipients)
        if dry_run:
            continue
        title = f"{digest.org.display_name}有 {len(digest.items)} 项工作待办"
        notify_users(users=recipients, kind=Notification.Kind.REMINDER, title=title, url=url, body=digest.text)
        mails.extend(
            (f"【巾帼】{title}", digest.text, settings.DEFAULT_FROM_EMAIL, [u.email]) for u in recipients if u.email
        )
    if mails:
        send_mass_mail(mails, fail_silently=False)
    return units, users
