import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jinguo.audit.models import AuditEntry
from jinguo.contests import judging
from jinguo.contests.models import Assignment, Award, Category, Judge, Round, Score
from jinguo.lib.scoping import scopes_disabled
from tests.contests.conftest import make_contest, make_entry
from tests.contests.judging_helpers import make_judge, make_round, points_for
from tests.excel import export_rows


@pytest.fixture
def judged(tree, users, contest):
    """An open round of the city contest: the 七星关 admin judges 大方县's entry, the expert (link)
    and the city reviewer (chief) judge both; one entry per county, two judges per entry."""
    round_ = make_round(contest, users.city_admin, peer_scores=Round.PeerScores.AFTER_OWN)
    staff = make_judge(contest, users.city_admin, round_, user=users.qxg_admin)
    chief = make_judge(contest, users.city_admin, round_, user=users.city_reviewer, is_chief=True)
    expert = make_judge(contest, users.city_admin, round_, name="赵老师")
    qxg_entry = make_entry(
        contest,
        org=tree.qxg_town,
        author_name="李娟",
        author_phone="13900000001",
        text="七星关的文章",
        recommended=True,
    )
    dafang_entry = make_entry(
        contest,
        org=tree.dafang_town,
        author_name="张敏",
        author_phone="13900000002",
        text="大方的文章",
        recommended=True,
    )
    # Fixed by hand (the automatic assignment has its own tests): 七星关's entry to the chief and the
    # expert, 大方县's to the 七星关 judge and the chief.
    for judge, entry in ((chief, qxg_entry), (expert, qxg_entry), (staff, dafang_entry), (chief, dafang_entry)):
        Assignment.objects.create(round=round_, entry=entry, judge=judge)
    judging.open_round(round_, by=users.city_admin)
    round_.refresh_from_db()
    token = judging.issue_judge_link(expert, by=users.city_admin)
    return round_, staff, chief, expert, token, qxg_entry, dafang_entry


def assignment_of(judge, entry):
    return Assignment.objects.get(judge=judge, entry=entry)


# --- the organiser's pages ---------------------------------------------------------------------


ORGANISER_PAGES = [
    "/contests/{contest}/judging/",
    "/contests/{contest}/rounds/new/",
    "/contests/rounds/{round}/",
    "/contests/rounds/{round}/entries/{entry}/",
    "/contests/rounds/{round}/matrix.xlsx",
    "/contests/judges/{judge}/edit/",
    "/contests/{contest}/results/",
    "/contests/{contest}/results.xlsx",
]


def urls_of(round_, judge, entry):
    ids = {"contest": round_.contest_id, "round": round_.pk, "judge": judge.pk, "entry": entry.pk}
    return [page.format(**ids) for page in ORGANISER_PAGES]


def test_organiser_pages_open_for_the_organiser(users, client_for, judged):
    round_, staff, chief, expert, token, qxg_entry, dafang_entry = judged
    client = client_for(users.city_admin)
    for url in urls_of(round_, staff, qxg_entry):
        assert client.get(url).status_code == 200, url


def test_organiser_pages_refuse_a_county_that_sees_the_contest(users, client_for, judged):
    round_, staff, chief, expert, token, qxg_entry, dafang_entry = judged
    client = client_for(users.qxg_admin)
    for url in urls_of(round_, staff, qxg_entry):
        # The contest and its rounds are shared down (403); its judges are the organiser's rows (404).
        expected = 404 if "/judges/" in url else 403
        assert client.get(url).status_code == expected, url


def test_organiser_pages_of_a_sibling_countys_contest_are_404(tree, users, client_for):
    contest = make_contest(tree.qxg, by=users.qxg_admin, title="七星关区征文")
    Category.objects.create(contest=contest, name="散文")
    round_ = make_round(contest, users.qxg_admin, judges_per_entry=1)
    judge = make_judge(contest, users.qxg_admin, round_, name="七星关评委")
    entry = make_entry(contest, org=tree.qxg_town, recommended=True)
    judging.assign_round(round_, by=users.qxg_admin)
    client = client_for(users.dafang_admin)
    for url in urls_of(round_, judge, entry):
        assert client.get(url).status_code == 404, url
    assert client_for(users.qxg_admin).get(f"/contests/rounds/{round_.pk}/").status_code == 200


def test_round_detail_lists_entries_in_a_constant_number_of_queries(tree, users, client_for, contest):
    round_ = make_round(contest, users.city_admin, judges_per_entry=1)
    make_judge(contest, users.city_admin, round_, name="赵老师")
    make_judge(contest, users.city_admin, round_, name="钱老师")
    client = client_for(users.city_admin)

    def count(n_more):
        for _ in range(n_more):
            i = contest.entries.count()
            make_entry(
                contest, org=tree.dafang_town, author_name=f"作者{i}", author_phone=f"1380000{i:04d}", recommended=True
            )
        Assignment.objects.filter(round=round_).delete()
        judging.assign_round(round_, by=users.city_admin)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/contests/rounds/{round_.pk}/")
        assert response.status_code == 200
        return len(queries), response.content.decode().count('data-testid="entry-row"')

    one = count(1)
    many = count(12)
    assert (one[1], many[1]) == (1, 13)
    assert one[0] == many[0]


def test_assign_and_swap_through_the_pages_are_audited(users, client_for, judged):
    round_, staff, chief, expert, token, qxg_entry, dafang_entry = judged
    client = client_for(users.city_admin)
    other = make_judge(round_.contest, users.city_admin, round_, name="钱老师")
    leaving = assignment_of(expert, qxg_entry)

    response = client.post(
        f"/contests/rounds/{round_.pk}/entries/{qxg_entry.pk}/",
        {"assignment": leaving.pk, "to": other.pk, "reason": "回避亲属"},
    )

    assert response.status_code == 302
    assert sorted(Assignment.objects.filter(entry=qxg_entry).values_list("judge__name", flat=True)) == sorted(
        ["钱老师", chief.name]
    )
    assert AuditEntry.objects.get(action="contests.assignment.swapped").reason == "回避亲属"


def test_score_matrix_export_has_every_criterion_of_every_judge(users, client_for, judged):
    round_, staff, chief, expert, token, qxg_entry, dafang_entry = judged
    judging.save_score(
        assignment_of(expert, qxg_entry), judge=expert, points=points_for(round_, 40, 20, 18), comment="好", submit=True
    )

    response = client_for(users.city_admin).get(f"/contests/rounds/{round_.pk}/matrix.xlsx")

    rows = export_rows(response.content)
    assert rows[0] == [
        "作品编号",
        "组别",
        "标题",
        "评委",
        "评委单位",
        "内容（50）",
        "结构（25）",
        "语言（25）",
        "总分",
        "状态",
        "评语",
    ]
    assert len(rows) == 1 + 4
    scored = [r for r in rows[1:] if r[3] == "赵老师" and r[0] == qxg_entry.code]
    assert scored == [[qxg_entry.code, "散文", qxg_entry.title, "赵老师", "市作家协会", 40, 20, 18, 78, "已提交", "好"]]


# --- the judge's pages -------------------------------------------------------------------------


def test_staff_judge_sees_own_assignments_by_code_only(users, client_for, judged):
    round_, staff, chief, expert, token, qxg_entry, dafang_entry = judged
    client = client_for(users.qxg_admin)

    home = client.get("/contests/judging/", follow=True)
    page = client.get(f"/contests/judging/{staff.pk}/a/{assignment_of(staff, dafang_entry).pk}/")

    assert home.content.decode().count('data-testid="assignment"') == 1
    text = page.content.decode()
    assert page.status_code == 200
    assert dafang_entry.code in text and "大方的文章" in text
    for secret in ("张敏", "13900000002", "大方县大方镇妇联"):
        assert secret not in text


def test_judge_cannot_reach_an_entry_not_assigned_to_them(users, client_for, judged):
    round_, staff, chief, expert, token, qxg_entry, dafang_entry = judged
    client = client_for(users.qxg_admin)
    # The 七星关 judge never gets 七星关's entry; the chief's assignment of it exists and could leak.
    chiefs = assignment_of(chief, qxg_entry)

    assert client.get(f"/contests/judging/{staff.pk}/a/{chiefs.pk}/").status_code == 404
    assert client.get(f"/contests/judging/{chief.pk}/").status_code == 404
    assert client.get(f"/contests/judging/{chief.pk}/a/{chiefs.pk}/").status_code == 404
    # Nor through the contest's own entry pages: the entry lies outside the judge's unit.
    assert client.get(f"/contests/rounds/{round_.pk}/entries/{qxg_entry.pk}/").status_code == 403


def test_external_judge_uses_the_link_and_nothing_else(client, users, judged):
    round_, staff, chief, expert, token, qxg_entry, dafang_entry = judged
    mine = assignment_of(expert, qxg_entry)
    others = assignment_of(chief, dafang_entry)

    assert client.get(f"/contests/j/{token}/").status_code == 200
    page = client.get(f"/contests/j/{token}/a/{mine.pk}/")
    assert page.status_code == 200 and qxg_entry.code in page.content.decode()
    assert "李娟" not in page.content.decode()
    assert client.get(f"/contests/j/{token}/a/{others.pk}/").status_code == 404
    assert client.get(f"/contests/j/{token}x/").status_code == 404
    assert client.get(f"/contests/judging/{expert.pk}/").status_code == 302  # staff route: sign in first

    judging.revoke_judge_link(expert, by=users.city_admin)
    assert client.get(f"/contests/j/{token}/a/{mine.pk}/").status_code == 404


def test_judge_scores_draft_then_submit_and_typed_values_survive_an_error(client, judged):
    round_, staff, chief, expert, token, qxg_entry, dafang_entry = judged
    mine = assignment_of(expert, qxg_entry)
    url = f"/contests/j/{token}/a/{mine.pk}/"
    ids = [c.id for c in judging.rubric(round_)]

    bad = client.post(url, {f"points_{ids[0]}": "55", f"points_{ids[1]}": "20", "comment": "很好的文章", "submit": "1"})
    assert bad.status_code == 200
    text = bad.content.decode()
    assert "「内容」的分数应在 0 到 50 之间" in text
    assert 'value="55"' in text and "很好的文章" in text
    assert not Score.objects.exists()

    client.post(url, {f"points_{ids[0]}": "45", "comment": "草稿", "draft": "1"})
    assert Score.objects.get().status == Score.Status.DRAFT
    client.post(url, {f"points_{ids[0]}": "45", f"points_{ids[1]}": "20", f"points_{ids[2]}": "21", "submit": "1"})
    score = Score.objects.get()
    assert (score.status, float(score.total)) == (Score.Status.SUBMITTED, 86.0)

    again = client.post(
        url, {f"points_{ids[0]}": "10", f"points_{ids[1]}": "10", f"points_{ids[2]}": "10", "submit": "1"}
    )
    assert "已提交并锁定" in again.content.decode()
    score.refresh_from_db()
    assert float(score.total) == 86.0


def test_peer_scores_only_after_submitting_own(client, judged):
    round_, staff, chief, expert, token, qxg_entry, dafang_entry = judged
    judging.save_score(
        assignment_of(chief, qxg_entry), judge=chief, points=points_for(round_, 33, 11, 12), comment="", submit=True
    )
    mine = assignment_of(expert, qxg_entry)
    url = f"/contests/j/{token}/a/{mine.pk}/"

    before = client.get(url).content.decode()
    assert "其他评委的评分" not in before and 'data-testid="peer-score"' not in before
    judging.save_score(mine, judge=expert, points=points_for(round_, 40, 20, 20), comment="", submit=True)
    after = client.get(url).content.decode()
    assert "其他评委的评分" in after
    assert re.findall(r'data-testid="peer-score">([^<]*)<', after) == ["56"]


def test_peer_scores_never_shown_when_the_round_says_never(client, judged):
    round_, staff, chief, expert, token, qxg_entry, dafang_entry = judged
    Round.objects.filter(pk=round_.pk).update(peer_scores=Round.PeerScores.NEVER)
    judging.save_score(
        assignment_of(chief, qxg_entry), judge=chief, points=points_for(round_, 33, 11, 12), comment="", submit=True
    )
    mine = assignment_of(expert, qxg_entry)
    judging.save_score(mine, judge=expert, points=points_for(round_, 40, 20, 20), comment="", submit=True)

    assert "其他评委的评分" not in client.get(f"/contests/j/{token}/a/{mine.pk}/").content.decode()


def test_judge_list_in_a_constant_number_of_queries(tree, users, client_for, contest):
    round_ = make_round(contest, users.city_admin, judges_per_entry=1)
    judge = make_judge(contest, users.city_admin, round_, user=users.qxg_admin)
    client = client_for(users.qxg_admin)

    def count(n_more):
        for _ in range(n_more):
            i = contest.entries.count()
            make_entry(
                contest, org=tree.dafang_town, author_name=f"作者{i}", author_phone=f"1380000{i:04d}", recommended=True
            )
        Round.objects.filter(pk=round_.pk).update(status=Round.Status.SETUP)
        round_.refresh_from_db()
        judging.assign_round(round_, by=users.city_admin)
        Round.objects.filter(pk=round_.pk).update(status=Round.Status.OPEN)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/contests/judging/{judge.pk}/")
        return len(queries), response.content.decode().count('data-testid="assignment"')

    one = count(1)
    many = count(15)
    assert (one[1], many[1]) == (1, 16)
    assert one[0] == many[0]


def test_chief_sees_outliers_and_unlocks_with_a_reason(client, client_for, users, judged):
    round_, staff, chief, expert, token, qxg_entry, dafang_entry = judged
    extra = make_judge(round_.contest, users.city_admin, round_, name="钱老师")
    Assignment.objects.create(round=round_, entry=qxg_entry, judge=extra)
    for judge, content in ((chief, 45), (expert, 46), (extra, 5)):
        judging.save_score(
            assignment_of(judge, qxg_entry),
            judge=judge,
            points=points_for(round_, content, 20, 20),
            comment="",
            submit=True,
        )
    chief_client = client_for(users.city_reviewer)

    flags = chief_client.get(f"/contests/judging/{chief.pk}/flags/").content.decode()
    assert flags.count("偏离</span>") == 1
    assert client.get(f"/contests/j/{token}/flags/").status_code == 404  # the expert is not the chief

    outlier = Score.objects.get(assignment__judge=extra)
    refused = chief_client.post(f"/contests/judging/{chief.pk}/unlock/{outlier.pk}/", {"reason": ""}, follow=True)
    assert "请填写解锁原因" in refused.content.decode()
    chief_client.post(f"/contests/judging/{chief.pk}/unlock/{outlier.pk}/", {"reason": "评委误把 50 分写成 5 分"})
    outlier.refresh_from_db()
    assert outlier.status == Score.Status.DRAFT
    assert AuditEntry.objects.get(action="contests.score.unlocked").reason == "评委误把 50 分写成 5 分"


# --- results -----------------------------------------------------------------------------------


def test_results_flow_and_public_page_shows_names_and_units_only(client, client_for, users, judged):
    round_, staff, chief, expert, token, qxg_entry, dafang_entry = judged
    for a in Assignment.objects.filter(round=round_):
        content = 45 if a.entry_id == dafang_entry.pk else 30
        judging.save_score(a, judge=a.judge, points=points_for(round_, content, 20, 20), comment="", submit=True)
    organiser = client_for(users.city_admin)
    contest = round_.contest

    organiser.post(f"/contests/rounds/{round_.pk}/close/")
    organiser.post(f"/contests/{contest.pk}/awards/propose/")
    assert client.get(f"/contests/r/{contest.public_key}/").status_code == 404  # not published yet
    organiser.post(
        f"/contests/{contest.pk}/awards/confirm/",
        {f"level_{qxg_entry.pk}": "third", f"reason_{qxg_entry.pk}": "评委会复议"},
    )
    organiser.post(f"/contests/{contest.pk}/results/publish/")

    assert dict(Award.objects.values_list("entry_id", "level")) == {dafang_entry.pk: "first", qxg_entry.pk: "third"}
    assert f'href="/contests/r/{contest.public_key}/"' in client.get(f"/c/{contest.public_key}/").content.decode()
    public = client.get(f"/contests/r/{contest.public_key}/").content.decode()
    assert public.count('data-testid="winner"') == 2
    assert "张敏" in public and "大方县大方镇妇联" in public
    for secret in ("13900000002", "13900000001", dafang_entry.code, "赵老师"):
        assert secret not in public
    exported = export_rows(organiser.get(f"/contests/{contest.pk}/results.xlsx").content)
    assert exported[1][:3] == ["散文", 1, dafang_entry.code]
    assert exported[2][7:] == ["一等奖", "三等奖", "评委会复议"]


def test_results_page_of_a_sibling_is_404_and_public_key_of_a_draft_is_404(tree, users, client_for, client):
    contest = make_contest(tree.qxg, by=users.qxg_admin, title="七星关区征文")
    assert client_for(users.dafang_admin).get(f"/contests/{contest.pk}/results/").status_code == 404
    assert client.get(f"/contests/r/{contest.public_key}/").status_code == 404


def test_judge_rows_are_not_visible_to_the_county_through_the_manager(tree, judged):
    with scopes_disabled():
        assert Judge.objects.count() == 3


def test_judge_gets_an_assigned_works_picture_and_the_redacted_docx_named_by_code(tree, users, client, judged):
    from jinguo.contests import services
    from tests.contests.files import docx_bytes, png_bytes, upload

    round_, staff, chief, expert, token, qxg_entry, dafang_entry = judged
    contest = round_.contest
    contest.status = contest.Status.OPEN  # still taking entries (the fixture's round opened judging)
    contest.save()
    essay = "巾帼心向党，奋进新征程。我是陈红。" * 5
    document = services.submit_entry(
        contest, category=contest.categories.get(name="散文"), title="文档", author_name="陈红",
        author_phone="13600000009", author_org=tree.dafang_town, declared=True,
        upload=upload("陈红的征文.docx", docx_bytes([essay], author="陈红")),
    )  # fmt: skip
    contest.kind, contest.allowed_media = contest.Kind.WORKS, "image"  # the same judging for works
    contest.save()
    picture = services.submit_entry(
        contest, category=contest.categories.get(name="诗歌"), title="图", author_name="陈红",
        author_phone="13600000009", author_org=tree.dafang_town, declared=True,
        upload=upload("陈红.png", png_bytes()),
    )  # fmt: skip
    on_document = Assignment.objects.create(round=round_, entry=document, judge=expert)
    on_picture = Assignment.objects.create(round=round_, entry=picture, judge=expert)
    not_mine = Assignment.objects.create(round=round_, entry=picture, judge=chief)

    page = client.get(f"/contests/j/{token}/a/{on_picture.pk}/").content.decode()
    assert f'src="/contests/j/{token}/a/{on_picture.pk}/file"' in page
    image = client.get(f"/contests/j/{token}/a/{on_picture.pk}/file")
    assert (image.status_code, image["Content-Type"]) == (200, "image/png")
    assert "陈红" not in image.get("Content-Disposition", "")
    word = client.get(f"/contests/j/{token}/a/{on_document.pk}/file")
    assert word.status_code == 200
    assert f"{document.code}.docx" in word["Content-Disposition"] and "陈红" not in word["Content-Disposition"]
    assert b"".join(word.streaming_content) == document.current_version.redacted_file.open("rb").read()
    assert client.get(f"/contests/j/{token}/a/{not_mine.pk}/file").status_code == 404


def test_a_disqualified_entry_leaves_the_judges_list(users, client, judged):
    from jinguo.contests import services

    round_, staff, chief, expert, token, qxg_entry, dafang_entry = judged
    mine = assignment_of(expert, qxg_entry)
    services.disqualify_entry(qxg_entry, by=users.city_admin, reason="抄袭")

    assert 'data-testid="assignment"' not in client.get(f"/contests/j/{token}/").content.decode()
    assert client.get(f"/contests/j/{token}/a/{mine.pk}/").status_code == 404


def test_award_quotas_typed_by_the_organiser(client_for, users, judged):
    round_, staff, chief, expert, token, qxg_entry, dafang_entry = judged
    for a in Assignment.objects.filter(round=round_):
        content = 45 if a.entry_id == dafang_entry.pk else 30
        judging.save_score(a, judge=a.judge, points=points_for(round_, content, 20, 20), comment="", submit=True)
    organiser = client_for(users.city_admin)
    contest = round_.contest
    organiser.post(f"/contests/rounds/{round_.pk}/close/")

    refused = organiser.post(f"/contests/{contest.pk}/awards/propose/", {"quota_first": "二"}, follow=True)
    assert "名额请填写 0 到 999 的整数" in refused.content.decode()
    assert not Award.objects.exists()

    organiser.post(
        f"/contests/{contest.pk}/awards/propose/",
        {"quota_first": "0", "quota_second": "1", "quota_third": "0", "quota_excellent": "0"},
    )
    assert dict(Award.objects.values_list("entry_id", "level")) == {dafang_entry.pk: "second"}
