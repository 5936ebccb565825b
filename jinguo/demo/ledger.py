"""Demo of the campaign mid-way: ledger entries in every venue type, a symposium whose needs are in
every state, and information reports adopted, not adopted and waiting. Made through the services."""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from jinguo.accounts.models import User
from jinguo.activities import services as ledger
from jinguo.activities.models import Activity, Attendee, Need
from jinguo.campaigns.models import ActivityLine, Campaign, PlannedEvent
from jinguo.orgs.models import Org
from jinguo.reports import services as reports
from jinguo.reports.models import Report, ReportAdoption

LAWS_ALL = ["law_civil_code", "law_women_rights", "law_domestic_violence", "law_family_education", "law_minors"]

# (unit, liaison, days ago, title, venue, format, speaker, laws, total, women, minors, online)
EVENTS = [
    (
        "七星关区妇联",
        "qxg_lly",
        9,
        "“三八”维权周普法宣讲进碧阳社区",
        "community",
        "lecture",
        "leader",
        LAWS_ALL[:3],
        180,
        150,
        0,
        0,
    ),
    (
        "七星关区妇联",
        "qxg_lly",
        7,
        "巾帼志愿宣讲队进企业：反家暴法宣讲",
        "enterprise",
        "lecture",
        "volunteer",
        ["law_domestic_violence"],
        95,
        80,
        0,
        0,
    ),
    (
        "七星关区妇联",
        "qxg_lly",
        5,
        "“护蕾行动”进校园：未成年人保护法讲座",
        "school",
        "lecture",
        "model",
        ["law_minors"],
        420,
        210,
        380,
        0,
    ),
    (
        "七星关区妇联",
        "qxg_lly",
        3,
        "家庭教育促进法线上直播课",
        "online",
        "training",
        "woman",
        ["law_family_education"],
        60,
        45,
        0,
        5200,
    ),
    (
        "大方县妇联",
        "df_lly",
        8,
        "普法宣讲进农村：妇女权益保障法",
        "village",
        "lecture",
        "leader",
        ["law_women_rights"],
        210,
        170,
        12,
        0,
    ),
    (
        "大方县妇联",
        "df_lly",
        6,
        "巾帼故事分享会",
        "community",
        "story",
        "model",
        ["law_women_rights", "law_civil_code"],
        75,
        70,
        0,
        0,
    ),
    ("大方县妇联", "df_lly", 2, "“三八”文艺展演", "village", "show", "", [], 600, 420, 80, 1500),
    ("金沙县妇联", "js_lly", 7, "妇女权益保障法知识竞赛", "agency", "quiz", "", ["law_women_rights"], 120, 100, 0, 0),
    ("金沙县妇联", "js_lly", 4, "困难妇女走访慰问", "village", "visit", "", [], 40, 40, 6, 0),
    (
        "黔西市妇联",
        "qx_lly",
        6,
        "普法宣讲进企业：女职工权益保护",
        "enterprise",
        "lecture",
        "woman",
        ["law_women_rights"],
        130,
        118,
        0,
        0,
    ),
    (
        "黔西市妇联",
        "qx_lly",
        1,
        "家庭教育指导进学校",
        "school",
        "training",
        "volunteer",
        ["law_family_education", "law_minors"],
        300,
        160,
        240,
        0,
    ),
    ("赫章县妇联", "hz_lly", 5, "“三八”维权周演讲比赛", "agency", "speech", "woman", LAWS_ALL, 150, 120, 0, 800),
    (
        "百里杜鹃管理区妇联",
        "bldj_lly",
        4,
        "民法典婚姻家庭编进村寨",
        "village",
        "lecture",
        "leader",
        ["law_civil_code"],
        160,
        120,
        0,
        0,
    ),
    (
        "毕节市教育局妇委会",
        "jyj_lly",
        3,
        "女教师“三八”座谈与普法",
        "school",
        "lecture",
        "leader",
        ["law_women_rights", "law_family_education"],
        85,
        80,
        0,
        0,
    ),
]

ATTENDEES = [
    ("杨秀英", "red_banner", "七星关区碧阳社区"),
    ("陈晓梅", "scientist", "毕节市农科所"),
    ("罗丽", "intellectual", "毕节医学高等专科学校"),
    ("王红", "entrepreneur", "毕节某刺绣有限公司"),
    ("龙春花", "rural_leader", "七星关区某村合作社"),
    ("吴倩", "influencer", "本地短视频博主"),
]

# (category, description, raiser, state, due in days, closing note)
NEEDS = [
    (
        "finance",
        "希望帮助对接创业担保贷款，扩大刺绣合作社规模",
        "王红",
        "resolved",
        10,
        "已对接区人社局，获批创业担保贷款 20 万元。",
    ),
    ("skills", "希望为合作社妇女举办电商直播技能培训", "龙春花", "in_progress", 15, ""),
    ("employment", "返乡妇女希望就近就业，盼望引进来料加工项目", "杨秀英", "registered", 20, ""),
    ("family_education", "社区留守儿童家庭教育指导需要常态化", "罗丽", "in_progress", -2, ""),
    ("legal_aid", "希望在村里设立妇女法律援助联系点", "陈晓梅", "registered", -1, ""),
    (
        "business",
        "希望将刺绣产品纳入省外消费帮扶目录",
        "王红",
        "unresolvable",
        30,
        "消费帮扶目录由省级部门统一确定，已向上级反映，本级无法解决。",
    ),
]


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _photo(title: str) -> SimpleUploadedFile:
    image = Image.new("RGB", (960, 640), (179, 32, 42))
    draw = ImageDraw.Draw(image)
    for i in range(0, 640, 16):
        draw.line([(0, i), (960, i)], fill=(190 + i % 40, 60, 70))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=80)
    return SimpleUploadedFile(f"{title[:10]}.jpg", buf.getvalue(), content_type="image/jpeg")


def _line(campaign: Campaign, order: int) -> ActivityLine:
    return ActivityLine.objects.get(campaign=campaign, order=order)


def load_ledger(campaign: Campaign) -> None:
    today = timezone.localdate()
    law_line = _line(campaign, 2)
    for unit, username, ago, title, venue, fmt, speaker, laws, total, women, minors, online in EVENTS:
        org = Org.objects.get(name=unit)
        activity = ledger.record_activity(
            org=org,
            by=_user(username),
            campaign=campaign,
            line=law_line if laws else _line(campaign, 3 if fmt == "show" else 4 if fmt == "visit" else 0),
            title=title,
            date=today - dt.timedelta(days=ago),
            place=f"{org.short_name or org.name}{ {'village': '某村', 'community': '某社区', 'enterprise': '某企业', 'school': '某学校', 'agency': '机关会议室', 'online': '线上直播间'}[venue] }",
            venue_type=venue,
            format=fmt,
            speaker_type=speaker,
            laws=laws,
            participants_total=total,
            participants_women=women,
            participants_minors=minors,
            online_reach=online,
            account=f"{title}，共 {total} 人参加，其中妇女 {women} 人。",
        )
        if ago % 3 == 0:
            ledger.add_photo(activity, by=_user(username), upload=_photo(title))

    # Planned events of filed plans recorded from the plan's pre-filled form, as held today (an
    # entry may not be dated in the future), with the actual headcount typed in.
    for event in PlannedEvent.objects.filter(
        plan__target__campaign=campaign, plan__target__org__name__in=["七星关区妇联", "赫章县妇联"]
    ).order_by("pk")[:4]:
        liaison = User.objects.filter(org=event.plan.target.org, is_liaison=True).first()
        fields = ledger.planned_event_prefill(event) | {"date": today}
        total = event.expected_participants * 9 // 10
        ledger.record_from_planned_event(
            event, by=liaison, **fields, participants_total=total, participants_women=total * 3 // 4
        )

    _load_symposium(campaign, today)


def _load_symposium(campaign: Campaign, today: dt.date) -> Activity:
    liaison = _user("qxg_lly")
    qxg = Org.objects.get(name="七星关区妇联")
    symposium = ledger.record_activity(
        org=qxg,
        by=liaison,
        campaign=campaign,
        line=_line(campaign, 1),
        title="纪念“三八”节妇女代表座谈会",
        date=today - dt.timedelta(days=8),
        place="七星关区妇联会议室",
        venue_type="agency",
        format=Activity.Format.SYMPOSIUM,
        participants_total=24,
        participants_women=24,
        account="围绕参与乡村振兴、发挥新时代女性作用进行座谈，收集所需所盼 6 项。",
    )
    for name, category, affiliation in ATTENDEES:
        ledger.add_attendee(
            symposium, by=liaison, name=name, category=Attendee.Category(category), affiliation=affiliation
        )
    ledger.save_minutes(
        symposium,
        by=liaison,
        minutes="一、区妇联通报“三八”系列活动安排。\n二、各位代表围绕创业就业、技能提升、家庭教育发言。\n"
        "三、汇总所需所盼 6 项，明确责任单位和办理时限，逐项跟踪办理。",
    )
    for category, description, raiser, state, due, note in NEEDS:
        need = ledger.raise_need(
            symposium,
            by=liaison,
            org=qxg,
            category=category,
            description=description,
            raised_by_name=raiser,
            raised_by_phone="13985700000",
            due_date=today + dt.timedelta(days=due),
        )
        if state in ("in_progress", "resolved"):
            ledger.start_need(need, by=liaison)
            ledger.add_need_note(need, by=liaison, note="已与相关部门联系，正在协调。")
        if state == "resolved":
            ledger.resolve_need(need, by=liaison, note=note)
        elif state == "unresolvable":
            ledger.close_need_unresolvable(need, by=liaison, reason=note)
    assert Need.objects.filter(activity=symposium).count() == len(NEEDS)
    return symposium


# (unit, liaison, kind, title, body, outcome, channels or reason)
REPORTS = [
    (
        "七星关区妇联",
        "qxg_lly",
        "practice",
        "七星关区“巾帼宣讲+”把普法课堂搬进社区、企业和校园",
        "七星关区妇联组建巾帼志愿宣讲队，采取领导干部带头讲、先进典型示范讲的方式，把《妇女权益保障法》等法律送进社区、企业和学校，维权周期间开展宣讲 4 场，覆盖 750 余人。",
        "adopted",
        ["website", "wechat", "briefing"],
    ),
    (
        "大方县妇联",
        "df_lly",
        "news",
        "大方县妇联举办“三八”文艺展演",
        "大方县妇联在“三八”节期间举办文艺展演，600 余名群众现场观看，线上观看 1500 余人次。",
        "adopted",
        ["wechat"],
    ),
    (
        "金沙县妇联",
        "js_lly",
        "news",
        "金沙县妇联开展知识竞赛",
        "金沙县妇联开展知识竞赛。",
        "rejected",
        "内容过于简略，请补充参赛人数、获奖情况和活动成效后重新报送。",
    ),
    (
        "黔西市妇联",
        "qx_lly",
        "practice",
        "黔西市“家校社”协同推进家庭教育指导",
        "黔西市妇联联合教育部门，把家庭教育指导送进学校，维权周期间服务家长和学生 300 人。",
        "submitted",
        None,
    ),
    (
        "赫章县妇联",
        "hz_lly",
        "suggestion",
        "关于在乡镇设立妇女法律援助联系点的建议",
        "基层妇女遇到婚姻家庭纠纷时求助渠道少，建议依托乡镇妇联设立法律援助联系点。",
        "submitted",
        None,
    ),
    ("百里杜鹃管理区妇联", "bldj_lly", "news", "百里杜鹃管理区民法典宣讲进村寨", "（草稿，尚未报送）", "draft", None),
]


def load_reports(campaign: Campaign) -> None:
    reviewer = _user("sj_review")
    for unit, username, kind, title, body, outcome, extra in REPORTS:
        by = _user(username)
        org = Org.objects.get(name=unit)
        linked = list(Activity.objects.filter(org=org, campaign=campaign).order_by("date")[:2])
        report = reports.save_report(
            None, by=by, kind=kind, title=title, body=body, campaign=campaign, activities=linked
        )
        if outcome == "draft":
            continue
        reports.submit_report(report, by=by)
        if outcome == "adopted":
            reports.adopt_report(report, by=reviewer, channels=[ReportAdoption.Channel(c) for c in extra])
        elif outcome == "rejected":
            reports.reject_report(report, by=reviewer, reason=extra)
    assert Report.objects.filter(campaign=campaign).count() == len(REPORTS)
