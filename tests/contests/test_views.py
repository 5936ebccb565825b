import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jinguo.contests import services
from jinguo.contests.models import Category, Contest, Entry, Quota
from tests.contests.conftest import make_contest
from tests.contests.files import docx_bytes, png_bytes, upload
from tests.excel import caption_of, export_rows

ESSAY = "巾帼心向党，奋进新征程。" * 10


def _submit(contest, org, *, name="李娟", phone="13900000001", by=None, **work):
    return services.submit_entry(
        contest, category=contest.categories.get(name="散文"), title=f"{name}的征文", author_name=name,
        author_phone=phone, author_org=org, declared=True, by=by, **(work or {"text": ESSAY}),
    )  # fmt: skip


@pytest.fixture
def qxg_entry(tree, users, contest):
    return _submit(
        contest, tree.qxg_town, name="李娟", phone="13900000001", upload=upload("李娟.docx", docx_bytes([ESSAY]))
    )


@pytest.fixture
def dafang_entry(tree, users, contest):
    return _submit(
        contest, tree.dafang_town, name="张敏", phone="13900000002", upload=upload("张敏.docx", docx_bytes([ESSAY]))
    )


# ---- scope: a sibling county's entries do not exist for 七星关区 ------------------------------


def test_every_entry_page_of_a_sibling_countys_entry_is_404(tree, users, client_for, qxg_entry, dafang_entry):
    client = client_for(users.qxg_admin)
    version = dafang_entry.current_version
    for url in (
        f"/contests/entries/{dafang_entry.pk}/",
        f"/contests/entries/{dafang_entry.pk}/replace/",
        f"/contests/entries/{dafang_entry.pk}/redaction/",
        f"/contests/versions/{version.pk}/original/",
        f"/contests/versions/{version.pk}/redacted/",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/contests/entries/{dafang_entry.pk}/withdraw/",
        f"/contests/entries/{dafang_entry.pk}/disqualify/",
        f"/contests/entries/{dafang_entry.pk}/decide/",
    ):
        assert client.post(url, {"decision": "recommend", "reason": "x"}).status_code == 404, url
    dafang_entry.refresh_from_db()
    assert (dafang_entry.status, dafang_entry.recommended) == (Entry.Status.SUBMITTED, False)
    # The own entry opens (the data that could leak is there, the door works both ways).
    assert client.get(f"/contests/entries/{qxg_entry.pk}/").status_code == 200


def test_entry_list_and_export_show_only_the_viewers_subtree(tree, users, client_for, contest, qxg_entry, dafang_entry):
    html = client_for(users.qxg_admin).get(f"/contests/{contest.pk}/entries/").content.decode()
    assert qxg_entry.code in html and "李娟" in html
    assert dafang_entry.code not in html and "张敏" not in html
    response = client_for(users.qxg_admin).get(f"/contests/{contest.pk}/entries.xlsx")
    rows = export_rows(response.content)
    assert [r[0] for r in rows[1:]] == [qxg_entry.code]
    assert caption_of(response.content)[0] == f"{contest.title} · 参赛作品（七星关区妇联）"
    city = export_rows(client_for(users.city_admin).get(f"/contests/{contest.pk}/entries.xlsx").content)
    assert [(r[0], r[3], r[4]) for r in city[1:]] == [
        (qxg_entry.code, "李娟", "13900000001"),
        (dafang_entry.code, "张敏", "13900000002"),
    ]


def test_a_county_contest_is_404_for_its_sibling(tree, users, client_for):
    contest = make_contest(tree.qxg, by=users.qxg_admin)
    Category.objects.create(contest=contest, name="散文")
    client = client_for(users.dafang_admin)
    for url in ("", "entries/", "entries.xlsx", "edit/", "quotas/", "recommend/", "recommendations/", "entries/new/"):
        assert client.get(f"/contests/{contest.pk}/{url}").status_code == 404, url
    assert "七星关区" not in client.get("/contests/").content.decode()


def test_a_draft_contest_of_the_city_is_not_announced_to_counties(tree, users, client_for, contest):
    contest.status = Contest.Status.DRAFT
    contest.save()
    assert client_for(users.qxg_admin).get(f"/contests/{contest.pk}/").status_code == 404
    assert client_for(users.city_reviewer).get(f"/contests/{contest.pk}/").status_code == 200


def test_organiser_pages_are_403_for_a_county_that_sees_the_contest(tree, users, client_for, contest, qxg_entry):
    client = client_for(users.qxg_admin)
    for url in (f"/contests/{contest.pk}/edit/", f"/contests/{contest.pk}/quotas/", f"/contests/{contest.pk}/recommendations/",
                f"/contests/entries/{qxg_entry.pk}/redaction/"):  # fmt: skip
        assert client.get(url).status_code == 403, url
    assert client.post(f"/contests/entries/{qxg_entry.pk}/disqualify/", {"reason": "x"}).status_code == 403


# ---- list query counts -----------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_entry_list_and_export_queries_do_not_grow_with_rows(tree, users, client_for, contest):
    _submit(contest, tree.qxg_town, name="甲0", phone="13900000100")
    client = client_for(users.city_admin)
    urls = [f"/contests/{contest.pk}/entries/", f"/contests/{contest.pk}/entries.xlsx",
            f"/contests/{contest.pk}/recommendations/"]  # fmt: skip
    one = [_queries(client, url) for url in urls]
    for i in range(1, 12):
        _submit(contest, tree.qxg_town if i % 2 else tree.dafang, name=f"甲{i}", phone=f"139000001{i:02d}")
    assert [_queries(client, url) for url in urls] == one


def test_recommend_page_queries_do_not_grow_with_rows(tree, users, client_for, contest):
    entry = _submit(contest, tree.qxg_town, name="甲0", phone="13900000100")
    services.decide_recommendation(entry, org=tree.qxg, recommend=True, by=users.qxg_admin)
    client = client_for(users.qxg_admin)
    one = _queries(client, f"/contests/{contest.pk}/recommend/")
    for i in range(1, 8):
        e = _submit(contest, tree.qxg_town, name=f"甲{i}", phone=f"139000001{i:02d}")
        services.decide_recommendation(e, org=tree.qxg, recommend=False, reason="篇幅", by=users.qxg_admin)
    assert _queries(client, f"/contests/{contest.pk}/recommend/") == one


# ---- pages work --------------------------------------------------------------------------------


def test_organiser_creates_a_contest_with_categories(tree, users, client_for):
    response = client_for(users.city_admin).post(
        "/contests/new/",
        {
            "title": "家风征文", "kind": "essay", "categories": "散文\n诗歌\n散文", "opens_at": "2026-03-01T09:00",
            "closes_at": "2026-03-31T18:00", "max_chars": "3000", "max_file_mb": "20", "code_prefix": "ZW",
            "declaration_text": "本人承诺原创。", "rules": "",
        },
    )  # fmt: skip
    contest = Contest.objects.get(title="家风征文")
    assert response.status_code == 302
    assert [c.name for c in contest.categories.all()] == ["散文", "诗歌"]
    assert (contest.owner, contest.status, contest.max_chars) == (tree.city, Contest.Status.DRAFT, 3000)


def test_a_bad_contest_form_keeps_what_was_typed(tree, users, client_for):
    response = client_for(users.city_admin).post(
        "/contests/new/",
        {"title": "家风征文", "kind": "essay", "categories": "散文", "opens_at": "2026-03-31T09:00",
         "closes_at": "2026-03-01T18:00", "max_file_mb": "20", "code_prefix": "ZW", "declaration_text": "原创"},
    )  # fmt: skip
    html = response.content.decode()
    assert "征集截止时间必须晚于开始时间" in html
    assert 'value="家风征文"' in html


def test_liaison_submits_a_disguised_docx_and_sees_a_chinese_error_with_her_text_kept(tree, users, client_for, contest):
    response = client_for(users.qxg_liaison).post(
        f"/contests/{contest.pk}/entries/new/",
        {"category": contest.categories.get(name="散文").pk, "title": "我的母亲", "author_name": "李娟",
         "author_phone": "13900000001", "author_org": tree.qxg_town.pk, "declared": "on",
         "file": upload("我的母亲.docx", png_bytes())},
    )  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 200
    assert "“我的母亲.docx”不是真正的 Word（.docx）文件" in html
    assert 'value="李娟"' in html and 'value="我的母亲"' in html
    assert Entry.objects.count() == 0


def test_liaison_cannot_submit_for_a_sibling_countys_author(tree, users, client_for, contest):
    response = client_for(users.qxg_liaison).post(
        f"/contests/{contest.pk}/entries/new/",
        {"category": contest.categories.get(name="散文").pk, "title": "t", "author_name": "李娟",
         "author_phone": "13900000001", "author_org": tree.dafang_town.pk, "declared": "on", "text": ESSAY},
    )  # fmt: skip
    assert response.status_code == 200
    assert Entry.objects.count() == 0


def test_liaison_submits_typed_text_and_the_page_shows_the_code_and_count(tree, users, client_for, contest):
    client = client_for(users.qxg_liaison)
    response = client.post(
        f"/contests/{contest.pk}/entries/new/",
        {"category": contest.categories.get(name="散文").pk, "title": "我的母亲", "author_name": "李娟",
         "author_phone": "139 0000 0001", "author_org": tree.qxg_town.pk, "declared": "on", "text": ESSAY},
    )  # fmt: skip
    entry = Entry.objects.get()
    assert response["Location"] == f"/contests/entries/{entry.pk}/"
    assert (entry.code, entry.author_phone, entry.submitted_by) == ("ZW-0001", "13900000001", users.qxg_liaison)
    html = client.get(response["Location"]).content.decode()
    assert "100 个汉字（上限 3000）" in html


def test_file_download_serves_ranges(tree, users, client_for):
    contest = make_contest(tree.city, kind=Contest.Kind.WORKS, allowed_media="audio")
    contest.categories.create(name="歌舞")
    audio = b"ID3" + bytes(range(256)) * 8
    entry = services.submit_entry(
        contest, category=contest.categories.get(), title="山歌", author_name="李娟", author_phone="13900000001",
        author_org=tree.qxg, declared=True, upload=upload("山歌.mp3", audio),
    )  # fmt: skip
    url = f"/contests/versions/{entry.current_version.pk}/original/"
    client = client_for(users.qxg_liaison)
    partial = client.get(url, HTTP_RANGE="bytes=100-199")
    assert partial.status_code == 206
    assert partial["Content-Range"] == f"bytes 100-199/{len(audio)}"
    assert b"".join(partial.streaming_content) == audio[100:200]
    assert partial["Content-Type"] == "audio/mpeg"
    whole = client.get(url)
    assert (whole.status_code, whole["Accept-Ranges"]) == (200, "bytes")
    assert b"".join(whole.streaming_content) == audio
    assert client.get(url, HTTP_RANGE=f"bytes={len(audio)}-").status_code == 416
    assert client_for(users.dafang_admin).get(url).status_code == 404


def test_redaction_page_shows_both_texts_and_saves_the_organisers_correction(tree, users, client_for, contest):
    entry = _submit(contest, tree.qxg_town, text="我是李娟，在毕节一中教书。")
    client = client_for(users.city_admin)
    html = client.get(f"/contests/entries/{entry.pk}/redaction/").content.decode()
    assert "我是李娟，在毕节一中教书。" in html and "我是■■，在毕节一中教书。" in html
    response = client.post(f"/contests/entries/{entry.pk}/redaction/", {"redacted_text": "我是■■，在■■教书。"})
    assert response.status_code == 302
    entry.current_version.refresh_from_db()
    assert entry.current_version.redacted_text == "我是■■，在■■教书。"
    assert entry.current_version.redaction_checked_by == users.city_admin


def test_county_recommends_and_the_organiser_sees_per_unit_status(
    tree, users, client_for, contest, qxg_entry, dafang_entry
):
    client = client_for(users.qxg_admin)
    html = client.get(f"/contests/{contest.pk}/recommend/").content.decode()
    assert qxg_entry.code in html and dafang_entry.code not in html
    response = client.post(f"/contests/entries/{qxg_entry.pk}/decide/", {"decision": "recommend"})
    assert response.status_code == 302
    qxg_entry.refresh_from_db()
    assert qxg_entry.recommended is True
    assert "已推荐 1 / 2" in client.get(f"/contests/{contest.pk}/recommend/").content.decode()
    # A liaison of the county may not decide; a unit without a quota has no 推荐 page.
    assert client_for(users.qxg_liaison).get(f"/contests/{contest.pk}/recommend/").status_code == 403
    assert client_for(users.city_admin).get(f"/contests/{contest.pk}/recommend/").status_code == 404
    html = client_for(users.city_admin).get(f"/contests/{contest.pk}/recommendations/").content.decode()
    assert "七星关区妇联" in html and "大方县妇联" in html


def test_quotas_page_saves_each_units_quota(tree, users, client_for, contest):
    response = client_for(users.city_admin).post(
        f"/contests/{contest.pk}/quotas/", {f"quota_{tree.qxg.pk}": "5", f"quota_{tree.dafang.pk}": "", f"quota_{tree.office.pk}": "1"}
    )  # fmt: skip
    assert response.status_code == 302
    assert dict(Quota.objects.values_list("org__name", "max_entries")) == {"七星关区妇联": 5, "办公室": 1}


# ---- the public page ---------------------------------------------------------------------------


def test_public_submission_ends_in_an_entry_of_the_picked_unit(tree, client, contest):
    url = f"/c/{contest.public_key}/"
    assert client.get(url).status_code == 200
    units = client.get(url + "units?q=市西").json()["units"]
    assert [(u["name"], u["path"]) for u in units] == [("七星关区市西街道妇联", "七星关区妇联")]
    response = client.post(
        url,
        {"author_name": "王芳", "author_phone": "13700000001", "unit": units[0]["id"],
         "category": contest.categories.get(name="诗歌").pk, "title": "春天", "text": ESSAY, "declared": "on"},
    )  # fmt: skip
    entry = Entry.objects.get()
    assert (entry.source, entry.author_org, entry.submitted_by) == (Entry.Source.PUBLIC, tree.qxg_town, None)
    assert entry.code in response.content.decode()


def test_public_page_refuses_a_unit_outside_the_contest_and_keeps_the_form(tree, users, client):
    contest = make_contest(tree.qxg, by=users.qxg_admin)
    Category.objects.create(contest=contest, name="散文")
    response = client.post(
        f"/c/{contest.public_key}/",
        {"author_name": "王芳", "author_phone": "13700000001", "unit": tree.dafang_town.pk,
         "category": contest.categories.get().pk, "title": "春天", "text": ESSAY, "declared": "on"},
    )  # fmt: skip
    html = response.content.decode()
    assert "请搜索并选择所在单位" in html and 'value="王芳"' in html
    assert Entry.objects.count() == 0
    assert client.get(f"/c/{contest.public_key}/units?q=大方").json()["units"] == []


def test_public_page_of_a_closed_or_draft_contest(tree, client, contest):
    contest.closes_at = timezone.now() - dt.timedelta(minutes=1)
    contest.save()
    assert "征集已结束" in client.get(f"/c/{contest.public_key}/").content.decode()
    contest.status = Contest.Status.DRAFT
    contest.save()
    assert client.get(f"/c/{contest.public_key}/").status_code == 404
    assert client.get("/c/0123456789abcdef0123456789abcdef/").status_code == 404


def test_public_submissions_are_rate_limited_per_address(tree, client, contest):
    from jinguo.quiz import limits

    limits.reset()
    url = f"/c/{contest.public_key}/"
    for i in range(10):
        client.post(url, {"author_name": f"人{i}", "author_phone": f"137000000{i:02d}", "unit": tree.qxg.pk,
                          "category": contest.categories.first().pk, "title": "t", "text": ESSAY, "declared": "on"})  # fmt: skip
    response = client.post(url, {"author_name": "人x", "author_phone": "13700000099", "unit": tree.qxg.pk,
                                 "category": contest.categories.first().pk, "title": "t", "text": ESSAY, "declared": "on"})  # fmt: skip
    assert "提交过于频繁" in response.content.decode()
    assert Entry.objects.count() == 10
    limits.reset()


def test_recommend_page_filters_by_decision_and_returns_to_the_same_view(tree, users, client_for, contest):
    a = _submit(contest, tree.qxg_town, name="甲", phone="13900000101")
    b = _submit(contest, tree.qxg_town, name="乙", phone="13900000102")
    services.decide_recommendation(a, org=tree.qxg, recommend=False, reason="主题不符", by=users.qxg_admin)
    client = client_for(users.qxg_admin)
    pending = client.get(f"/contests/{contest.pk}/recommend/?show=pending").content.decode()
    assert b.code in pending and a.code not in pending
    declined = client.get(f"/contests/{contest.pk}/recommend/?show=declined").content.decode()
    assert a.code in declined and b.code not in declined and "理由：主题不符" in declined
    response = client.post(
        f"/contests/entries/{b.pk}/decide/",
        {"decision": "recommend", "next": f"/contests/{contest.pk}/recommend/?show=pending"},
    )
    assert response["Location"] == f"/contests/{contest.pk}/recommend/?show=pending#entry-{b.pk}"
    response = client.post(
        f"/contests/entries/{a.pk}/decide/", {"decision": "recommend", "next": "https://evil.example/"}
    )
    assert response["Location"] == f"/contests/{contest.pk}/recommend/#entry-{a.pk}"


def test_every_page_opens_for_those_who_may_use_it(tree, users, client_for, contest, qxg_entry):
    services.decide_recommendation(qxg_entry, org=tree.qxg, recommend=True, by=users.qxg_admin)
    city = client_for(users.city_admin)
    for url in ("/contests/", "/contests/new/", f"/contests/{contest.pk}/", f"/contests/{contest.pk}/edit/",
                f"/contests/{contest.pk}/quotas/", f"/contests/{contest.pk}/entries/", f"/contests/{contest.pk}/qr.png",
                f"/contests/{contest.pk}/recommendations/", f"/contests/entries/{qxg_entry.pk}/",
                f"/contests/entries/{qxg_entry.pk}/redaction/", f"/contests/{contest.pk}/entries/new/"):  # fmt: skip
        assert city.get(url).status_code == 200, url
    liaison = client_for(users.qxg_liaison)
    for url in (
        f"/contests/{contest.pk}/",
        f"/contests/{contest.pk}/entries/new/",
        f"/contests/entries/{qxg_entry.pk}/replace/",
    ):
        assert liaison.get(url).status_code == 200, url
    assert "代为投稿" in liaison.get(f"/contests/{contest.pk}/").content.decode()


def test_organiser_moves_the_contest_along_and_it_is_audited(tree, users, client_for):
    contest = make_contest(tree.city, by=users.city_admin, status=Contest.Status.DRAFT)
    client = client_for(users.city_admin)
    client.post(f"/contests/{contest.pk}/status/", {"status": "open"})
    contest.refresh_from_db()
    assert contest.status == Contest.Status.DRAFT  # no category yet
    Category.objects.create(contest=contest, name="散文")
    client.post(f"/contests/{contest.pk}/status/", {"status": "open"})
    client.post(f"/contests/{contest.pk}/status/", {"status": "finished"})  # a step skipped: refused
    contest.refresh_from_db()
    assert contest.status == Contest.Status.OPEN
    assert client_for(users.qxg_admin).post(f"/contests/{contest.pk}/status/", {"status": "judging"}).status_code == 403
    from jinguo.audit.models import AuditEntry

    assert list(
        AuditEntry.objects.filter(action="contests.contest.status_changed").values_list("to_state", flat=True)
    ) == ["open"]


def test_entry_list_filters_by_a_unit_below_the_viewer(tree, users, client_for, contest, qxg_entry, dafang_entry):
    html = client_for(users.city_admin).get(f"/contests/{contest.pk}/entries/?unit={tree.dafang.pk}").content.decode()
    assert dafang_entry.code in html and qxg_entry.code not in html
    # A county cannot widen its list with a sibling's id: the filter offers its own units only.
    html = client_for(users.qxg_admin).get(f"/contests/{contest.pk}/entries/?unit={tree.dafang.pk}").content.decode()
    assert qxg_entry.code in html and dafang_entry.code not in html and "大方县" not in html
