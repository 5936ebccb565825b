"""Factories and the named places of the test tree (see STYLE.md)."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from jinguo.accounts.models import User
from jinguo.campaigns.models import ActivityLine, Campaign, CampaignTarget, Plan, PlannedEvent, VenueType
from jinguo.orgs.models import Org
from jinguo.orgs.services import create_org

PASSWORD = "jinguo-test-pw-2026"


def make_org(name: str, kind: str = Org.Kind.TOWNSHIP, parent: Org | None = None, code: str | None = None) -> Org:
    return create_org(name=name, kind=kind, parent=parent, code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password(PASSWORD)


def make_campaign(
    *, issuer: Org, by: User, targets: list[Org] = (), title: str = "测试活动", published: bool = True, lines: int = 2
) -> Campaign:
    """A campaign written straight to the database (services are tested on their own)."""
    now = timezone.now()
    campaign = Campaign.objects.create(
        issuer=issuer,
        title=title,
        theme="巾帼心向党 奋进新征程",
        doc_number="〔2023〕2号",
        starts_on=dt.date(2023, 2, 20),
        ends_on=dt.date(2023, 3, 31),
        body="正文",
        plan_deadline=now + dt.timedelta(days=7),
        status=Campaign.Status.PUBLISHED if published else Campaign.Status.DRAFT,
        published_at=now if published else None,
        published_by=by if published else None,
        created_by=by,
    )
    for i in range(lines):
        ActivityLine.objects.create(campaign=campaign, order=i, title=f"活动{i + 1}")
    for org in targets:
        CampaignTarget.objects.create(campaign=campaign, org=org)
    return campaign


def make_plan(target: CampaignTarget, *, status: str = Plan.Status.SUBMITTED) -> Plan:
    plan = Plan.objects.create(
        target=target,
        status=status,
        person_in_charge="张丽",
        contact_phone="13800138000",
        submitted_at=timezone.now() if status != Plan.Status.DRAFT else None,
        version=1 if status != Plan.Status.DRAFT else 0,
    )
    PlannedEvent.objects.create(
        plan=plan,
        title="维权周宣讲",
        date=dt.date(2023, 3, 5),
        place="某村委会",
        venue_type=VenueType.VILLAGE,
        expected_participants=50,
    )
    return plan
