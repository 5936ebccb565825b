"""The demo's summaries of the 2023 notice: the city's drafted, 七星关区's filed and accepted,
大方县's filed and returned with a reason — made through the services, as people would. Call
``load_demo_summaries()`` with scoping disabled, after the demo campaign and quiz."""

from __future__ import annotations

from jinguo.accounts.models import User
from jinguo.campaigns.models import Campaign
from jinguo.summaries import services
from jinguo.summaries.models import Section, Summary

QXG_WORDS = [
    "我区坚持把系列活动作为团结引领广大妇女听党话、感党恩、跟党走的重要抓手，区妇联主要负责同志带头宣讲，"
    "各乡镇（街道）妇联结合实际分层分类组织，做到了线上线下同步、覆盖城乡。",
]
QXG_NEXT = [
    "一是部分村（社区）活动形式较为单一，群众参与的积极性还需进一步调动。",
    "二是下一步将把维权周宣讲与家庭教育指导结合起来，常态化开展“巾帼宣讲进万家”活动。",
]


def _user(username: str) -> User:
    return User.objects.select_related("org").get(username=username)


def load_demo_summaries() -> list[Summary]:
    """Idempotent: summaries already there are left as they are. None without the demo campaign."""
    campaign = (
        Campaign.objects.filter(issuer__code="520500", parent=None)
        .exclude(status=Campaign.Status.DRAFT)
        .order_by("-published_at", "-pk")
        .first()
    )
    if campaign is None:
        return []
    if Summary.objects.filter(campaign=campaign).exists():
        return list(Summary.objects.filter(campaign=campaign))
    city_admin, reviewer = _user("sj_admin"), _user("sj_review")
    city = services.draft_summary(campaign, unit=city_admin.org, by=city_admin)

    qxg_lly = _user("qxg_lly")
    qxg = services.draft_summary(campaign, unit=qxg_lly.org, by=qxg_lly)
    overview = Section.objects.get(summary=qxg, key="overview")
    for text in QXG_WORDS:
        services.add_paragraph(overview, by=qxg_lly, text=text)
    next_steps = Section.objects.get(summary=qxg, key="next")
    for text in QXG_NEXT:
        services.add_paragraph(next_steps, by=qxg_lly, text=text)
    services.submit_summary(qxg, by=qxg_lly)
    services.accept_summary(qxg, by=reviewer)

    df_lly = _user("df_lly")
    dafang = services.draft_summary(campaign, unit=df_lly.org, by=df_lly)
    services.submit_summary(dafang, by=df_lly)
    services.return_summary(
        dafang, by=reviewer, reason="请补充“存在的问题和下一步打算”，并写明全县开展“四进”活动的具体做法。"
    )
    return [city, qxg, dafang]
