"""作废: a report can be voided with a reason and restored; a voided one counts nowhere."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from jinguo.audit.models import AuditEntry
from jinguo.dashboard import selectors as board_selectors
from jinguo.lib.scoping import scope
from jinguo.reports import selectors, services
from jinguo.reports.models import Report
from jinguo.reports.rules import REPORT_RESTORE, REPORT_VOID
from tests.reports.conftest import adopted, draft, submitted


def counts(users, tree, campaign=None) -> tuple:
    with scope(org=tree.city):
        totals = selectors.report_totals(user=users.city_admin, org=tree.city, campaign=campaign)
        ranking = {
            r.org.name: (r.submitted, r.adopted) for r in selectors.ranking(user=users.city_admin, parent=tree.city)
        }
        library = [r.title for r in selectors.practice_library(user=users.city_admin)]
    return (totals.submitted, totals.adopted), ranking["七星关区妇联"], library


def test_void_a_submitted_report_by_its_unit_takes_it_out_of_every_count(tree, users, campaign):
    report = submitted(users.qxg_liaison, campaign=campaign)
    assert counts(users, tree, campaign)[:2] == ((1, 0), (1, 0))

    services.void_report(report, by=users.qxg_liaison, reason="重复报送")

    report.refresh_from_db()
    assert (report.status, report.status_before_void, report.void_reason) == ("voided", "submitted", "重复报送")
    assert report.voided_by == users.qxg_liaison
    assert counts(users, tree, campaign) == ((0, 0), (0, 0), [])
    board = board_selectors.board(user=users.city_admin, campaign=campaign, unit=tree.city)
    assert (board.total.reports_submitted, board.total.reports_adopted) == (0, 0)
    with scope(org=tree.city):
        assert list(selectors.review_queue(user=users.city_reviewer, status="")) == []
        assert list(selectors.review_queue(user=users.city_reviewer, status=Report.Status.VOIDED)) == [report]
    entry = AuditEntry.objects.get(action="reports.report.voided", object_id=report.pk)
    assert (entry.from_state, entry.to_state, entry.reason, entry.actor) == (
        "已报送",
        "已作废",
        "重复报送",
        users.qxg_liaison,
    )


def test_void_an_adopted_practice_leaves_the_library_and_restore_brings_it_back(tree, users, campaign):
    report = adopted(users.qxg_liaison, users.city_reviewer, campaign=campaign, kind=Report.Kind.PRACTICE)
    before = counts(users, tree, campaign)
    assert before == ((1, 1), (1, 1), [report.title])

    with pytest.raises(services.ReportError, match="只有审核单位的管理员可以作废"):
        services.void_report(report, by=users.qxg_liaison, reason="写错了")
    with pytest.raises(PermissionDenied):
        services.void_report(report, by=users.city_reviewer, reason="写错了")  # a reviewer, not an admin
    services.void_report(report, by=users.city_admin, reason="与去年信息重复")
    assert counts(users, tree, campaign) == ((0, 0), (0, 0), [])

    with pytest.raises(PermissionDenied):
        services.restore_report(report, by=users.qxg_admin)  # the unit's own admin: not the reviewing unit
    services.restore_report(report, by=users.city_admin)

    report.refresh_from_db()
    assert (report.status, report.status_before_void, report.voided_at, report.void_reason) == ("adopted", "", None, "")
    assert counts(users, tree, campaign) == before
    entry = AuditEntry.objects.get(action="reports.report.restored", object_id=report.pk)
    assert (entry.from_state, entry.to_state, entry.data) == ("已作废", "已采用", {"void_reason": "与去年信息重复"})


def test_void_needs_a_reason_and_happens_once(users):
    report = draft(users.qxg_liaison)
    with pytest.raises(services.ReportError, match="请填写作废原因"):
        services.void_report(report, by=users.qxg_liaison, reason="  ")
    services.void_report(report, by=users.qxg_liaison, reason="不需要了")
    with pytest.raises(services.ReportError, match="信息已作废"):
        services.void_report(report, by=users.qxg_liaison, reason="再来一次")
    with pytest.raises(services.ReportError, match="不能再修改"):
        services.save_report(report, by=users.qxg_liaison, kind=Report.Kind.NEWS, title="新标题", body="正文")
    with pytest.raises(services.ReportError, match="不需要恢复"):
        services.restore_report(Report.objects.create(org=report.org, to_org=report.to_org, title="x", body="y",
                                                      created_by=users.qxg_liaison), by=users.city_admin)  # fmt: skip


def test_void_by_a_sibling_unit_is_forbidden(users):
    report = submitted(users.qxg_liaison)
    with pytest.raises(PermissionDenied):
        services.void_report(report, by=users.dafang_admin, reason="不是我的")


def test_void_and_restore_permissions_are_the_admins():
    from jinguo.accounts.models import User
    from jinguo.accounts.rules import roles_with

    assert roles_with(REPORT_VOID) == roles_with(REPORT_RESTORE) == {User.Role.ADMIN}


# --- pages ------------------------------------------------------------------------------------------


def test_void_page_keeps_the_reason_error_in_chinese_then_voids_and_shows_history(users, client_for, campaign):
    report = submitted(users.qxg_liaison, campaign=campaign)
    client = client_for(users.qxg_liaison)
    detail = reverse("reports:detail", args=[report.pk])
    assert reverse("reports:void", args=[report.pk]) in client.get(detail).content.decode()

    empty = client.post(reverse("reports:void", args=[report.pk]), {"reason": ""})
    assert empty.status_code == 200
    assert "请填写作废原因" in empty.content.decode()

    done = client.post(reverse("reports:void", args=[report.pk]), {"reason": "重复报送"})
    assert done.status_code == 302
    html = client.get(detail).content.decode()
    assert "已作废，不计入报送、采用和排行。作废原因：重复报送" in html
    assert "作废信息" in html  # the history
    assert 'data-testid="void"' not in html
    assert 'data-testid="restore"' not in html  # a liaison cannot restore


def test_restore_page_button_for_the_reviewing_admin(users, client_for, campaign):
    report = submitted(users.qxg_liaison, campaign=campaign)
    services.void_report(report, by=users.qxg_liaison, reason="误作废")
    client = client_for(users.city_admin)
    assert 'data-testid="restore"' in client.get(reverse("reports:detail", args=[report.pk])).content.decode()

    response = client.post(reverse("reports:restore", args=[report.pk]))

    assert response.status_code == 302
    assert Report.objects.get(pk=report.pk).status == Report.Status.SUBMITTED
    assert "恢复信息" in client.get(reverse("reports:detail", args=[report.pk])).content.decode()


def test_void_and_restore_by_a_sibling_unit_are_404(users, client_for, campaign):
    report = submitted(users.qxg_liaison, campaign=campaign)
    client = client_for(users.dafang_admin)
    assert client.get(reverse("reports:void", args=[report.pk])).status_code == 404
    assert client.post(reverse("reports:void", args=[report.pk]), {"reason": "x"}).status_code == 404
    assert client.post(reverse("reports:restore", args=[report.pk])).status_code == 404
    assert Report.objects.get(pk=report.pk).status == Report.Status.SUBMITTED


def test_void_page_of_an_adopted_report_is_forbidden_to_its_liaison(users, client_for, campaign):
    report = adopted(users.qxg_liaison, users.city_reviewer, campaign=campaign)
    client = client_for(users.qxg_liaison)
    assert 'data-testid="void"' not in client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert client.post(reverse("reports:void", args=[report.pk]), {"reason": "x"}).status_code == 403


def test_review_page_lists_voided_reports_when_asked(users, client_for, campaign):
    kept = submitted(users.qxg_liaison, campaign=campaign, title="保留的信息")
    gone = submitted(users.qxg_liaison, campaign=campaign, title="作废的信息")
    services.void_report(gone, by=users.qxg_liaison, reason="重复")
    client = client_for(users.city_reviewer)

    everything = client.get(reverse("reports:review"), {"status": "all"})
    voided = client.get(reverse("reports:review"), {"status": "voided"})

    assert [r.pk for r in everything.context["page"]] == [kept.pk]
    assert [r.pk for r in voided.context["page"]] == [gone.pk]
