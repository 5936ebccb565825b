import datetime as dt
import io

import docx
import pytest
from django.utils import timezone

from jinguo.audit.models import AuditEntry
from jinguo.contests import services
from jinguo.contests.models import Contest, Entry, Quota, Recommendation
from jinguo.contests.services import ContestError
from tests.contests.conftest import make_contest, make_entry
from tests.contests.files import docx_bytes, pdf_bytes, png_bytes, upload

ESSAY = "巾帼心向党，奋进新征程。" * 10  # 100 汉字


def _submit(contest, *, org, by=None, name="李娟", phone="13900000001", category=None, **work):
    if not work:
        work = {"text": ESSAY}
    return services.submit_entry(
        contest,
        category=category or contest.categories.get(name="散文"),
        title="我的母亲",
        author_name=name,
        author_phone=phone,
        author_org=org,
        declared=True,
        by=by,
        **work,
    )


def test_typed_entry_gets_the_next_code_and_a_counted_redacted_version(tree, users, contest):
    make_entry(contest, org=tree.dafang)  # ZW-0001, someone else's
    entry = _submit(contest, org=tree.qxg_town, by=users.qxg_liaison, text="我是李娟，来自七星关区市西街道。" + ESSAY)
    assert entry.code == "ZW-0002"
    version = entry.current_version
    assert (version.number, version.char_count) == (1, 114)
    assert version.redacted_text.startswith("我是■■，来自■■。")
    assert AuditEntry.objects.filter(action="contests.entry.submitted", object_id=entry.pk).count() == 1


def test_docx_upload_is_read_redacted_and_stored_privately(tree, users, contest):
    data = docx_bytes(["我是李娟。" + ESSAY], author="李娟", last_modified_by="七星关区妇联")
    entry = _submit(contest, org=tree.qxg, by=users.qxg_liaison, upload=upload("李娟-征文.docx", data))
    version = entry.current_version
    assert version.text == "我是李娟。" + ESSAY
    assert version.char_count == 104
    assert version.original_name == "李娟-征文.docx"
    with version.redacted_file.open("rb") as f:
        redacted = docx.Document(io.BytesIO(f.read()))
    assert redacted.core_properties.author == ""
    assert redacted.paragraphs[0].text == "我是■■。" + ESSAY


def test_pdf_naming_the_author_gives_judges_text_only(tree, users, contest):
    entry = _submit(contest, org=tree.qxg, by=users.qxg_liaison, upload=upload("a.pdf", pdf_bytes("Tel 13900000001")))
    assert entry.current_version.redacted_text == "Tel ■■"
    assert not entry.current_version.redacted_file
    other = _submit(
        contest, org=tree.qxg, phone="13900000002", upload=upload("b.pdf", pdf_bytes("An essay", author="Li"))
    )
    assert other.current_version.redacted_file


def test_a_disguised_docx_is_refused_and_nothing_is_stored(tree, users, contest):
    with pytest.raises(ContestError, match="不是真正的 Word"):
        _submit(contest, org=tree.qxg, upload=upload("征文.docx", png_bytes()))
    assert Entry.objects.count() == 0


def test_limits_characters_size_and_one_entry_per_author_per_category(tree, users, contest):
    contest.max_chars = 50
    contest.max_file_mb = 1
    with pytest.raises(ContestError, match="共 100 个汉字，超过本赛事的字数上限（50 字）"):
        _submit(contest, org=tree.qxg)
    with pytest.raises(ContestError, match="超过大小上限（最大 1 MB）"):
        _submit(contest, org=tree.qxg, upload=upload("a.txt", "字".encode() * 400_000))
    contest.max_chars = None
    first = _submit(contest, org=tree.qxg)
    with pytest.raises(ContestError, match=f"李娟 在“散文”组已有作品（{first.code}），每人每组限投一件"):
        _submit(contest, org=tree.dafang)
    poem = _submit(contest, org=tree.qxg, category=contest.categories.get(name="诗歌"))
    assert poem.code == "ZW-0002"


def test_no_entry_outside_the_window_or_without_the_declaration(tree, contest):
    with pytest.raises(ContestError, match="原创声明"):
        services.submit_entry(
            contest, category=contest.categories.first(), title="t", author_name="李娟",
            author_phone="13900000001", author_org=tree.qxg, declared=False, text=ESSAY,
        )  # fmt: skip
    with pytest.raises(ContestError, match="不在征集时间内"):
        services.submit_entry(
            contest, category=contest.categories.first(), title="t", author_name="李娟",
            author_phone="13900000001", author_org=tree.qxg, declared=True, text=ESSAY, now=contest.closes_at,
        )  # fmt: skip


def test_replace_keeps_versions_and_withdraw_frees_the_place(tree, users, contest):
    entry = _submit(contest, org=tree.qxg, by=users.qxg_liaison)
    version = services.replace_entry(entry, by=users.qxg_liaison, text="新的正文。")
    entry.refresh_from_db()
    assert [v.number for v in entry.versions.order_by("number")] == [1, 2]
    assert entry.current_version == version
    services.withdraw_entry(entry, by=users.qxg_liaison)
    entry.refresh_from_db()
    assert entry.status == Entry.Status.WITHDRAWN
    again = _submit(contest, org=tree.qxg, by=users.qxg_liaison)
    assert again.code == "ZW-0002"
    late = timezone.now() + dt.timedelta(days=30)
    with pytest.raises(ContestError, match="征集已截止"):
        services.replace_entry(again, by=users.qxg_liaison, text="x", now=late)


def test_disqualify_needs_a_reason_and_is_audited(tree, users, contest):
    entry = _submit(contest, org=tree.qxg)
    with pytest.raises(ContestError, match="原因"):
        services.disqualify_entry(entry, reason=" ", by=users.city_admin)
    services.disqualify_entry(entry, reason="已在其他比赛获奖", by=users.city_admin)
    log = AuditEntry.objects.get(action="contests.entry.disqualified")
    assert (log.reason, log.org_id, log.to_state) == ("已在其他比赛获奖", tree.city.pk, "disqualified")


def test_correcting_a_redaction_drops_the_judges_file(tree, users, contest):
    data = docx_bytes(["我是李娟，毕节一中的老师。"])
    entry = _submit(contest, org=tree.qxg, upload=upload("a.docx", data))
    version = entry.current_version
    assert version.redacted_file
    services.correct_redaction(version, redacted_text="我是■■，■■的老师。", by=users.city_admin)
    version.refresh_from_db()
    assert (version.redacted_text, bool(version.redacted_file)) == ("我是■■，■■的老师。", False)
    assert version.redaction_checked_by == users.city_admin


def test_recommend_within_quota_decline_with_reason(tree, users, contest):
    a = _submit(contest, org=tree.qxg_town, name="甲", phone="13900000001")
    b = _submit(contest, org=tree.qxg, name="乙", phone="13900000002")
    c = _submit(contest, org=tree.qxg_town, name="丙", phone="13900000003")
    assert (a.recommended, b.recommended) == (False, False)  # 七星关区 has a quota: it recommends
    services.decide_recommendation(a, org=tree.qxg, recommend=True, by=users.qxg_admin)
    services.decide_recommendation(b, org=tree.qxg, recommend=True, by=users.qxg_admin)
    with pytest.raises(ContestError, match=r"推荐名额已用完（2/2）"):
        services.decide_recommendation(c, org=tree.qxg, recommend=True, by=users.qxg_admin)
    with pytest.raises(ContestError, match="请填写理由"):
        services.decide_recommendation(c, org=tree.qxg, recommend=False, by=users.qxg_admin)
    services.decide_recommendation(c, org=tree.qxg, recommend=False, reason="主题不符", by=users.qxg_admin)
    services.decide_recommendation(b, org=tree.qxg, recommend=False, reason="篇幅太短", by=users.qxg_admin)
    services.decide_recommendation(c, org=tree.qxg, recommend=True, by=users.qxg_admin)
    assert sorted(Recommendation.objects.filter(status="recommended").values_list("entry__code", flat=True)) == [
        a.code,
        c.code,
    ]
    with pytest.raises(ContestError, match="只能推荐本单位及下级单位的作品"):
        services.decide_recommendation(
            _submit(contest, org=tree.dafang, name="丁", phone="13900000004"),
            org=tree.qxg,
            recommend=True,
            by=users.qxg_admin,
        )


def test_an_entry_from_a_unit_without_quota_goes_straight_to_judging(tree, users, contest):
    entry = _submit(contest, org=tree.office)
    assert entry.recommended is True


def test_quota_cannot_drop_below_what_was_recommended(tree, users, contest):
    a = _submit(contest, org=tree.qxg)
    services.decide_recommendation(a, org=tree.qxg, recommend=True, by=users.qxg_admin)
    with pytest.raises(ContestError, match="已推荐 1 件，名额不能少于 1"):
        services.set_quotas(contest, quotas={tree.qxg: 0}, by=users.city_admin)
    services.set_quotas(contest, quotas={tree.qxg: 5, tree.dafang: None}, by=users.city_admin)
    assert dict(Quota.objects.values_list("org__name", "max_entries")) == {"七星关区妇联": 5}


def test_works_contest_takes_images_with_thumbnails(tree, users):
    contest = make_contest(tree.city, kind=Contest.Kind.WORKS, allowed_media="image,audio")
    contest.categories.create(name="摄影")
    entry = services.submit_entry(
        contest, category=contest.categories.get(), title="田间", author_name="李娟", author_phone="13900000001",
        author_org=tree.qxg, declared=True, upload=upload("田间.png", png_bytes((800, 600))),
    )  # fmt: skip
    version = entry.current_version
    assert (version.media_kind, version.content_type) == ("image", "image/png")
    with version.thumbnail.open("rb") as f:
        from PIL import Image

        assert Image.open(f).size == (400, 300)
    with pytest.raises(ContestError, match="本赛事接受：图片"):
        services.submit_entry(
            contest, category=contest.categories.get(), title="x", author_name="张三", author_phone="13900000002",
            author_org=tree.qxg, declared=True, upload=upload("a.docx", docx_bytes(["x"])),
        )  # fmt: skip


def test_a_contest_with_entries_keeps_its_kind(tree, users, contest):
    _submit(contest, org=tree.qxg)
    fields = {name: getattr(contest, name) for name in services.CONTEST_FIELDS}
    fields["kind"] = Contest.Kind.WORKS
    with pytest.raises(ContestError, match="不能再更改类型"):
        services.update_contest(contest, by=users.city_admin, categories=["散文", "诗歌"], **fields)
    fields["kind"] = Contest.Kind.ESSAY
    fields["title"] = "新名称"
    services.update_contest(contest, by=users.city_admin, categories=["散文", "诗歌", "小小说"], **fields)
    assert [c.name for c in contest.categories.all()] == ["散文", "诗歌", "小小说"]
    with pytest.raises(ContestError, match="组别“散文”已有作品，不能删除"):
        services.update_contest(contest, by=users.city_admin, categories=["诗歌"], **fields)


def test_video_is_checked_by_its_first_bytes_and_copied_whole(tree, users):
    contest = make_contest(tree.city, kind=Contest.Kind.WORKS, allowed_media="video", max_file_mb=2)
    contest.categories.create(name="微视频")
    mp4 = b"\x00\x00\x00\x20ftypisom" + b"\x01" * (1024 * 1024)

    def submit(name, data, phone):
        return services.submit_entry(
            contest, category=contest.categories.get(), title="巾帼风采", author_name="李娟", author_phone=phone,
            author_org=tree.qxg, declared=True, upload=upload(name, data),
        )  # fmt: skip

    with pytest.raises(ContestError, match="内容与扩展名不符"):
        submit("短片.mp4", png_bytes(), "13900000001")
    with pytest.raises(ContestError, match="最大 2 MB"):
        submit("短片.mp4", mp4 * 3, "13900000001")
    version = submit("短片.mp4", mp4, "13900000001").current_version
    assert (version.media_kind, version.content_type, version.size) == ("video", "video/mp4", len(mp4))
    with version.file.open("rb") as f:
        assert f.read() == mp4
