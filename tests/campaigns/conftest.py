"""Campaign fixtures built through the services, as a user would build them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jinguo.campaigns import services
from jinguo.campaigns.models import CampaignTarget, VenueType
from jinguo.campaigns.services import EventSpec

LINES = [
    "开展全市妇联系统“三项”技能竞赛活动",
    "开展纪念“三八”节妇女代表座谈活动",
    "开展“三八”妇女维权周活动",
    "开展“三八”节文艺赛事活动",
    "开展特殊困难群体的关心关爱活动",
]


def campaign_kwargs(**overrides) -> dict:
    now = timezone.now()
    kwargs = {
        "title": "关于开展2023年“巾帼心向党 奋进新征程”“三八”国际妇女节系列活动方案的通知",
        "theme": "巾帼心向党 奋进新征程",
        "doc_number": "毕妇发〔2023〕2号",
        "starts_on": dt.date(2023, 2, 20),
        "ends_on": dt.date(2023, 3, 31),
        "body": "各县（市、区）妇联，市直各单位妇联（妇委会、妇女小组），市妇联机关各部（室）：……",
        "plan_deadline": now + dt.timedelta(days=7),
        "summary_deadline": now + dt.timedelta(days=30),
        "lines": LINES,
    }
    kwargs.update(overrides)
    return kwargs


def event(**overrides) -> EventSpec:
    values = {
        "title": "维权周普法宣讲",
        "date": dt.date(2023, 3, 5),
        "place": "市西街道新民社区",
        "venue_type": VenueType.COMMUNITY,
        "expected_participants": 80,
    }
    values.update(overrides)
    return EventSpec(**values)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def draft(tree, users):
    """The seed notice as a city draft to both counties."""
    return services.create_campaign(
        issuer=tree.city, by=users.city_admin, target_units=[tree.qxg, tree.dafang], **campaign_kwargs()
    )


@pytest.fixture
def published(draft, users):
    services.publish_campaign(draft, by=users.city_admin)
    draft.refresh_from_db()
    return draft


@pytest.fixture
def qxg_target(published, tree):
    return CampaignTarget.objects.get(campaign=published, org=tree.qxg)


@pytest.fixture
def dafang_target(published, tree):
    return CampaignTarget.objects.get(campaign=published, org=tree.dafang)


@pytest.fixture
def qxg_plan(qxg_target, users):
    return services.save_plan(
        qxg_target,
        by=users.qxg_liaison,
        person_in_charge="张丽",
        contact_phone="0857-8221234",
        summary="围绕维权周开展宣讲",
        events=[event()],
    )


@pytest.fixture
def qxg_submitted(qxg_plan, users):
    services.submit_plan(qxg_plan, by=users.qxg_liaison)
    qxg_plan.refresh_from_db()
    return qxg_plan
