"""A city campaign with everything a summary reports on, in 七星关区 (and its township and a
village below it, through 七星关区's re-issue) and in sibling 大方县 (the data that must not leak)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from jinguo.activities.models import Activity, Need
from jinguo.activities.rollups import apply_activity_changes
from jinguo.campaigns.models import ActivityLine, Campaign, CampaignTarget, VenueType
from jinguo.orgs.models import Org
from jinguo.quiz.models import Participant, QuestionBank, Quiz, UnitTarget
from jinguo.reports.models import Report
from tests.factories import make_campaign, make_org

Fmt, Speaker = Activity.Format, Activity.SpeakerType


def activity(org, by, campaign, *, line=None, **fields) -> Activity:
    defaults = {
        "title": "维权周宣讲",
        "date": dt.date(2023, 3, 6),
        "place": "村委会",
        "venue_type": VenueType.VILLAGE,
        "format": Fmt.LECTURE,
        "participants_total": 40,
        "participants_women": 30,
        "created_by": by,
    }
    entry = Activity.objects.create(org=org, campaign=campaign, line=line, **(defaults | fields))
    apply_activity_changes([(entry, 1)])  # what the ledger services do in their transaction
    return entry


def report(org, by, campaign, *, status=Report.Status.SUBMITTED, kind=Report.Kind.NEWS, title="维权周信息") -> Report:
    return Report.objects.create(
        org=org, to_org=campaign.issuer, campaign=campaign, kind=kind, title=title, body="正文", status=status,
        submitted_at=timezone.now(), reviewed_at=timezone.now() if status == Report.Status.ADOPTED else None,
        created_by=by,
    )  # fmt: skip


def participant(quiz, unit, n: int, score=80) -> Participant:
    return Participant.objects.create(
        quiz=quiz, key=f"1380000{unit.pk:02d}{n:02d}", phone="", name=f"参赛人{n}", unit=unit, attempts_count=1,
        best_score=score,
    )  # fmt: skip


@pytest.fixture
def world(tree, users):
    u = users
    village = make_org("七星关区市西街道一村妇联", Org.Kind.VILLAGE, tree.qxg_town)
    campaign = make_campaign(
        issuer=tree.city,
        by=u.city_admin,
        targets=[tree.qxg, tree.dafang, tree.office],
        title="关于开展维权周活动的通知",
    )
    reissue = make_campaign(issuer=tree.qxg, by=u.qxg_admin, targets=[tree.qxg_town], title="转发：维权周活动")
    Campaign.objects.filter(pk=reissue.pk).update(parent=campaign)
    other = make_campaign(issuer=tree.city, by=u.city_admin, targets=[tree.qxg], title="另一个活动")
    line1, line2 = ActivityLine.objects.filter(campaign=campaign).order_by("order")
    r_line2 = ActivityLine.objects.get(campaign=reissue, order=1)
    CampaignTarget.objects.filter(campaign=campaign, org=tree.qxg).update(signed_at=timezone.now())
    acts = SimpleNamespace(
        qxg=activity(tree.qxg, u.qxg_liaison, campaign, line=line1, speaker_type=Speaker.LEADER,
                     participants_total=50, participants_women=45),
        town=activity(tree.qxg_town, u.qxg_liaison, reissue, line=r_line2, format=Fmt.SYMPOSIUM,
                      venue_type=VenueType.COMMUNITY, speaker_type=Speaker.MODEL, participants_total=30,
                      participants_women=20),
        village=activity(village, u.qxg_liaison, campaign, venue_type=VenueType.SCHOOL, format=Fmt.QUIZ,
                         participants_total=20, participants_women=10),
        qxg2=activity(tree.qxg, u.qxg_liaison, campaign, line=line2, venue_type=VenueType.ENTERPRISE,
                      speaker_type=Speaker.VOLUNTEER, participants_total=25, participants_women=25),
        dafang=activity(tree.dafang, u.dafang_liaison, campaign, line=line1, venue_type=VenueType.ENTERPRISE,
                        participants_total=60, participants_women=60),
        city=activity(tree.city, u.city_admin, campaign, line=line2, venue_type=VenueType.AGENCY,
                      participants_total=100, participants_women=80),
        other=activity(tree.qxg, u.qxg_liaison, other, participants_total=999),
    )  # fmt: skip
    Need.objects.create(activity=acts.town, org=tree.qxg_town, category=Need.Category.EMPLOYMENT,
                        description="就业岗位信息", created_by=u.qxg_liaison)  # fmt: skip
    Need.objects.create(activity=acts.town, org=tree.qxg_town, category=Need.Category.SKILLS, description="技能培训",
                        status=Need.Status.RESOLVED, created_by=u.qxg_liaison)  # fmt: skip
    report(tree.qxg, u.qxg_liaison, campaign)
    report(tree.qxg_town, u.qxg_liaison, campaign, status=Report.Status.ADOPTED, kind=Report.Kind.PRACTICE,
           title="市西街道“巾帼宣讲进万家”的做法")  # fmt: skip
    report(tree.dafang, u.dafang_liaison, campaign, status=Report.Status.ADOPTED, kind=Report.Kind.PRACTICE,
           title="大方县的好做法")  # fmt: skip
    report(tree.qxg, u.qxg_liaison, other, status=Report.Status.ADOPTED, kind=Report.Kind.PRACTICE,
           title="另一个活动的做法")  # fmt: skip
    bank = QuestionBank.objects.create(owner=tree.city, name="题库")
    quiz = Quiz.objects.create(
        owner=tree.city, bank=bank, title="妇女权益保障法知识竞赛", slug="wqz2023", is_published=True,
        opens_at=timezone.make_aware(dt.datetime(2023, 3, 1)), closes_at=timezone.make_aware(dt.datetime(2023, 3, 10)),
        paper_rules=[{"topic": "", "kind": "single", "difficulty": "", "count": 2}],
    )  # fmt: skip
    for n in range(3):
        participant(quiz, tree.qxg, n)
    for n in range(4):
        participant(quiz, tree.qxg_town, n)
    for n in range(5):
        participant(quiz, tree.dafang, n)
    UnitTarget.objects.create(quiz=quiz, unit=tree.qxg, members=10)
    UnitTarget.objects.create(quiz=quiz, unit=tree.qxg_town, members=5)
    UnitTarget.objects.create(quiz=quiz, unit=tree.dafang, members=5)
    return SimpleNamespace(campaign=campaign, reissue=reissue, other=other, village=village, acts=acts, quiz=quiz)
