"""The demo campaign: the Bijie City federation's 2023 notice [2023-2], part-way through.

The notice text, its five activity lines and its addressees are the real ones. Its dates are set
relative to today, so that the demo is always mid-campaign: the plan deadline passed two days
ago (some units are overdue), the summary deadline is three weeks ahead. Receipts and plans are
in every state, made through the same services the pages use, then back-dated.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from jinguo.accounts.models import User
from jinguo.campaigns import services
from jinguo.campaigns.models import ActivityLine, Campaign, CampaignTarget, Plan, VenueType
from jinguo.campaigns.services import EventSpec
from jinguo.orgs.models import Org

NOTICE = Path(settings.BASE_DIR) / "data" / "notice-2023-2.txt"
TITLE = "关于开展2023年“巾帼心向党 奋进新征程”“三八”国际妇女节系列活动方案的通知"
LINES = [
    ("“三项”技能竞赛（征文、演讲、知识竞赛）", "（一）"),
    ("纪念“三八”节妇女代表座谈活动", "（二）"),
    ("“三八”妇女维权周活动", "（三）"),
    ("“三八”节文艺赛事活动", "（四）"),
    ("特殊困难群体关心关爱活动", "（五）"),
]
# 各县（市、区）妇联，市直各单位妇联（妇委会、妇女小组），市妇联机关各部（室）
ADDRESSEES = [Org.Kind.COUNTY, Org.Kind.COMMITTEE, Org.Kind.GROUP, Org.Kind.DEPARTMENT]


def _body_and_lines() -> tuple[str, list[tuple[str, str]]]:
    paragraphs = NOTICE.read_text(encoding="utf-8").split("\n\n")
    body = "\n\n".join(p for p in paragraphs[3:] if p.strip())
    activities = paragraphs[paragraphs.index("二、主要活动") + 1 : paragraphs.index("三、工作要求")]
    lines = []
    for title, marker in LINES:
        text = "\n\n".join(p for p in activities if p.startswith(marker))
        lines.append((title, text))
    # The 廉洁家风 alternative belongs to line (二).
    lines[1] = (lines[1][0], lines[1][1] + "\n\n" + next(p for p in activities if p.startswith("或组织")))
    return body, lines


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _target(campaign: Campaign, unit: str) -> CampaignTarget:
    return CampaignTarget.objects.select_related("org").get(campaign=campaign, org__name=unit)


def _events(campaign: Campaign, county: str, today: dt.date) -> list[EventSpec]:
    lines = list(ActivityLine.objects.filter(campaign=campaign).order_by("order"))
    return [
        EventSpec(
            title=f"{county}“三八”维权周普法宣讲进农村",
            date=today + dt.timedelta(days=3),
            place=f"{county}某村村委会",
            venue_type=VenueType.VILLAGE,
            expected_participants=120,
            line=lines[2],
        ),
        EventSpec(
            title="妇女代表座谈会（三八红旗手、女企业家）",
            date=today + dt.timedelta(days=5),
            place=f"{county}妇联会议室",
            venue_type=VenueType.AGENCY,
            expected_participants=30,
            line=lines[1],
        ),
        EventSpec(
            title="家庭教育促进法进校园",
            date=today + dt.timedelta(days=8),
            place=f"{county}第一中学",
            venue_type=VenueType.SCHOOL,
            expected_participants=300,
            line=lines[2],
        ),
        EventSpec(
            title="困难妇女和留守儿童走访慰问",
            date=today + dt.timedelta(days=10),
            place=f"{county}各乡镇",
            venue_type=VenueType.COMMUNITY,
            expected_participants=60,
            line=lines[4],
        ),
    ]


def _file_plan(campaign: Campaign, unit: str, username: str, *, submit: bool = True, change_note: str = "") -> Plan:
    user = _user(username)
    target = _target(campaign, unit)
    services.sign_campaign(target, by=user)
    short = target.org.short_name or target.org.name
    plan = services.save_plan(
        target,
        by=user,
        person_in_charge=user.full_name.split("（")[0],
        contact_phone="13985712345",
        summary=f"{short}妇联按照市妇联通知要求，围绕五项主要活动制定本方案，分层分类推进，线上线下联动。",
        lines=list(ActivityLine.objects.filter(campaign=campaign)),
        events=_events(campaign, short, timezone.localdate()),
        change_note=change_note,
    )
    if submit:
        services.submit_plan(plan, by=user)
    return plan


def load_campaign() -> Campaign:
    city = Org.objects.get(code="520500")
    admin, reviewer = _user("sj_admin"), _user("sj_review")
    now = timezone.now()
    today = timezone.localdate()
    body, lines = _body_and_lines()
    campaign = services.create_campaign(
        issuer=city,
        by=admin,
        title=TITLE,
        theme="巾帼心向党 奋进新征程",
        doc_number="毕妇发〔2023〕2号",
        starts_on=today - dt.timedelta(days=12),
        ends_on=today + dt.timedelta(days=30),
        plan_deadline=now + dt.timedelta(days=1),
        summary_deadline=now + dt.timedelta(days=21),
        body=body,
        lines=lines,
        target_kinds=ADDRESSEES,
    )
    services.publish_campaign(campaign, by=admin)

    # 已备案
    services.approve_plan(_file_plan(campaign, "七星关区妇联", "qxg_lly"), by=reviewer)
    services.approve_plan(_file_plan(campaign, "百里杜鹃管理区妇联", "bldj_lly"), by=reviewer)
    # 已报送, waiting for review
    _file_plan(campaign, "大方县妇联", "df_lly")
    _file_plan(campaign, "黔西市妇联", "qx_lly")
    _file_plan(campaign, "毕节市教育局妇委会", "jyj_lly")
    # 退回修改
    services.return_plan(
        _file_plan(campaign, "金沙县妇联", "js_lly"),
        by=reviewer,
        reason="维权周活动未覆盖企业和学校，请补充“进企业、进学校”的宣讲安排，并写明宣讲人类型。",
    )
    # Returned once, fixed, approved: two versions in the history.
    plan = _file_plan(campaign, "赫章县妇联", "hz_lly")
    services.return_plan(plan, by=reviewer, reason="请补充关心关爱活动的具体对象和人数。")
    note = "已补充：走访慰问困难妇女 40 户、留守儿童 20 名，由各乡镇妇联主席带队。"
    plan = _file_plan(campaign, "赫章县妇联", "hz_lly", change_note=note)
    services.approve_plan(plan, by=reviewer)
    # A draft never submitted, and a signature without a plan: overdue once the deadline passes.
    _file_plan(campaign, "织金县妇联", "zj_lly", submit=False)
    services.sign_campaign(_target(campaign, "纳雍县妇联"), by=_user("ny_lly"))
    services.sign_campaign(_target(campaign, "办公室"), by=_user("sj_office"))
    # 威宁, 金海湖 and most committees and departments have not signed.

    # 七星关区 passes the notice on to its townships; one has signed.
    qxg_admin = _user("qxg_admin")
    child = services.reissue_campaign(
        campaign, by=qxg_admin, plan_deadline=now + dt.timedelta(days=6), target_kinds=[Org.Kind.TOWNSHIP]
    )
    services.publish_campaign(child, by=qxg_admin)
    services.sign_campaign(_target(child, "市西街道妇联"), by=_user("sxjd_lly"))

    from jinguo.demo import ledger

    ledger.load_ledger(campaign)
    ledger.load_reports(campaign)

    # Back-date the city campaign: published twelve days ago, plan deadline two days ago.
    Campaign.objects.filter(pk=campaign.pk).update(
        published_at=now - dt.timedelta(days=12), plan_deadline=now - dt.timedelta(days=2)
    )
    return campaign
