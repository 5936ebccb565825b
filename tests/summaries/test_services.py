"""Editing and filing: data marks, reorder, redraft keeps the person's words, review like plans."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from jinguo.audit.models import AuditEntry
from jinguo.notifications.models import Notification
from jinguo.summaries import services
from jinguo.summaries.models import Paragraph, Section, Summary, SummaryVersion
from jinguo.summaries.services import SummaryError


@pytest.fixture
def summary(tree, users, world) -> Summary:
    return services.draft_summary(world.campaign, unit=tree.qxg, by=users.qxg_liaison)


def texts(section: Section) -> list[str]:
    return list(Paragraph.objects.filter(section=section).order_by("order", "pk").values_list("text", flat=True))


def test_a_rewritten_paragraph_is_no_longer_marked_as_data(summary, users):
    p = Paragraph.objects.filter(section__summary=summary, section__key="overview").order_by("order").first()
    assert p.is_data
    services.update_paragraph(p, by=users.qxg_liaison, text=p.text + "活动形式多样。")
    p.refresh_from_db()
    assert not p.is_data
    assert p.text.endswith("活动形式多样。")


def test_paragraphs_are_added_moved_and_deleted(summary, users):
    section = Section.objects.get(summary=summary, key="next")
    by = users.qxg_liaison
    a = services.add_paragraph(section, by=by, text="一是宣传覆盖面还不够广。")
    b = services.add_paragraph(section, by=by, text="二是明年继续开展。")
    assert texts(section) == ["一是宣传覆盖面还不够广。", "二是明年继续开展。"]
    services.move_paragraph(b, by=by, up=True)
    assert texts(section) == ["二是明年继续开展。", "一是宣传覆盖面还不够广。"]
    services.move_paragraph(b, by=by, up=True)  # already first: nothing moves
    assert texts(section) == ["二是明年继续开展。", "一是宣传覆盖面还不够广。"]
    services.delete_paragraph(a, by=by)
    assert texts(section) == ["二是明年继续开展。"]
    assert not Paragraph.objects.get(pk=b.pk).is_data


def test_an_empty_paragraph_is_refused_in_chinese(summary, users):
    section = Section.objects.get(summary=summary, key="next")
    with pytest.raises(SummaryError, match="段落不能为空"):
        services.add_paragraph(section, by=users.qxg_liaison, text="   ")


def test_redrafting_replaces_data_and_keeps_the_persons_words(summary, users, world, tree):
    by = users.qxg_liaison
    overview = Section.objects.get(summary=summary, key="overview")
    first, second = Paragraph.objects.filter(section=overview).order_by("order")
    services.update_paragraph(second, by=by, text="通知下发后，我区第一时间签收并部署。")
    own = services.add_paragraph(Section.objects.get(summary=summary, key="next"), by=by, text="下一步打算。")
    from tests.summaries.conftest import activity

    activity(tree.qxg, by, world.campaign, participants_total=5, participants_women=5)
    services.draft_summary(world.campaign, unit=tree.qxg, by=by)
    assert (
        texts(overview)[0] == "活动期间，七星关区妇联及下属各级组织共开展各类活动5场次，参加130人次，其中妇女105人次。"
    )
    assert "通知下发后，我区第一时间签收并部署。" in texts(overview)
    assert Paragraph.objects.filter(pk=own.pk).exists()
    assert not Paragraph.objects.filter(pk=first.pk).exists()
    assert list(
        AuditEntry.objects.filter(object_id=summary.pk, action__startswith="summaries.")
        .values_list("action", flat=True)
        .order_by("pk")
    ) == [
        "summaries.summary.drafted",
        "summaries.summary.redrafted",
    ]


def test_only_the_units_own_writers_edit(summary, users):
    p = Paragraph.objects.filter(section__summary=summary).first()
    for outsider in (users.city_admin, users.dafang_liaison, users.city_reviewer):
        with pytest.raises(PermissionDenied):
            services.update_paragraph(p, by=outsider, text="改写")


def test_filing_returning_and_accepting_like_plans(summary, users):
    version = services.submit_summary(summary, by=users.qxg_liaison)
    assert (summary.status, summary.version, version.number) == (Summary.Status.SUBMITTED, 1, 1)
    assert version.snapshot["sections"][0]["paragraphs"][0]["data"] is True
    assert [n.kind for n in Notification.objects.filter(recipient__in=[users.city_admin, users.city_reviewer])] == [
        Notification.Kind.SUMMARY_SUBMITTED
    ] * 2
    p = Paragraph.objects.filter(section__summary=summary).first()
    with pytest.raises(SummaryError, match="已报送"):
        services.update_paragraph(p, by=users.qxg_liaison, text="审核期间修改")
    with pytest.raises(PermissionDenied):
        services.accept_summary(summary, by=users.dafang_admin)
    with pytest.raises(SummaryError, match="请填写退回原因"):
        services.return_summary(summary, by=users.city_reviewer, reason=" ")
    services.return_summary(summary, by=users.city_reviewer, reason="请补充下一步打算")
    summary.refresh_from_db()
    assert (summary.status, summary.return_reason) == (Summary.Status.RETURNED, "请补充下一步打算")
    assert Notification.objects.get(recipient=users.qxg_liaison).kind == Notification.Kind.SUMMARY_RETURNED
    services.add_paragraph(Section.objects.get(summary=summary, key="next"), by=users.qxg_liaison, text="明年继续。")
    services.submit_summary(summary, by=users.qxg_liaison)
    services.accept_summary(summary, by=users.city_admin)
    summary.refresh_from_db()
    assert (summary.status, summary.version) == (Summary.Status.ACCEPTED, 2)
    assert list(SummaryVersion.objects.filter(summary=summary).values_list("number", "outcome", "reason")) == [
        (2, "accepted", ""),
        (1, "returned", "请补充下一步打算"),
    ]
    assert list(
        AuditEntry.objects.filter(object_id=summary.pk, action__startswith="summaries.")
        .values_list("action", flat=True)
        .order_by("pk")
    ) == [
        "summaries.summary.drafted",
        "summaries.summary.submitted",
        "summaries.summary.returned",
        "summaries.summary.submitted",
        "summaries.summary.accepted",
    ]


def test_the_top_unit_drafts_but_has_nowhere_to_file(tree, users, world):
    summary = services.draft_summary(world.campaign, unit=tree.city, by=users.city_admin)
    assert summary.to_org is None
    with pytest.raises(SummaryError, match="无需报送"):
        services.submit_summary(summary, by=users.city_admin)


def test_a_unit_that_neither_issued_nor_received_the_campaign_cannot_draft_it(tree, users, world):
    from tests.factories import UserFactory

    town_liaison = UserFactory(org=tree.dafang_town, is_liaison=True)
    with pytest.raises(SummaryError, match="没有收到或发布"):
        services.draft_summary(world.campaign, unit=tree.dafang_town, by=town_liaison)


def test_a_data_sentence_stays_marked_until_it_is_rewritten(summary, users):
    """Marks are per sentence: the person's own sentence and a rewritten one are theirs, the
    sentences the draft wrote that are still there word for word stay data."""
    p = Paragraph.objects.filter(section__summary=summary, section__key="coverage").order_by("order").first()
    assert p.segments == [(p.text, True)]
    first, rest = p.text.split("：", 1)
    services.update_paragraph(p, by=users.qxg_liaison, text="我区把维权周宣讲送到群众身边。" + p.text)
    p.refresh_from_db()
    assert p.segments == [("我区把维权周宣讲送到群众身边。", False), (p.data_text, True)]
    assert not p.is_data
    services.update_paragraph(p, by=users.qxg_liaison, text=f"{first}（四进）：{rest}")
    p.refresh_from_db()
    assert p.segments == [(p.text, False)]  # the one drafted sentence was rewritten
    own = services.add_paragraph(p.section, by=users.qxg_liaison, text="全是自己的话。")
    assert own.segments == [("全是自己的话。", False)]


def test_rewriting_one_sentence_keeps_the_others_marked(summary, users):
    p = Paragraph.objects.filter(section__summary=summary, section__key="lines").order_by("order").first()
    assert p.text.startswith("（一）活动1。共开展1场次")
    services.update_paragraph(p, by=users.qxg_liaison, text=p.text.replace("（一）活动1。", "（一）普法宣讲。", 1))
    p.refresh_from_db()
    assert p.segments[0] == ("（一）普法宣讲。", False)
    assert [data for _, data in p.segments[1:]] == [True] * (len(p.segments) - 1)
    assert "".join(piece for piece, _ in p.segments) == p.text
