import pytest

from jinguo.notifications.models import Notification
from jinguo.reports import services
from jinguo.reports.models import Report, ReportAdoption, ReportPhoto, ReportRevision
from tests.excel import export_rows
from tests.factories import UserFactory
from tests.reports.conftest import PNG, adopted, draft, jpeg, make_activity, png, submitted


def _xlsx_rows(response) -> list[tuple]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return [tuple(row) for row in export_rows(response.content)]


@pytest.fixture
def qxg_with_photo(users, campaign, media):
    report = draft(users.qxg_liaison, campaign=campaign, title="七星关区机密草稿", kind=Report.Kind.PRACTICE)
    photo = services.add_report_photo(report, by=users.qxg_liaison, upload=png())
    return report, photo


# --- scope: 大方县 must not reach 七星关区's reports -------------------------------------------------


def test_dafang_gets_404_on_qxg_report_and_photo(qxg_with_photo, qxg_report, users, client_for):
    draft_report, photo = qxg_with_photo
    assert photo.file.read()[:8] == PNG[:8]  # the data that could leak is really there
    for user in (users.dafang_liaison, users.dafang_admin):
        client = client_for(user)
        for report in (draft_report, qxg_report):
            assert client.get(f"/reports/{report.pk}/").status_code == 404
            assert client.get(f"/reports/{report.pk}/edit/").status_code == 404
            assert client.post(f"/reports/{report.pk}/submit/").status_code == 404
            assert client.get(f"/reports/{report.pk}/adopt/").status_code == 404
            assert client.post(f"/reports/{report.pk}/adopt/", {"channels": ["website"]}).status_code == 404
            assert client.post(f"/reports/{report.pk}/reject/", {"reason": "x"}).status_code == 404
            assert client.post(f"/reports/{report.pk}/revise/", {"title": "x", "body": "y"}).status_code == 404
        assert client.get(f"/reports/photos/{photo.pk}/").status_code == 404
        assert client.post(f"/reports/photos/{photo.pk}/delete/").status_code == 404
        assert client.get(f"/reports/ranking/?unit={users.qxg_liaison.org_id}").status_code == 404
        assert client.get(f"/reports/library/?unit={users.qxg_liaison.org_id}").status_code == 404
    assert ReportPhoto.objects.count() == 1
    assert Report.objects.get(pk=qxg_report.pk).status == Report.Status.SUBMITTED


def test_lists_ranking_library_and_exports_never_show_a_sibling(tree, users, town_users, campaign, client_for):
    practice = {"kind": Report.Kind.PRACTICE}
    adopted(users.qxg_liaison, users.city_reviewer, title="七星关区经验", body="七星关区的做法", **practice)
    adopted(town_users["qxg_town"], users.qxg_admin, title="市西街道经验", body="市西街道的做法", **practice)
    adopted(town_users["dafang_town"], users.dafang_admin, title="大方镇经验", body="大方镇的做法", **practice)
    submitted(town_users["dafang_town"], title="大方镇待审核", body="大方镇的动态")
    client = client_for(users.dafang_admin)
    pages = {
        "/reports/": [],
        "/reports/review/?status=all": ["大方镇经验", "大方镇待审核"],
        "/reports/ranking/": ["大方县大方镇妇联"],
        "/reports/library/": ["大方镇经验"],
    }
    for url, expected in pages.items():
        html = client.get(url).content.decode()
        for text in expected:
            assert text in html, (url, text)
        for leak in ("七星关", "市西街道"):
            assert leak not in html, (url, leak)
    review = _xlsx_rows(client.get("/reports/review/export/?status=all"))
    assert [row[0] for row in review] == ["标题", "大方镇经验", "大方镇待审核"]
    ranking = _xlsx_rows(client.get("/reports/ranking/export/"))
    assert ranking == [
        ("名次", "单位", "报送数", "采用数", "采用率（%）", "未采用", "待审核"),
        (1, "大方县大方镇妇联", 2, 1, 100, 0, 1),
    ]


def test_city_ranking_and_export_show_every_county_rolled_up(tree, users, town_users, client_for):
    adopted(users.qxg_liaison, users.city_reviewer)
    adopted(town_users["qxg_town"], users.qxg_admin)
    adopted(users.dafang_liaison, users.city_reviewer)
    submitted(users.dafang_liaison)
    client = client_for(users.city_admin)
    response = client.get("/reports/ranking/")
    html = response.content.decode()
    assert "先按采用数从多到少，采用数相同再按采用率从高到低" in html
    assert [r.org.name for r in response.context["page"]] == ["七星关区妇联", "大方县妇联", "办公室"]
    assert f'href="?unit={tree.qxg.pk}"' in html  # drill-down into a county
    assert _xlsx_rows(client.get("/reports/ranking/export/"))[1:] == [
        (1, "七星关区妇联", 2, 2, 100, 0, 0),
        (2, "大方县妇联", 2, 1, 100, 0, 1),  # the pending report makes no rate
        (3, "办公室", 0, 0, "—", 0, 0),
    ]
    drill = client.get(f"/reports/ranking/?unit={tree.qxg.pk}")
    assert [(r.org.name, r.adopted) for r in drill.context["page"]] == [("七星关区市西街道妇联", 1)]


# --- the unit's side ------------------------------------------------------------------------------


def test_create_report_saves_and_submits_with_photos_and_activities(tree, users, campaign, client_for, media):
    activity = make_activity(tree.qxg, users.qxg_liaison)
    make_activity(tree.dafang, users.dafang_liaison, title="大方县活动")
    client = client_for(users.qxg_liaison)
    form = client.get("/reports/new/")
    assert form.status_code == 200
    assert "维权周普法宣讲" in form.content.decode()
    assert "大方县活动" not in form.content.decode()
    response = client.post(
        "/reports/new/",
        {
            "kind": "practice",
            "campaign": campaign.pk,
            "title": "“巾帼家政”培训促就业",
            "body": "区妇联联合人社局开展家政培训。",
            "activities": [activity.pk],
            "photos": [jpeg(), png()],
            "submit": "1",
        },
    )
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/reports/{report.pk}/"
    assert (report.status, report.to_org, report.campaign) == (Report.Status.SUBMITTED, tree.city, campaign)
    assert list(report.activities.all()) == [activity]
    assert ReportPhoto.objects.filter(report=report).count() == 2
    detail = client.get(response["Location"]).content.decode()
    assert "“巾帼家政”培训促就业" in detail
    assert "维权周普法宣讲" in detail


def test_create_report_with_bad_input_keeps_what_was_typed(users, client_for, media):
    client = client_for(users.qxg_liaison)
    response = client.post(
        "/reports/new/",
        {"kind": "news", "title": "", "body": "我写了很长的正文", "photos": [png(name="假图片.png", data=b"GIF89a")]},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "请填写标题" in html
    assert "“假图片.png”不是照片文件，只能上传 JPG、PNG、WebP 格式的照片（请重新选择图片）" in html
    assert "我写了很长的正文" in html
    assert Report.objects.count() == 0


def test_reviewer_only_user_cannot_open_the_write_form(users, client_for):
    assert client_for(users.city_reviewer).get("/reports/new/").status_code == 403


def test_edit_after_submission_redirects_to_detail(users, qxg_report, client_for):
    response = client_for(users.qxg_liaison).get(f"/reports/{qxg_report.pk}/edit/")
    assert response.status_code == 302
    assert response["Location"] == f"/reports/{qxg_report.pk}/"


def test_photo_is_served_inline_with_its_type(users, qxg_with_photo, client_for):
    _, photo = qxg_with_photo
    for user in (users.qxg_liaison, users.city_reviewer):
        response = client_for(user).get(f"/reports/photos/{photo.pk}/")
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert b"".join(response.streaming_content) == photo.file.open("rb").read()


def test_unit_list_filters_and_empty_state(users, client_for):
    draft(users.qxg_liaison, title="草稿一")
    submitted(users.qxg_liaison, title="已报送一")
    client = client_for(users.qxg_liaison)
    assert [r.title for r in client.get("/reports/").context["page"]] == ["已报送一", "草稿一"]
    assert [r.title for r in client.get("/reports/?status=draft").context["page"]] == ["草稿一"]
    assert [r.title for r in client.get("/reports/?q=报送").context["page"]] == ["已报送一"]
    empty = client_for(users.dafang_liaison).get("/reports/").content.decode()
    assert "本单位还没有写过信息" in empty


# --- the reviewing side ---------------------------------------------------------------------------


def test_liaison_gets_403_on_adopt_reject_revise_and_review(users, qxg_report, client_for, tree):
    city_liaison = UserFactory(username="city_liaison", org=tree.city, is_liaison=True)
    for user in (users.qxg_liaison, city_liaison):
        client = client_for(user)
        assert client.get(f"/reports/{qxg_report.pk}/adopt/").status_code == 403
        assert client.post(f"/reports/{qxg_report.pk}/adopt/", {"channels": ["website"]}).status_code == 403
        assert client.post(f"/reports/{qxg_report.pk}/reject/", {"reason": "x"}).status_code == 403
        assert client.post(f"/reports/{qxg_report.pk}/revise/", {"title": "x", "body": "y"}).status_code == 403
    assert client_for(city_liaison).get("/reports/review/").status_code == 403
    assert client_for(city_liaison).get("/reports/review/export/").status_code == 403
    assert ReportAdoption.objects.count() == 0


def test_adopt_through_the_form(users, qxg_report, client_for):
    client = client_for(users.city_reviewer)
    empty = client.post(f"/reports/{qxg_report.pk}/adopt/", {})
    assert "请至少选择一个采用渠道" in empty.content.decode()
    response = client.post(f"/reports/{qxg_report.pk}/adopt/", {"channels": ["wechat", "upward"]})
    assert response.status_code == 302
    qxg_report.refresh_from_db()
    assert qxg_report.status == Report.Status.ADOPTED
    detail = client.get(f"/reports/{qxg_report.pk}/").content.decode()
    assert "微信公众号（市妇联审核员" in detail
    assert "采用信息" in detail  # audit history


def test_reject_through_the_form_needs_a_reason(users, qxg_report, client_for):
    client = client_for(users.city_reviewer)
    response = client.post(f"/reports/{qxg_report.pk}/reject/", {"reason": "  "})
    assert "请填写未采用的原因" in response.content.decode()
    qxg_report.refresh_from_db()
    assert qxg_report.status == Report.Status.SUBMITTED
    client.post(f"/reports/{qxg_report.pk}/reject/", {"reason": "与主题无关"})
    qxg_report.refresh_from_db()
    assert (qxg_report.status, qxg_report.reject_reason) == (Report.Status.REJECTED, "与主题无关")
    liaison_view = client_for(users.qxg_liaison).get(f"/reports/{qxg_report.pk}/").content.decode()
    assert "未采用原因：与主题无关" in liaison_view
    assert Notification.objects.filter(recipient=users.qxg_liaison, kind="report_rejected").count() == 1


def test_revise_through_the_form_shows_revision_to_the_unit(users, qxg_report, client_for):
    client = client_for(users.city_reviewer)
    response = client.post(
        f"/reports/{qxg_report.pk}/revise/", {"title": "修改后的标题", "body": "修改后的正文", "note": "精简"}
    )
    assert response.status_code == 302
    assert ReportRevision.objects.get().title_before == "七星关区开展维权周普法宣讲"
    html = client_for(users.qxg_liaison).get(f"/reports/{qxg_report.pk}/").content.decode()
    assert "修改后的标题" in html
    assert "修改记录" in html and "七星关区开展维权周普法宣讲" in html


def test_review_queue_filters(users, qxg_report, dafang_report, client_for, tree, campaign):
    client = client_for(users.city_reviewer)
    assert [r.pk for r in client.get("/reports/review/").context["page"]] == [qxg_report.pk, dafang_report.pk]
    assert [r.pk for r in client.get(f"/reports/review/?unit={tree.dafang.pk}").context["page"]] == [dafang_report.pk]
    assert [r.pk for r in client.get("/reports/review/?kind=practice").context["page"]] == [qxg_report.pk]
    assert [r.pk for r in client.get(f"/reports/review/?campaign={campaign.pk}&status=adopted").context["page"]] == []
    empty = client_for(users.dafang_admin).get("/reports/review/").content.decode()
    assert "没有待审核的信息" in empty


# --- query counts ---------------------------------------------------------------------------------


def _many(users, town_users, n: int) -> None:
    for i in range(n):
        adopted(
            users.qxg_liaison,
            users.city_reviewer,
            channels=["website", "wechat"],
            title=f"经验{i}",
            kind=Report.Kind.PRACTICE,
        )
        submitted(town_users["qxg_town"], title=f"动态{i}")


@pytest.mark.parametrize("n", [1, 15])
def test_list_pages_do_not_grow_queries_with_rows(users, town_users, client_for, django_assert_max_num_queries, n):
    _many(users, town_users, n)
    pages = [
        (users.qxg_liaison, "/reports/"),
        (users.city_reviewer, "/reports/review/?status=all"),
        (users.qxg_admin, "/reports/review/"),
        (users.city_admin, "/reports/ranking/"),
        (users.city_admin, "/reports/library/"),
        (users.city_reviewer, "/reports/review/export/?status=all"),
        (users.city_admin, "/reports/ranking/export/"),
    ]
    for user, url in pages:
        client = client_for(user)
        with django_assert_max_num_queries(11):
            response = client.get(url)
        assert response.status_code == 200, url
