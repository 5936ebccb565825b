"""Copy detection in a contest: the check and what it keeps, the command, the organiser's pages
(a sibling county and a judge get 404), verdicts and the reference corpus."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.contests_essays import EssayMaker
from jinguo.audit.models import AuditEntry
from jinguo.contests import copies
from jinguo.contests.models import Category, Contest, Judge, ReferenceText
from jinguo.contests.models_copies import Overlap, TextFingerprint
from tests.contests.conftest import make_contest, make_entry
from tests.contests.files import docx_bytes, upload

MAKER = EssayMaker(501)
SOURCE = MAKER.essay(1500)
OTHER = MAKER.essay(1500)
THIRD = MAKER.essay(1500)


def _pairs(contest) -> list[tuple[str, str | None, str | None]]:
    return [
        (o.entry.code, o.other_entry.code if o.other_entry else None, o.reference.title if o.reference else None)
        for o in Overlap.objects.filter(contest=contest).order_by("entry__number", "id")
    ]


@pytest.fixture
def copied(tree, users, contest):
    """七星关区's original, 大方县's whole copy of it, and an unrelated essay."""
    original = make_entry(contest, org=tree.qxg_town, author_name="李娟", text=SOURCE)
    copy = make_entry(contest, org=tree.dafang_town, author_name="张敏", text=MAKER.whole_copy(SOURCE, edited=True))
    make_entry(contest, org=tree.qxg_town, author_name="王丽", text=OTHER)
    return original, copy


@pytest.fixture
def qxg_contest(tree, users):
    """A contest of 七星关区 with a copied pair: its sibling 大方县 must not see any of it."""
    contest = make_contest(tree.qxg, by=users.qxg_admin, title="七星关区征文")
    Category.objects.create(contest=contest, name="散文", order=1)
    make_entry(contest, org=tree.qxg_town, author_name="赵敏", text=SOURCE)
    make_entry(contest, org=tree.qxg_town, author_name="钱芳", text=MAKER.whole_copy(SOURCE, edited=False))
    copies.check_copies(contest, by=users.qxg_admin)
    return contest


# ---- the check ---------------------------------------------------------------------------------


def test_check_finds_the_copy_and_keeps_a_verdict_across_checks(tree, users, contest, copied):
    original, copy = copied

    result = copies.check_copies(contest, by=users.city_admin)

    assert (result.entries, result.pairs, result.new) == (3, 1, 1)
    assert _pairs(contest) == [(original.code, copy.code, None)]
    overlap = Overlap.objects.get(contest=contest)
    assert overlap.score > 0.6
    copies.decide_overlap(overlap, verdict=Overlap.Verdict.COPY, note="第 1—5 段一致", by=users.city_admin)

    again = copies.check_copies(contest, by=users.city_admin)

    assert (again.pairs, again.new) == (1, 0)
    overlap.refresh_from_db()
    assert (overlap.verdict, overlap.note, overlap.decided_by) == (
        Overlap.Verdict.COPY,
        "第 1—5 段一致",
        users.city_admin,
    )
    actions = list(
        AuditEntry.objects.filter(action__startswith="contests.").order_by("id").values_list("action", flat=True)
    )
    assert actions == ["contests.copies.checked", "contests.overlap.confirmed", "contests.copies.checked"]


def test_an_undecided_pair_no_longer_found_goes_a_decided_one_stays(tree, users, contest, copied):
    original, copy = copied
    copies.check_copies(contest, by=users.city_admin)
    version = copy.current_version
    version.text = THIRD
    version.save()
    TextFingerprint.objects.filter(version=version).delete()  # as a replaced version would have none

    copies.check_copies(contest, by=users.city_admin)

    assert _pairs(contest) == []


def test_fingerprints_are_stored_once_and_reused(tree, users, contest, copied):
    copies.check_copies(contest, by=users.city_admin)
    stored = list(TextFingerprint.objects.order_by("id").values_list("id", flat=True))

    copies.check_copies(contest, by=users.city_admin)

    assert len(stored) == 3
    assert list(TextFingerprint.objects.order_by("id").values_list("id", flat=True)) == stored


def test_check_compares_with_earlier_contests_and_the_corpus_above_but_not_a_siblings(tree, users):
    earlier = make_contest(tree.qxg, title="2022 年征文", opens_at=dt.datetime(2022, 3, 1, tzinfo=dt.UTC))
    Category.objects.create(contest=earlier, name="散文")
    old = make_entry(earlier, org=tree.qxg_town, text=OTHER)
    contest = make_contest(tree.qxg, title="2023 年征文")
    Category.objects.create(contest=contest, name="散文")
    a = make_entry(contest, org=tree.qxg_town, author_name="甲", text=MAKER.whole_copy(OTHER, edited=True))
    b = make_entry(
        contest, org=tree.qxg_town, author_name="乙", text=MAKER.partial_copy(SOURCE, share=0.5, edited=False)
    )
    ReferenceText.objects.create(owner=tree.city, title="市里的范文", text=SOURCE)
    ReferenceText.objects.create(owner=tree.dafang, title="大方县的范文", text=SOURCE)  # a sibling's corpus

    result = copies.check_copies(contest, by=users.qxg_admin)

    assert (result.entries, result.earlier_entries, result.references) == (2, 1, 1)
    assert _pairs(contest) == [(a.code, old.code, None), (b.code, None, "市里的范文")]


def test_a_works_contest_is_not_checked(tree, users):
    contest = make_contest(tree.city, kind=Contest.Kind.WORKS)

    with pytest.raises(copies.CopiesError, match="只有征文比赛可以查重"):
        copies.check_copies(contest, by=users.city_admin)


def test_checkcopies_command_prints_pairs_by_code(tree, users, contest, copied):
    original, copy = copied
    out = StringIO()

    call_command("checkcopies", str(contest.pk), stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == f"{contest.title}（{tree.city.name}）"
    code_a, code_b, score, verdict = lines[1].split("\t")
    assert (code_a, code_b, verdict) == (original.code, copy.code, "待核查")
    assert float(score) > 0.6
    assert lines[2].startswith("比对 3 件作品、往届 0 件、比对文本 0 篇：疑似重复 1 对（新发现 1 对）")
    assert "李娟" not in out.getvalue()  # codes only


def test_checkcopies_command_refuses_an_unknown_contest(db):
    with pytest.raises(CommandError, match="没有编号为 999 的赛事"):
        call_command("checkcopies", "999", stdout=StringIO())


# ---- pages: who sees them ---------------------------------------------------------------------


def test_organiser_sees_the_pairs_and_the_pair_side_by_side(tree, users, client_for, contest, copied):
    original, copy = copied
    copies.check_copies(contest, by=users.city_admin)
    overlap = Overlap.objects.get()
    client = client_for(users.city_admin)

    listing = client.get(f"/contests/{contest.pk}/copies/")
    pair = client.get(f"/contests/copies/{overlap.pk}/")

    assert listing.status_code == 200
    assert [(o.entry.code, label) for o, label in listing.context["rows"]] == [(original.code, copy.code)]
    assert "李娟" not in listing.content.decode()  # the list names codes only
    assert pair.status_code == 200
    html = pair.content.decode()
    assert '<mark class="copy-mark" data-passage="1">' in html
    assert "李娟" in html and "张敏" in html  # the organiser may see who wrote them
    assert pair.context["view"].passages >= 5


def test_sibling_county_gets_404_on_every_copies_page(tree, users, client_for, qxg_contest):
    overlap = Overlap.objects.get(contest=qxg_contest)
    reference = ReferenceText.objects.create(owner=tree.qxg, title="七星关区范文", text=SOURCE)
    client = client_for(users.dafang_admin)

    for url in (
        f"/contests/{qxg_contest.pk}/copies/",
        f"/contests/{qxg_contest.pk}/copies/references/",
        f"/contests/copies/{overlap.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/contests/{qxg_contest.pk}/copies/check/",
        f"/contests/copies/{overlap.pk}/decide/",
        f"/contests/references/{reference.pk}/delete/",
    ):
        assert client.post(url, {"verdict": "not_copy", "note": "x"}).status_code == 404, url
    overlap.refresh_from_db()
    assert overlap.verdict == Overlap.Verdict.OPEN
    assert ReferenceText.objects.filter(pk=reference.pk).exists()
    # The organiser's own door opens.
    assert client_for(users.qxg_admin).get(f"/contests/copies/{overlap.pk}/").status_code == 200


def test_a_judge_gets_404_and_a_county_that_sees_the_contest_403(tree, users, client_for, contest, copied):
    copies.check_copies(contest, by=users.city_admin)
    overlap = Overlap.objects.get()
    Judge.objects.create(contest=contest, user=users.city_reviewer, name="市妇联审核员")

    judge = client_for(users.city_reviewer)
    assert judge.get(f"/contests/{contest.pk}/copies/").status_code == 404
    assert judge.get(f"/contests/copies/{overlap.pk}/").status_code == 404
    assert judge.post(f"/contests/copies/{overlap.pk}/decide/", {"verdict": "not_copy"}).status_code == 404
    county = client_for(users.qxg_admin)  # sees the city's contest (to submit), does not organise it
    assert county.get(f"/contests/{contest.pk}/copies/").status_code == 403
    assert county.get(f"/contests/copies/{overlap.pk}/").status_code == 404  # pairs are the organiser's rows
    overlap.refresh_from_db()
    assert overlap.verdict == Overlap.Verdict.OPEN


def test_overlap_list_queries_do_not_grow_with_rows(tree, users, client_for, contest):
    client = client_for(users.city_admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/contests/{contest.pk}/copies/").status_code == 200
        return len(ctx.captured_queries)

    def planted_pair(seed: int) -> str:
        maker = EssayMaker(seed)
        source = maker.essay(1500)
        make_entry(contest, org=tree.qxg_town, author_name=f"源{seed}", text=source)
        make_entry(contest, org=tree.dafang_town, author_name=f"抄{seed}", text=maker.whole_copy(source, edited=True))
        return source

    planted_pair(1)
    copies.check_copies(contest, by=users.city_admin)
    one = count()
    for seed in range(2, 6):
        source = planted_pair(seed)
    ReferenceText.objects.create(owner=tree.city, title="范文", text=source)
    copies.check_copies(contest, by=users.city_admin)
    assert Overlap.objects.filter(contest=contest, reference__isnull=True).count() == 5
    assert Overlap.objects.filter(contest=contest, reference__isnull=False).count() == 2

    assert count() == one


# ---- verdicts and the corpus -------------------------------------------------------------------


def test_verdict_copy_needs_a_note_and_keeps_what_was_typed(tree, users, client_for, contest, copied):
    copies.check_copies(contest, by=users.city_admin)
    overlap = Overlap.objects.get()
    client = client_for(users.city_admin)

    refused = client.post(f"/contests/copies/{overlap.pk}/decide/", {"verdict": "copy", "note": "  "})

    assert refused.status_code == 400
    assert "确认抄袭时请写明核查说明" in refused.content.decode()
    assert refused.context["form"].data["verdict"] == "copy"
    overlap.refresh_from_db()
    assert overlap.verdict == Overlap.Verdict.OPEN

    done = client.post(f"/contests/copies/{overlap.pk}/decide/", {"verdict": "not_copy", "note": "引用同一篇公开报道"})

    assert done.status_code == 302
    overlap.refresh_from_db()
    assert (overlap.verdict, overlap.note, overlap.decided_by) == ("not_copy", "引用同一篇公开报道", users.city_admin)
    entry = AuditEntry.objects.get(action="contests.overlap.dismissed")
    assert (entry.object_id, entry.from_state, entry.to_state, entry.org) == (overlap.pk, "open", "not_copy", tree.city)


def test_reference_texts_pasted_or_uploaded_and_a_disguised_file_refused(tree, users, client_for, contest):
    client = client_for(users.city_admin)
    url = f"/contests/{contest.pk}/copies/references/"

    pasted = client.post(url, {"title": "获奖范文", "source": "某报", "text": SOURCE})
    uploaded = client.post(url, {"title": "典型材料", "file": upload("材料.docx", docx_bytes(OTHER.split("\n\n")))})
    refused = client.post(url, {"title": "假文件", "file": upload("假.docx", b"%PDF-1.4 not a docx")})

    assert (pasted.status_code, uploaded.status_code) == (302, 302)
    references = ReferenceText.objects.order_by("id")
    assert [(r.title, r.owner, r.source) for r in references] == [
        ("获奖范文", tree.city, "某报"),
        ("典型材料", tree.city, ""),
    ]
    assert references[1].text.replace("\n", "") == OTHER.replace("\n", "")
    assert TextFingerprint.objects.filter(reference__in=references).count() == 2
    assert refused.status_code == 400
    assert "不是真正的 Word（.docx）文件" in refused.content.decode()
    assert refused.context["form"]["title"].value() == "假文件"
    assert sorted(AuditEntry.objects.filter(action="contests.reference.added").values_list("object_id", flat=True)) == [
        r.pk for r in references
    ]


def test_reference_delete_is_the_owners(tree, users, client_for, contest):
    city_text = ReferenceText.objects.create(owner=tree.city, title="市里的", text=SOURCE)

    assert client_for(users.qxg_admin).post(f"/contests/references/{city_text.pk}/delete/").status_code == 404
    response = client_for(users.city_admin).post(
        f"/contests/references/{city_text.pk}/delete/", {"contest": contest.pk}
    )

    assert response.status_code == 302
    assert not ReferenceText.objects.filter(pk=city_text.pk).exists()
    assert AuditEntry.objects.filter(action="contests.reference.deleted", object_id=city_text.pk).count() == 1


def test_a_large_contest_is_sent_to_the_command(tree, users, client_for, contest, copied, monkeypatch):
    from jinguo.contests import views_copies

    monkeypatch.setattr(views_copies, "WEB_CHECK_MAX_ENTRIES", 2)

    response = client_for(users.city_admin).post(f"/contests/{contest.pk}/copies/check/", follow=True)

    assert "本赛事有 3 件作品，网页查重可能超时" in response.content.decode()
    assert f"manage.py checkcopies {contest.pk}" in response.content.decode()
    assert not Overlap.objects.exists()


def test_the_organisers_button_runs_the_check(tree, users, client_for, contest, copied):
    original, copy = copied

    response = client_for(users.city_admin).post(f"/contests/{contest.pk}/copies/check/", follow=True)

    assert (
        "查重完成：比对 3 件作品、往届 0 件、比对文本 0 篇，疑似重复 1 对（新发现 1 对）。" in response.content.decode()
    )
    assert _pairs(contest) == [(original.code, copy.code, None)]
